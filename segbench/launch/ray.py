"""Runs as Ray tasks, on a local Ray or an existing cluster (``--ray-address``): each asks for ``--gpus-per-run``
GPUs and ``--cpus-per-run`` CPUs, Ray's logical resources, so a CPU-only cluster (or one started with
``--num-gpus`` it does not have) schedules them too.

A task runs the run's ``segbench run --resume`` in a child process, as the local launcher does. Where that process
or the Ray worker holding it dies (killed, out of memory, a node lost), Ray runs the task again, up to ``--retries``
times, and the new one resumes from the run's last checkpoint: the run folders must be on storage that every node
sees, at the same path. A run that fails with its own error line (a bad sample, a missing file) is not retried: it
would fail the same way."""

from __future__ import annotations

import os

from segbench.engine.sweep import Job, run_in_child, say
from segbench.errors import SegbenchError, first_line
from segbench.launch.base import Options, engine
from segbench.launch.summary import Summary

POLL_S = 1.0  # how often the summary looks for runs that started
# The summary counts a run as running from its task's first start to its end: the driver does not see a worker
# die, so a retry's wait for resources counts as running too.


class RunDied(Exception):
    """A signal ended the run's process (killed, out of memory): worth another try, which resumes it."""


class Started:
    """Which tasks have begun, for the summary: an actor the tasks tell without waiting for its answer. (A task
    waiting on another's answer lends Ray its CPUs meanwhile, and Ray starts one more run than it has CPUs for.)"""

    def __init__(self):
        self.indices: list[int] = []

    def note(self, index: int) -> None:
        self.indices.append(index)

    def take(self) -> list[int]:
        taken, self.indices = self.indices, []
        return taken


def run_job(job: Job, overrides: list[str], cwd: str, started, index: int) -> str | None:
    """The body of a task, on whichever node Ray put it: the run's reason for failing, or None."""
    started.note.remote(index)
    # Killed with its worker: Ray's retry must find the run folder's lock free.
    failure = run_in_child(job, overrides, cwd=cwd, prefix=f"[{job.name}] ")
    if failure is not None and failure.died:
        raise RunDied(failure.reason)
    return None if failure is None else failure.reason


def launch(jobs: list[Job], overrides: list[str], options: Options) -> list[str]:
    ray = engine("ray", "ray", "Ray")
    ours = not ray.is_initialized()  # a caller (a test, a notebook) may have connected already
    if ours:
        ray.init(address=options.ray_address, include_dashboard=False)
    try:
        _check_resources(ray, options, local=ours and options.ray_address is None)
        started = ray.remote(num_cpus=0)(Started).remote()
        task = ray.remote(run_job).options(num_cpus=options.cpus_per_run, num_gpus=options.gpus_per_run,
                                           max_retries=options.retries, retry_exceptions=[RunDied])
        summary = Summary(jobs)
        # The child runs where the sweep was started, so relative paths in configs and --set mean the same there.
        refs = {task.remote(job, overrides, os.getcwd(), started, index): job for index, job in enumerate(jobs)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=POLL_S)
            for index in ray.get(started.take.remote()):  # before the ends: a task that began and ended in one poll
                summary.running(jobs[index])
            for ref in done:
                summary.ended(refs[ref], _outcome(ray, ref, options.retries))
        return summary.failures()
    finally:
        if ours:
            ray.shutdown()


def _outcome(ray, ref, retries: int) -> str | None:
    try:
        return ray.get(ref)
    except RunDied as exc:  # Ray's error for a task that raised it is a RunDied too
        cause = getattr(exc, "cause", exc)
        return f"{cause} (tried {retries + 1} times)"
    except ray.exceptions.RayError as exc:  # the worker or its node died on every try, or Ray itself failed
        return f"its Ray task failed: {first_line(exc)}"


def _check_resources(ray, options: Options, local: bool) -> None:
    """A run that asks for more than any Ray we started has would wait for ever: refuse it here. An existing
    cluster may grow (an autoscaler), so there it is a warning."""
    have = ray.cluster_resources()
    for name, asked in (("GPU", options.gpus_per_run), ("CPU", options.cpus_per_run)):
        if asked > have.get(name, 0):
            message = (f"each run asks for {asked:g} {name}{'s' * (asked != 1)} and this Ray has "
                       f"{have.get(name, 0):g}")
            if local:
                hint = " (--gpus-per-run 0 runs on CPUs)" if name == "GPU" else ""
                raise SegbenchError(f"--launcher ray: {message}{hint}")
            say(f"warning: {message}: the runs wait until the cluster has them")
