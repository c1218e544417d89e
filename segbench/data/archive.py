"""Unpacking zip and tar archives without letting a member land outside the target folder."""

from __future__ import annotations

import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from segbench.errors import DataError


def safe_extract(archive: Path, target: Path) -> None:
    """Extract ``archive`` into ``target``; every member is checked before anything is written."""
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member(archive, info.filename)
                if stat.S_ISLNK(info.external_attr >> 16):
                    link = zf.read(info).decode("utf-8", "replace")
                    _check_member(archive, str(PurePosixPath(info.filename).parent / link), what=f"link {info.filename} ->")
            zf.extractall(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                _check_member(archive, member.name)  # the "data" filter would strip a leading "/" and go on
                try:
                    tarfile.data_filter(member, str(target))
                except tarfile.FilterError as exc:
                    raise DataError(f"{archive}: refusing member {member.name} ({exc})") from None
            tf.extractall(target, members=members, filter="data")
    else:
        raise DataError(f"{archive}: not a zip or tar archive")


def _check_member(archive: Path, name: str, what: str = "member") -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):  # "/etc/x" or "C:\\x"
        raise DataError(f"{archive}: refusing {what} {name} (absolute path)")
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise DataError(f"{archive}: refusing {what} {name} (it would land outside the target folder)")
