"""Getting a dataset onto disk: download where a public URL exists, or unpack an archive the user fetched by hand,
then move its data folders to where the adapter looks for them."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from segbench.data.archive import safe_copy, safe_extract
from segbench.data.base import DatasetAdapter
from segbench.errors import DataError
from segbench.io import clear_staging, inside, why_not_a_file
from segbench.lock import locked

# Where an archive is unpacked before its data folders move into the root; a fixed name, so that the one a killed
# prepare left behind is found and removed by the next.
STAGING = ".unpacking"
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz")


def prepare(adapter: type[DatasetAdapter], name: str, root: Path, archive: Path | None = None) -> list[Path]:
    """Put dataset ``name`` under ``root``; returns what was placed there. ``archive`` is a zip or tar fetched by
    hand, or a folder it was unpacked into by hand (copied from, never changed)."""
    if not adapter.layout:  # the synthetic scenes: drawn in memory, no files to place
        raise DataError(f"{name}: drawn in memory, it reads no files: there is nothing to prepare (`segbench "
                        "datasets imitate` writes a real dataset's files)")
    if archive is None and adapter.url is None and not adapter.source:  # the folder adapter: the user's own data
        raise DataError(f"{name}: your own data, with nothing to download; give its archive or folder: "
                        f"`segbench datasets prepare {name} --from FILE --root {root}`")
    if archive is None and adapter.url is None:
        raise DataError(f"{name}: no public download. {adapter.source}; then run "
                        f"`segbench datasets prepare {name} --from FILE --root {root}`")
    if archive is not None and not archive.exists():
        raise DataError(f"{archive}: no such archive or folder")
    if archive is not None and archive.is_dir() and inside(archive, root):
        raise DataError(f"{archive}: is the dataset root or inside it; give the unpacked folder's own place")
    if archive is not None and archive.is_dir() and inside(root, archive):
        # The staging folder would sit inside what is being copied, and the copy would copy itself without end.
        raise DataError(f"{root}: the dataset root is inside {archive}, the folder it is copied from; "
                        "give a root outside it")
    if archive is not None and not archive.is_dir() and not archive.is_file():
        # Reading a FIFO or a device (/dev/zero) as an archive blocks, or never ends.
        raise DataError(f"{archive}: {why_not_a_file(archive).removesuffix(', not a file')}, not an archive or a "
                        "folder; give the archive itself")
    if root.is_symlink() and not root.exists():
        raise DataError(f"{root}: a symbolic link to {os.readlink(root)}, which does not exist")
    if root.exists() and not root.is_dir():
        raise DataError(f"{root}: is a file; --root names the folder the dataset goes in")
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)  # before get_file, which falls back to /tmp/.keras for a missing dir
    with locked(root, "dataset root"):
        staging = root / STAGING
        clear_staging(staging)
        try:
            # A folder is staged as an archive is, under the same rules: a failure half-way leaves nothing behind.
            if archive is not None and archive.is_dir():
                safe_copy(archive, staged := staging / unpacked_name(archive))
            else:
                archive = archive or download(adapter, name, root)
                safe_extract(archive, staged := staging / unpacked_name(archive))
            return _placed(adapter, name, staged, archive, root)
        except BaseException:
            # A download that failed left an empty downloads/ (and a root of nothing else): the next run would find
            # the root and say it has no pairs, rather than that the dataset is not there yet.
            shutil.rmtree(staging, ignore_errors=True)
            for folder in (root / "downloads", root) if created else (root / "downloads",):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def unpacked_name(source: Path) -> str:
    """The folder ``source`` is copied or unpacked into: named as the folder, or as the archive less its suffixes
    (TEST.zip: TEST/, a.tar.gz: a/), since the name of an archive zipped from inside its folder is all that tells
    which part it holds."""
    name = Path(os.path.abspath(source)).name  # `--from .` or `--from ../TEST` names the folder itself
    while not source.is_dir() and Path(name).suffix.lower() in ARCHIVE_SUFFIXES and Path(name).stem:
        name = Path(name).stem
    return name or "data"  # the file system's root


def _placed(adapter: type[DatasetAdapter], name: str, unpacked: Path, source: Path, root: Path) -> list[Path]:
    """Move the dataset's parts out of ``unpacked``, the copy of ``source`` under its own name (SUIM's TEST/ and
    train_val/ are told apart by it: in a staging folder of segbench's naming, TEST was taken for train_val)."""
    _drop_finder_metadata(unpacked)
    try:
        parts = adapter.find_parts(unpacked.parent)
    except DataError as exc:  # an adapter that cannot tell which part a folder is
        raise DataError(f"{source}: {exc}") from None
    if not parts:
        # An archive of the archive (SUIM.zip holding TEST.zip) was told the layout, not that --from wants the inner
        # one.
        inner = sorted(path.relative_to(unpacked).as_posix() for path in unpacked.rglob("*")
                       if path.is_file() and path.suffix.lower() in ARCHIVE_SUFFIXES)
        more = f" (and {len(inner) - 1} more)" if len(inner) > 1 else ""
        hint = f"; it holds the archive {inner[0]}{more}: take it out and give it to --from" if inner else ""
        raise DataError(f"{source}: holds no {name} data (expected {adapter.layout}){hint}")
    # Two copies (an archive of `old/` and `new/` trees) would merge or the first would win silently.
    by_destination: dict[str, Path] = {}
    for found, destination in parts:
        if (first := by_destination.setdefault(destination, found)) != found:
            raise DataError(f"{source}: holds two copies of {name}'s {destination if destination != '.' else 'data'} "
                            f"({first.relative_to(unpacked).as_posix() or '.'} and "
                            f"{found.relative_to(unpacked).as_posix()}); prepare from one of them")
    # Every part's place is checked before any moves: SUIM's TEST/ was moved in, then train_val/ found taken, and
    # the root, half-prepared, refused the next prepare (probe 21a case 2).
    moves = [move for found, destination in parts for move in _moves(found, root / destination)]
    if taken := [str(target) for _, target in moves if target.exists()]:
        raise DataError(f"{taken[0]}: already exists; move it away to prepare again")
    for child, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(child), str(target))
    return [target for _, target in moves]


def _drop_finder_metadata(unpacked: Path) -> None:
    """Remove what macOS Finder adds to a zip it makes (``__MACOSX/`` of ``._<name>`` AppleDouble files, and
    ``.DS_Store``): metadata, not data, whose ``__MACOSX/CamVid`` tree was taken for a second copy of the dataset."""
    for folder in sorted(unpacked.rglob("__MACOSX")):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    for path in list(unpacked.rglob(".DS_Store")) + list(unpacked.rglob("._*")):
        if path.is_file() and not path.is_symlink():
            path.unlink()


def download(adapter: type[DatasetAdapter], name: str, root: Path) -> Path:
    import keras  # here, not at the top: the adapters import this module, and reading data needs no framework

    try:
        path = keras.utils.get_file(fname=f"{name}-{Path(adapter.url).name}", origin=adapter.url,
                                    file_hash=adapter.sha256, hash_algorithm="sha256",
                                    cache_dir=str(root.resolve()), cache_subdir="downloads")
    # urllib, HTTP and hash failures all arrive as plain exceptions from get_file.
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DataError(f"cannot download {adapter.url} ({reason}). {adapter.source}; then run "
                        f"`segbench datasets prepare {name} --from FILE --root {root}`") from None
    return Path(path)


def folders_with(top: Path, *children: str) -> list[Path]:
    """Folders at or below ``top`` that hold every one of ``children`` as a folder."""
    return [d for d in [top, *sorted(top.rglob("*"))] if d.is_dir() and all((d / c).is_dir() for c in children)]


def _moves(source: Path, destination: Path) -> list[tuple[Path, Path]]:
    """What placing ``source`` at ``destination`` moves where: ``source`` itself, or its contents where
    ``destination`` is there already (the dataset root)."""
    if destination.exists():
        return [(child, destination / child.name) for child in sorted(source.iterdir())]
    return [(source, destination)]
