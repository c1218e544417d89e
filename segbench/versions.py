"""What is installed, read from the packages' metadata without importing them (a framework's import takes seconds
and prints its start-up lines), and how it stands against the lock that `make install` installs from."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

# The packages whose versions decide a run's figures, in the order `segbench env` prints them.
FRAMEWORKS = ("keras", "keras-hub", "tensorflow", "jax", "jaxlib", "torch", "numpy", "onnx", "onnxruntime",
              "albumentations", "opencv-python-headless")
# The lock lives beside the package in a source tree; an installed wheel has none (its user installed the ranges).
LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them: case, '_' and '.' do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Every installed distribution's version, by normalised name."""
    return {normalize(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
            if dist.metadata["Name"]}


def read_lock(text: str) -> dict[str, str]:
    """The exact pins of a requirements lock (``name==version`` at the start of a line; hashes and comments aside)."""
    return {normalize(match[1]): match[2] for line in text.splitlines() if (match := _PIN.match(line))}


def drift(lock: dict[str, str], have: dict[str, str]) -> list[str]:
    """One line per locked package that is missing or at another version; empty when the environment is the lock's.
    Packages installed beside the lock (a backend's own extras, say) are not drift."""
    lines = []
    for name, version in sorted(lock.items()):
        if name not in have:
            lines.append(f"{name}: {version} locked, not installed")
        elif have[name] != version:
            lines.append(f"{name}: {version} locked, {have[name]} installed")
    return lines
