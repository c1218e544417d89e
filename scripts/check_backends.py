#!/usr/bin/env python3
"""Run the smoke config on each Keras backend that is installed and compare the figures.

    python scripts/check_backends.py [tensorflow jax torch]

Each backend trains in its own process (Keras picks its backend at import). A backend that is not installed is
reported and skipped; any other failure makes the exit code non-zero.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # segbench from this checkout, installed or not (as scripts/add_statistics.py)

from segbench.rundir import read_metrics

SMOKE = ROOT / "configs" / "smoke" / "segnet.yaml"
PACKAGE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def main(backends: list[str]) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for backend in backends:
            if importlib.util.find_spec(PACKAGE[backend]) is None:
                print(f"{backend:<10} not installed, skipped")
                continue
            out = Path(scratch) / backend
            result = subprocess.run(
                [sys.executable, "-m", "segbench", "run", str(SMOKE), "--out", str(out)],
                env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                failed += 1
                print(f"{backend:<10} FAILED: {(result.stderr.strip().splitlines() or ['no output'])[-1]}")
                continue
            m = read_metrics(out)
            print(f"{backend:<10} mIoU {100 * m['miou']:6.2f}  fIoU {100 * m['fiou']:6.2f}  "
                  f"pixels {sum(map(sum, m['confusion_matrix']))}  train {m['seconds']['train']:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(PACKAGE)
    unknown = sorted(set(chosen) - set(PACKAGE))
    if unknown:
        sys.exit(f"check_backends: unknown backend {', '.join(unknown)} (choose from {', '.join(PACKAGE)})")
    sys.exit(main(chosen))
