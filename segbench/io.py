"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml

from segbench.errors import SegbenchError

# libyaml's parser where PyYAML was built with it: several times faster than the pure-Python one, whose parsing of
# the runs' config.yaml files was a quarter of what `segbench report` took over ten runs.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """``yaml.safe_load`` (no Python tags), on libyaml where it is there."""
    return yaml.load(text, Loader=SafeLoader)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    The temporary name keeps the final suffixes, since some writers (Keras weights) insist on them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path), suffix="".join(path.suffixes))
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the final file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        # A write that fails (a full disk) names no file, or our temporary: name the file asked for (`datasets show
        # --out` on a full disk said only "No space left on device", probe 21a case 11).
        if exc.errno is not None and exc.filename in (None, tmp):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# What the names of segbench's temporaries carry: cleared when a killed write left them, in folders that may be the
# user's own, they must not be told from a user's hidden file by shape alone (`.env.backup01` was taken for one).
MARK = "segbench-tmp"
# The temporaries of atomic_path and temporary_prefix (mkstemp draws its 8 characters from [a-z0-9_]).
TEMPORARY = re.compile(rf"\.[^.]+\.{MARK}\.[a-z0-9_]{{8}}(\.[^.]+)*")


def temporary_prefix(path: str | os.PathLike) -> str:
    """The start of a temporary's name for a write of ``path``, given to mkstemp or TemporaryDirectory: "." + the
    first part of the name + MARK, then mkstemp's 8 characters and (for a file) the final suffixes."""
    return f".{_first_part(Path(path).name)}.{MARK}."


def _first_part(name: str) -> str:
    """A name's first part for its temporaries: a hidden file's leading dots left out (`.segbench-report.json`'s
    "..segbench-tmp." ones matched no pattern of temporaries, and stayed after a kill)."""
    return name.lstrip(".").split(".")[0]


def remove_stale_temporaries(paths) -> list[Path]:
    """Remove what writes of ``paths`` (the files a command is about to write) killed half-way left beside them:
    atomic_path's temporaries of those names, and folders a ``tempfile`` of the same prefix made, but nothing else,
    since the folder may be the user's own (a predict ``--out``, an export's). For folders no other process writes
    those names in."""
    wanted: dict[Path, set[tuple[str, str]]] = {}
    for path in map(Path, paths):
        wanted.setdefault(path.parent, set()).add((_first_part(path.name), "".join(path.suffixes)))
    removed = []
    for folder, keys in wanted.items():
        try:
            entries = [entry for entry in folder.iterdir() if TEMPORARY.fullmatch(entry.name)]
        except OSError:  # not there yet: nothing was left
            continue
        firsts = {first for first, _ in keys}
        for entry in entries:
            first, _, rest = entry.name[1:].partition(".")
            suffixes = rest[len(MARK) + 9:]  # after the mark and the 8 random characters
            if entry.is_dir() and not entry.is_symlink():
                if first in firsts and not suffixes:  # tempfile.TemporaryDirectory(prefix=temporary_prefix(...))
                    shutil.rmtree(entry)
                    removed.append(entry)
            elif (first, suffixes) in keys:
                entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


def lies_under(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Whether ``path`` names a place under ``root`` as written (``..`` resolved, links not followed: a dataset may
    link its folders elsewhere, but a name climbing out of its root is another tree). Both from the current folder:
    an absolute path under a relative root (a pair list's, with `--root ds`) was called outside it; and under the
    folder the root itself leads to, where it is a link (`datasets/voc -> /mnt/big/VOC2012`, a list of real paths)."""
    named = Path(os.path.abspath(path))
    # Or where both lead: a list spelling its paths through a link into the real root (`/data -> /mnt/big/data`).
    return named.is_relative_to(os.path.abspath(root)) or named.is_relative_to(os.path.realpath(root)) or \
        Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path`` is ``folder`` or lies under it, where it is named (its parent's links followed) or where it
    leads (a link of its own followed): a writer told to write there would write among ``folder``'s files."""
    path, folder = Path(path), Path(folder).resolve()
    return any(place.is_relative_to(folder) for place in (path.parent.resolve() / path.name, path.resolve()))


def walk(folder: str | os.PathLike):
    """``os.walk`` of ``folder`` with linked subfolders followed (a city kept on another disk) and each real folder
    walked once (a link back up the tree is no endless tree): (folder, its subfolders' names, its files' names)."""
    seen = set()
    for top, folders, files in os.walk(folder, followlinks=True):
        place = os.stat(top)
        if (place.st_dev, place.st_ino) in seen:
            folders[:] = []
            continue
        seen.add((place.st_dev, place.st_ino))
        folders.sort()
        yield Path(top), folders, files


def link_to_nothing(path: str | os.PathLike) -> str | None:
    """"is a link to nothing (it leads to X)" where ``path`` is a link whose end is not there (a chain of links
    followed to its last name), else None: the system says "File exists" or "No such file" of such a place."""
    if not os.path.islink(path) or os.path.exists(path):
        return None
    return f"is a link to nothing (it leads to {os.path.realpath(path)})"


def os_reason(exc: OSError) -> str:
    """The system's words for ``exc``, but for a folder made where a link to nothing stands: "File exists" of a
    place that is not there (`--out dl`, a link whose target was removed)."""
    dangling = link_to_nothing(exc.filename) if isinstance(exc, FileExistsError) and exc.filename else None
    return f"{dangling}; remove it, or make what it leads to" if dangling else exc.strerror or str(exc)


def why_not_a_file(path: str | os.PathLike) -> str:
    """What stands at ``path`` instead of a regular file, for a line that says so ("not found" of a folder, a FIFO
    or /dev/zero sent users looking for a file that is there)."""
    path = Path(path)
    if path.is_dir():
        return "is a folder, not a file"
    if path.is_fifo():
        return "is a FIFO (a named pipe), not a file"
    if path.is_char_device() or path.is_block_device():
        return "is a device, not a file"
    if path.exists() or path.is_symlink():
        return "is not a regular file" if path.exists() else "is a link to nothing"
    return "not found"


# segbench's own records (metrics.json, eval/<mode>.json, state.json) are kilobytes: a 1000-class confusion matrix
# is some megabytes.
MAX_RECORD_BYTES = 64 * 2**20


def read_record(path: str | os.PathLike) -> str:
    """The text of one of segbench's JSON records, as an OSError naming what is wrong where it is no regular file
    (a FIFO blocked `results` for good) or is larger than any record (a link to /dev/zero read until memory ran
    out)."""
    path = _no_other_kind(path)
    with path.open("rb") as file:
        data = file.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        raise OSError(f"larger than {MAX_RECORD_BYTES // 2**20} MiB, which no record of segbench's is")
    return data.decode("utf-8")


def _no_other_kind(path: str | os.PathLike) -> Path:
    """``path``, or an OSError saying what stands there where it is there but no regular file (opening a FIFO
    blocks for good; a missing file is left to open's own error)."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise OSError(f"it {why_not_a_file(path)}")
    return path


def not_a_file(path: str | os.PathLike, missing: str = "no such file") -> str:
    """``missing`` where nothing is at ``path``, else what stands there instead of a file (``why_not_a_file``)."""
    reason = why_not_a_file(path)
    return missing if reason == "not found" else reason


def sha256(path: str | os.PathLike) -> str:
    """The file's SHA-256, as run folders, eval/ files and ONNX metadata record it; an OSError naming what stands
    there where it is no regular file (a FIFO as a run's config.yaml hung `run` and `sweep` for good, probe 22b
    case 9)."""
    with open(_no_other_kind(path), "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def clear_staging(path: Path) -> None:
    """Remove the staging folder ``path`` (a name of segbench's own) that a killed run left, before one is written
    there again. A link or a file of that name is refused: removing the folder a link points to, or writing through
    the link, would move or lose what the user keeps there."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise SegbenchError(f"{path}: {'a link' if path.is_symlink() else 'a file'} where segbench stages what it "
                            "writes (a name of its own); move it away")
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def staging_folder(path: Path):
    """Yield ``path``, a staging folder of segbench's own (cleared of what a killed writer left), and remove it when
    the block ends, whole or failed: what was staged there is moved into place inside the block, and a failure
    half-way leaves nothing for the next writer to trip on."""
    clear_staging(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that writes killed half-way (SIGKILL, a power cut) left in ``folder`` and below,
    and return them. Only for a folder no other process writes to (a run's, under its lock): a temporary being
    written there now would be removed too."""
    found = [path for path in Path(folder).rglob(".*") if TEMPORARY.fullmatch(path.name) and path.is_file()]
    for path in found:
        path.unlink(missing_ok=True)
    return found


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def yaml_text(data) -> str:
    """``data`` as segbench writes YAML: keys in their order, no Python tags. A run's config.yaml is told from a
    user's by being exactly this text of what it holds."""
    return yaml.safe_dump(data, sort_keys=False)


def write_yaml(path: str | os.PathLike, data) -> None:
    write_text(path, yaml_text(data))
