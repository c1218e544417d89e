import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def smoke_config() -> Path:
    return ROOT / "configs" / "smoke" / "segnet.yaml"


@pytest.fixture
def cli():
    """``python -m segbench ARGS`` in a fresh process, as a user would run it."""

    def run(*args, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "segbench", *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, timeout=600)

    return run

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets beside the checkout (never copied into it); tests that need them skip without them."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA
