"""One process per folder: an exclusive lock on a run folder (or a sweep's results folder) for as long as a
segbench process works in it.

The lock is the kernel's ``flock`` on the folder itself, not a lock file: it dies with its process (a killed run
leaves no stale lock to clear by hand) and leaves nothing in the folder. Processes forked while it is held (the
loader's workers) close their copy at once, so that workers outliving a killed run cannot keep its folder locked.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from segbench.errors import SegbenchError

PROC_LOCKS = Path("/proc/locks")
_HELD: set[int] = set()  # descriptors holding a lock in this process


def _close_in_child() -> None:
    # flock belongs to the open file: the parent keeps its lock while a forked child drops its reference.
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


class FolderLocked(SegbenchError):
    """Another process holds the folder."""


@contextmanager
def locked(folder: Path, what: str = "run folder"):
    """Hold ``folder`` (made if missing) for the block; FolderLocked at once, naming the holder's PID where the
    system tells it, when another process holds it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SegbenchError(f"{folder}: not a folder; name a folder (new or not) for the {what}")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = holder(folder)
            raise FolderLocked(f"{folder}: this {what} is in use by another segbench process"
                               + (f" (PID {pid})" if pid else "") + "; wait for it to end, or choose another "
                               "folder") from None
        _HELD.add(fd)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)


def holder(folder: Path, proc_locks: Path = PROC_LOCKS) -> int | None:
    """The PID holding a flock on ``folder``, from the kernel's table of locks (Linux); None where unknown."""
    try:
        stat = os.stat(folder)
        table = proc_locks.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    device = (os.major(stat.st_dev), os.minor(stat.st_dev))
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF"; a waiting request is marked "->" and is skipped.
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or "->" in fields:
            continue
        major, minor, inode = fields[5].split(":")
        if int(inode) == stat.st_ino and (int(major, 16), int(minor, 16)) == device:
            return int(fields[4])
    return None
