"""Unpacking a dataset's zip or tar archive: every member a folder or a regular file created here, never a link.

Written by hand rather than through ``extractall``: tarfile's "data" filter is walked past by a chain of symbolic
links on Python before 3.11.13 / 3.12.11 (CVE-2025-4517; this project runs on 3.11.7), and zipfile has no filter at
all. A dataset needs no links, devices or FIFOs, so a member of any other kind is refused; each file is opened with
``O_EXCL | O_NOFOLLOW`` under a parent checked to resolve inside the target; the unpacked bytes and the member count
are bounded against decompression bombs. ``target`` is made here and removed again on any failure.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from segbench.errors import DataError

MAX_MEMBERS = 1_000_000
MAX_DEPTH = 256  # folders in a member's path: a dataset needs a handful; thousands are an attack on the unpacker
# Images and labels barely compress (JPEG and PNG are compressed already), so a real dataset unpacks to about its
# archive's size; only a bomb comes near 50 times it. Small archives may still unpack to 1 GiB.
MAX_RATIO, MIN_LIMIT = 50, 1 << 30
CHUNK = 1 << 20
# What a damaged archive raises while it is read: truncated streams, bad checksums, unknown compression.
DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError)

Opener = Callable[[], IO[bytes]]


def unpack_limit(archive_bytes: int) -> int:
    """The most bytes an archive of ``archive_bytes`` may unpack to."""
    return max(MIN_LIMIT, MAX_RATIO * archive_bytes)


def safe_extract(archive: Path, target: Path, max_bytes: int | None = None) -> None:
    """Unpack ``archive`` into the new folder ``target`` (at most ``max_bytes``, by default
    :func:`unpack_limit`); on any failure ``target`` is removed and one DataError names the archive."""
    if target.exists():
        raise DataError(f"{target}: already exists; unpacking needs a new folder")
    limit = max_bytes if max_bytes is not None else unpack_limit(archive.stat().st_size)
    target.mkdir(parents=True)
    try:
        _unpack(archive, target, limit)
    except BaseException as exc:
        shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, NotImplementedError):  # a sound archive of a method zipfile lacks (Windows' Deflate64)
            raise DataError(f"{archive}: compressed by a method Python's zipfile cannot read ({_reason(exc)}); "
                            "unpack it with 7-Zip or unzip, then give the folder to --from") from None
        if isinstance(exc, DAMAGED):
            raise DataError(f"{archive}: damaged archive ({_reason(exc)})") from None
        if isinstance(exc, OSError):
            raise DataError(f"{archive}: cannot unpack into {target} ({_reason(exc)})") from None
        raise


def safe_copy(source: Path, target: Path) -> None:
    """Copy the folder ``source`` into the new folder ``target`` under an archive's rules: folders and regular files
    only. A symbolic link is refused rather than copied (a link pointing outside would make the dataset read files
    from anywhere) or followed (it could bring in anything), and so is a FIFO or device (reading one blocks, or never
    ends); on any failure ``target`` is removed and one DataError names the file."""
    if target.exists():
        raise DataError(f"{target}: already exists; copying needs a new folder")
    target.mkdir(parents=True)
    try:
        _copy_tree(source, target)
    except BaseException as exc:
        shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, OSError):
            raise DataError(f"{exc.filename or source}: cannot copy into {target} ({_reason(exc)})") from None
        raise


def _copy_tree(source: Path, target: Path) -> None:
    for folder, subfolders, files in os.walk(source, onerror=_raise):  # os.walk follows no link to a folder
        here, there = Path(folder), target / Path(folder).relative_to(source)
        if len(here.relative_to(source).parts) >= MAX_DEPTH:  # refused before os.walk's recursion runs out
            raise DataError(f"{source}: holds folders nested more than {MAX_DEPTH} deep (below "
                            f"{here.relative_to(source).parts[0]}/); no dataset nests so deep")
        for name in sorted(subfolders + files):
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                (there / name).mkdir()
                continue
            if not stat.S_ISREG(mode):
                raise DataError(f"{path}: {_mode_kind(mode)}; a dataset needs only folders and files (put the file "
                                "it stands for in its place)")
            # O_NOFOLLOW and the check after opening: a file swapped for a link or a FIFO since lstat is refused too.
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as data:
                if not stat.S_ISREG(os.fstat(data.fileno()).st_mode):
                    raise DataError(f"{path}: not a regular file")
                fd = os.open(there / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(data, out, CHUNK)


def _raise(exc: OSError) -> None:
    raise exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _unpack(archive: Path, target: Path, limit: int) -> None:
    written, count, root = 0, 0, target.resolve()
    for name, kind, opener in _members(archive):
        count += 1
        if count > MAX_MEMBERS:
            raise DataError(f"{archive}: more than {MAX_MEMBERS:,} members; refusing it as a possible bomb")
        parts = _parts(archive, name)
        if not parts:
            continue  # the archive's own top folder, "./"
        try:
            written = _unpack_member(archive, root, target.joinpath(*parts), name, kind, opener, written, limit)
        except OSError as exc:
            if exc.filename is None:  # not the disk's: a stream's (a gzip damaged), said as the archive's below
                raise
            # The member's own name: "File exists" said nothing of which one (a file, then a folder of its name).
            why = "an earlier member is a file of a folder's name it needs" if isinstance(exc, FileExistsError) \
                else _reason(exc)
            raise DataError(f"{archive}: cannot unpack member {name} into {target} ({why})") from None


def _unpack_member(archive: Path, root: Path, path: Path, name: str, kind: str, opener: Opener, written: int,
                   limit: int) -> int:
    """Write the member ``name`` at ``path``; returns the bytes written so far, ``written`` before it."""
    if kind == "dir":
        _make_folders(archive, root, path)
        return written
    _make_folders(archive, root, path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        # A folder made by an earlier entry is not the same member twice: a folder and a file of one name.
        twice = "is a file where an earlier member made a folder of its name" if path.is_dir() else "appears twice"
        raise DataError(f"{archive}: member {name} {twice}") from None
    with os.fdopen(fd, "wb") as out, opener() as source:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise DataError(f"{archive}: unpacks to more than {limit / (1 << 30):.1f} GiB "
                                f"({limit // max(archive.stat().st_size, 1):,} times its size); refusing it as "
                                "a possible decompression bomb")
            out.write(chunk)
    return written


def _members(archive: Path) -> Iterator[tuple[str, str, Opener]]:
    """(name, "dir" or "file", opener) per member, in archive order; a member of any other kind is refused."""
    # The tar is asked first: zipfile.is_zipfile looks for a zip's end record in the file's last 64 KiB, so a plain
    # tar whose last member is a zip passes it, and ZipFile then reads that inner zip as if it were the whole archive.
    # A zip begins with its first member's local header, which does not pass a tar header's checksum.
    if tarfile.is_tarfile(archive):
        yield from _tar_members(archive)
    elif zipfile.is_zipfile(archive):
        yield from _zip_members(archive)
    else:
        raise DataError(f"{archive}: not a zip or tar archive, or damaged beyond reading")


def _zip_members(archive: Path) -> Iterator[tuple[str, str, Opener]]:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            mode = info.external_attr >> 16  # Unix mode where the writer set one; 0 or permissions alone else
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise DataError(f"{archive}: refusing member {info.filename} ({_mode_kind(mode)}; a dataset needs "
                                "only folders and files)")
            if info.flag_bits & 0x1:
                raise DataError(f"{archive}: member {info.filename} is encrypted; unpack it with its password "
                                "and archive it again without one")
            name = _zip_name(info)
            # endswith, not is_dir(): a member with an empty name (which is_dir indexes) is skipped as "./" is. A zip
            # written on Windows may end its folders' names in "\\" (its separator, read as "/" in _parts): such a
            # folder was unpacked as an empty file, which its own files then could not go under (probe 21a case 3).
            kind = "dir" if name.endswith(("/", "\\")) or stat.S_ISDIR(mode) else "file"
            yield name, kind, lambda info=info: zf.open(info)


UNICODE_PATH = 0x7075  # Info-ZIP's extra field of a member's name in UTF-8


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it. zipfile reads a name without the UTF-8 flag as CP437, but Info-ZIP's
    `zip` on Linux and macOS' Archive Utility write UTF-8 without the flag: `café1.jpg` was unpacked as
    `caf├⌐1.jpg`, and a pair list naming it found nothing (probe 22a case 2). Such a name is taken from the
    Unicode Path extra field where the writer left one, else read as UTF-8 where its bytes are UTF-8, as unzip and
    bsdtar read it; CP437 only where they are not."""
    if info.flag_bits & 0x800:
        return info.filename
    extra = info.extra
    while len(extra) >= 4:
        kind, size = int.from_bytes(extra[:2], "little"), int.from_bytes(extra[2:4], "little")
        field, extra = extra[4:4 + size], extra[4 + size:]
        if kind == UNICODE_PATH and len(field) > 5 and field[0] == 1:  # version 1, the CRC of the header's name, name
            try:
                return field[5:].decode("utf-8")
            except UnicodeDecodeError:
                break
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


class _EndNoted(tarfile.TarInfo):
    """A tar member that notes on the archive why its header could not be read, where it could not: tarfile ends
    an archive silently at a header cut short, or damaged, past its first, and a tar cut at a member's header was
    unpacked without its last members, rc 0 (probe 22a case 1). Only a block of zeros is the archive's end."""

    @classmethod
    def fromtarfile(cls, tar):
        try:
            return super().fromtarfile(tar)
        except tarfile.HeaderError as exc:
            tar.segbench_end = exc
            raise


def _tar_members(archive: Path) -> Iterator[tuple[str, str, Opener]]:
    with tarfile.open(archive, tarinfo=_EndNoted) as tf:
        name = None
        for member in tf:  # in order, so that a compressed tar is read once
            if not (member.isreg() or member.isdir()):
                raise DataError(f"{archive}: refusing member {member.name} ({_tar_kind(member)}; a "
                                "dataset needs only folders and files)")
            name = member.name
            yield name, "dir" if member.isdir() else "file", lambda m=member: tf.extractfile(m)
        if not isinstance(getattr(tf, "segbench_end", None), tarfile.EOFHeaderError):
            raise tarfile.ReadError(f"it ends without tar's end-of-archive block, after member {name}: cut short, "
                                    "or a header damaged")


def _mode_kind(mode: int) -> str:
    """What a Unix file mode (a zip member's, or a file's ``lstat``) says a non-file is."""
    return ("a symbolic link" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file or folder")


def _tar_kind(member: tarfile.TarInfo) -> str:
    return {tarfile.SYMTYPE: "a symbolic link", tarfile.LNKTYPE: "a hard link", tarfile.CHRTYPE: "a device",
            tarfile.BLKTYPE: "a device", tarfile.FIFOTYPE: "a FIFO"}.get(member.type, "not a file or folder")


def _parts(archive: Path, name: str) -> tuple[str, ...]:
    """The member's path below the target, refused when it is absolute or climbs with "..": no dataset needs it."""
    path = PurePosixPath(name.replace("\\", "/"))
    # "/etc/x" or "C:\\x"; a drive is one letter, so "12:30 frame.png" is a plain (if unusual) name.
    if "\0" in name or path.is_absolute() or (path.parts and re.fullmatch(r"[A-Za-z]:.*", path.parts[0])):
        raise DataError(f"{archive}: refusing member {name} (absolute path)")
    if ".." in path.parts:
        raise DataError(f"{archive}: refusing member {name} (\"..\" could take it outside the target folder)")
    if len(path.parts) > MAX_DEPTH:  # pathlib's mkdir(parents=True) recurses once per level
        raise DataError(f"{archive}: refusing member {name[:80]}... ({len(path.parts) - 1:,} folders deep; no dataset "
                        f"nests more than {MAX_DEPTH})")
    return tuple(part for part in path.parts if part != ".")


def _make_folders(archive: Path, root: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # Nothing here makes links, so this only fails if something else put one into the target while we unpack.
    if not folder.resolve().is_relative_to(root) or folder.is_symlink():
        raise DataError(f"{archive}: {folder} resolves outside the target folder")
