"""Runs on this machine: one at a time (the default), or with ``--devices`` one per device at once, each seeing
only its own GPU, every device kept busy until the queue is empty."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

from segbench.engine.sweep import Job, run_in_child, say
from segbench.launch.base import Options
from segbench.launch.summary import Summary


def launch(jobs: list[Job], overrides: list[str], options: Options) -> list[str]:
    summary = Summary(jobs)
    if not options.devices:
        for number, job in enumerate(jobs, 1):
            say(f"[{number}/{len(jobs)}] {job.config} -> {job.out}")
            summary.running(job)
            summary.ended(job, run_in_child(job, overrides))
        return summary.failures()

    # A queue of free devices: a thread takes one for its run and gives it back after, so the next job starts on
    # whichever device came free first. Threads suffice: the work is in the children, a thread only waits.
    free: queue.Queue[str] = queue.Queue()
    for device in options.devices:
        free.put(device)

    def run(job: Job) -> None:
        device = free.get()
        try:
            say(f"{job.name}: {job.config} -> {job.out} on device {device}")
            summary.running(job)
            # Its output led by its name: several runs print side by side.
            summary.ended(job, run_in_child(job, overrides, env={"CUDA_VISIBLE_DEVICES": device},
                                            prefix=f"[{job.name}] "))
        finally:
            free.put(device)

    with ThreadPoolExecutor(max_workers=len(options.devices), thread_name_prefix="segbench-device") as pool:
        for done in [pool.submit(run, job) for job in jobs]:
            done.result()
    return summary.failures()
