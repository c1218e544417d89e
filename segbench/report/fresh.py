"""Figures drawn again only where what they show changed. Each PNG the report draws carries, in a text chunk, a
digest of everything it was drawn from (its input files' bytes, its labels, the drawing code, matplotlib's version);
a report over unchanged runs finds every digest equal and draws nothing, without loading matplotlib. A digest of
bytes, not of times: a fresh clone's files all carry the time of the checkout, which says nothing about which is
newer. Imports neither matplotlib nor anything that does."""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import version
from pathlib import Path

from PIL import Image

KEY = "segbench-inputs"  # the PNG text chunk that holds the digest
SUFFIXES = (".png", ".pdf")  # a report's own figures, each in both (the run folders' plots: PNG only)
# The modules whose code decides what a report's figure looks like: a change to any of them draws every figure again.
_DRAWING = ("curves.py", "figures.py", "plotting.py")


@functools.cache
def _code() -> bytes:
    here = Path(__file__).parent
    return b"".join((here / name).read_bytes() for name in _DRAWING) + version("matplotlib").encode()


def digest(*parts) -> str:
    """The digest of ``parts``: a :class:`Path` counts by its bytes (a folder by the name and bytes of each file
    directly in it, in name order, as the figures read a run's kept predictions: ``predictions/worst/`` is a part of
    its own; a path that is not there as such), anything else by its ``repr``; the drawing code always counts."""
    sha = hashlib.sha256(_code())
    for part in parts:
        if isinstance(part, Path):
            files = sorted(p for p in part.iterdir() if p.is_file()) if part.is_dir() else [part]
            for file in files:
                sha.update(file.name.encode())
                sha.update(file.read_bytes() if file.is_file() else b"\0absent")
        else:
            sha.update(repr(part).encode())
        sha.update(b"\0")
    return sha.hexdigest()


def png_text(path: Path, name: str) -> str | None:
    """The PNG text chunk ``name`` of ``path`` (its header only is read), where segbench marks what it drew or wrote
    (a figure's digest, the Software of a class map or a deploy figure); None for a file that is no PNG, or
    damaged."""
    try:
        with Image.open(path) as image:
            return image.info.get(name) if image.format == "PNG" else None
    except (OSError, SyntaxError, ValueError):
        return None


def current(targets: list[Path], key: str) -> bool:
    """Whether every one of ``targets`` is there and the first, a PNG, was drawn from what ``key`` digests (a
    damaged or foreign file is drawn again)."""
    return all(path.is_file() for path in targets) and png_text(targets[0], KEY) == key


def metadata(path: Path, key: str | None) -> dict | None:
    """``savefig``'s metadata for ``path``: the digest in a PNG; a PDF without the time it was drawn, so the same
    runs give the same bytes and a report redrawn over them leaves committed figures unchanged."""
    if path.suffix == ".pdf":
        return {"CreationDate": None}
    return {KEY: key} if key else None
