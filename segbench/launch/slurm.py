"""Runs as one Slurm job array, submitted through submitit, the sweep waiting for it with a live summary.

Each array task runs the run's ``segbench run --resume`` in a child process (slurm_job.py). A task that Slurm
preempts, or whose ``--time`` runs out, is requeued by submitit and resumes from the run's last whole epoch; the run
folders must be on storage every node sees, at the same path. ``--dry-run`` prints the array and the commands and
submits nothing: it needs neither Slurm nor submitit."""

from __future__ import annotations

import os
import shlex
import shutil
import time

from segbench.engine.sweep import Job, command, say
from segbench.errors import SegbenchError, first_line
from segbench.launch.base import Options, engine
from segbench.launch.summary import Summary

LOGS = ".slurm"  # under the results folder: submitit's pickles and each task's output, <job id>_<task>_log.out
CLUSTER = "slurm"  # submitit's executor; the tests run the same array on submitit's "local" one
POLL_S = 5.0  # submitit asks Slurm (sacct) at most this often anyway


def launch(jobs: list[Job], overrides: list[str], options: Options) -> list[str]:
    parameters = _parameters(options)
    if options.dry_run:
        _show(jobs, overrides, options, parameters)
        return []
    if CLUSTER == "slurm" and shutil.which("sbatch") is None:
        raise SegbenchError("--launcher slurm: no sbatch on this machine's PATH; start the sweep where jobs are "
                            "submitted (a login node), or see what it would submit with --dry-run")
    submitit = engine("submitit", "slurm", "submitit")
    from segbench.launch.slurm_job import SlurmRun

    # A run longer than --time goes on in a requeued job, this many times (preemptions do not count).
    timeouts = {f"{cluster}_max_num_timeout": options.retries for cluster in ("slurm", "local")}
    executor = submitit.AutoExecutor(folder=options.results / LOGS / "%j", cluster=CLUSTER, **timeouts)
    executor.update_parameters(**parameters)
    cwd = os.getcwd()  # the tasks run where the sweep was started: relative paths mean the same there
    with executor.batch():  # one array
        submitted = [executor.submit(SlurmRun(job, overrides, cwd)) for job in jobs]
    say(f"submitted {len(jobs)} run{'s' * (len(jobs) != 1)} as Slurm job {submitted[0].job_id.split('_')[0]}; "
        f"their output in {options.results / LOGS}")
    summary = Summary(jobs)
    waiting = dict(zip(submitted, jobs))
    while waiting:
        for task, job in list(waiting.items()):
            if task.done():
                summary.ended(job, _outcome(task))
                del waiting[task]
            elif task.state.startswith("RUNNING"):
                summary.running(job)
            else:  # pending, or requeued after a preemption or its time limit
                summary.queued(job)
        if waiting:
            time.sleep(POLL_S if CLUSTER == "slurm" else 1.0)
    return summary.failures()


def _parameters(options: Options) -> dict:
    """submitit's parameters for the array: one task on one node per run."""
    if options.gpus_per_run != int(options.gpus_per_run):
        raise SegbenchError(f"--launcher slurm: --gpus-per-run {options.gpus_per_run:g}: Slurm gives whole GPUs")
    parameters = {"name": "segbench", "timeout_min": options.time, "nodes": 1, "tasks_per_node": 1,
                  "cpus_per_task": options.cpus_per_run, "gpus_per_node": int(options.gpus_per_run)}
    if options.partition:
        parameters["slurm_partition"] = options.partition
    if options.slurm_options:
        parameters["slurm_additional_parameters"] = dict(options.slurm_options)
    return parameters


def _show(jobs: list[Job], overrides: list[str], options: Options, parameters: dict) -> None:
    """The array as it would be submitted: its sbatch options (as submitit writes them) and each task's command."""
    names = {"name": "job-name", "timeout_min": "time", "tasks_per_node": "ntasks-per-node",
             "cpus_per_task": "cpus-per-task", "gpus_per_node": "gpus-per-node", "slurm_partition": "partition"}
    sbatch = [f"--{names.get(key, key)}={value}" for key, value in parameters.items()
              if key != "slurm_additional_parameters"
              and not (key == "gpus_per_node" and value == 0)]
    sbatch += [f"--{key.replace('_', '-')}={value}" for key, value in options.slurm_options.items()]
    say(f"dry run: {len(jobs)} run{'s' * (len(jobs) != 1)} as one Slurm job array (0-{len(jobs) - 1}), nothing "
        f"submitted")
    say(f"sbatch {' '.join(sbatch)} --array=0-{len(jobs) - 1} --signal=USR2@90")
    say(f"requeued when preempted, and up to {options.retries} times after its time runs out; output in "
        f"{options.results / LOGS}/; each task in {os.getcwd()}:")
    for index, job in enumerate(jobs):
        say(f"  [{index}] {shlex.join(command(job, overrides))}")


def _outcome(task) -> str | None:
    try:
        return task.result()
    except Exception as exc:  # noqa: BLE001 - whatever submitit or Slurm says went wrong, as the run's line
        return f"its Slurm job {task.job_id} failed: {first_line(exc)} (its output: {task.paths.stdout})"
