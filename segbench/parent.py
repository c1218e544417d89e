"""A run started by a sweep or a launcher's worker dies with it.

A sweep, a Ray worker or a Slurm task killed outright (SIGKILL, a lost node) cannot stop the ``segbench run`` it
started; left running, that run would keep its folder's lock, and the retry (a sweep started again, the scheduler's)
would find the folder in use.
The launcher names itself in the child's environment; the child, first thing, asks the kernel to kill it when that
parent dies (Linux's PR_SET_PDEATHSIG). Done by the child rather than between fork and exec, which is not safe in a
parent with threads; a parent that died before the child asked is caught by comparing PIDs after asking."""

from __future__ import annotations

import os
import signal
import sys

PARENT_ENV = "SEGBENCH_DIE_WITH_PARENT"  # the PID of the process whose death ends this one
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Where the environment names a parent: die with it (at once where it is gone already); elsewhere nothing."""
    wanted = os.environ.pop(PARENT_ENV, None)  # popped: our own children are not its to end
    if not wanted or not wanted.isdecimal() or not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(wanted):
        os.kill(os.getpid(), signal.SIGKILL)
