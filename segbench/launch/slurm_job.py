"""What one Slurm array task runs: the run's ``segbench run --resume`` in a child process, as a submitit
Checkpointable, so that a preempted or timed-out task is requeued and the requeued one resumes the run. Imported
only where submitit is installed (segbench.launch.slurm imports it when it submits)."""

from __future__ import annotations

import os
import signal

from submitit.helpers import Checkpointable, DelayedSubmission

from segbench.engine.sweep import Job, run_in_child


class SlurmRun(Checkpointable):
    def __init__(self, job: Job, overrides: list[str], cwd: str):
        self.job, self.overrides, self.cwd = job, overrides, cwd
        self._pid: int | None = None

    def __call__(self) -> str | None:
        """The run's reason for failing, or None when it finished (also when it had finished before)."""
        failure = run_in_child(self.job, self.overrides, cwd=self.cwd, started=self._started)
        return None if failure is None else failure.reason

    def _started(self, process) -> None:
        self._pid = process.pid

    def checkpoint(self, *args, **kwargs) -> DelayedSubmission:
        """Called by submitit when Slurm signals that the task will be stopped (preempted, or its time nearly up).
        The run's checkpoint of its last whole epoch is on disk already: stop the run now, so that its folder's
        lock is free for the requeued task, and requeue the same run, which resumes from that epoch. (A kill, not
        a wait: this runs in a signal handler while the task waits on the child.)"""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return DelayedSubmission(SlurmRun(self.job, self.overrides, self.cwd))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pid": None}  # a process of this task means nothing to the next one
