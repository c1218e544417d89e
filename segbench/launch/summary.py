"""The live summary every launcher keeps while its runs go: how many are queued, running, finished and failed,
printed as one line whenever that changes, and each failure's line for the end."""

from __future__ import annotations

import threading

from segbench.engine.sweep import Failure, Job, named, say

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"


class Summary:
    """The state of each job of a sweep. Thread-safe: a launcher's threads or its polling loop report into it."""

    def __init__(self, jobs: list[Job]):
        self.jobs = list(jobs)
        self._states = dict.fromkeys(self.jobs, QUEUED)
        self._failures: dict[Job, str] = {}
        self._lock = threading.Lock()
        self._shown = ""
        self._show()

    def running(self, job: Job) -> None:
        with self._lock:
            over = self._states[job] in (FINISHED, FAILED)
        if not over:  # a late word that it began (a remote launcher's) does not reopen a run that has ended
            self._set(job, RUNNING)

    def queued(self, job: Job) -> None:
        """Back in the queue: a run a scheduler requeued (a preempted Slurm job, a retried Ray task)."""
        self._set(job, QUEUED)

    def ended(self, job: Job, failure: Failure | str | None) -> None:
        """``job`` is over: finished where ``failure`` is None, else failed for that reason (printed at once)."""
        if failure is not None:
            reason = failure.reason if isinstance(failure, Failure) else failure
            with self._lock:
                self._failures[job] = named(job.config, reason)
            say(f"failed: {job.name}: {reason}")
        self._set(job, FINISHED if failure is None else FAILED)

    def count(self, state: str) -> int:
        with self._lock:
            return sum(1 for s in self._states.values() if s == state)

    def failures(self) -> list[str]:
        """One line per failed job, led by its config, in the order of the plan."""
        with self._lock:
            return [self._failures[job] for job in self.jobs if job in self._failures]

    def line(self) -> str:
        counts = ", ".join(f"{self.count(state)} {state}" for state in (QUEUED, RUNNING, FINISHED, FAILED))
        return f"sweep: {counts}"

    def _set(self, job: Job, state: str) -> None:
        with self._lock:
            self._states[job] = state
        self._show()

    def _show(self) -> None:
        line = self.line()
        with self._lock:
            if line == self._shown:
                return
            self._shown = line
        say(line)
