"""Many runs in one command: configs x seeds, each into its own folder, finished ones skipped, failures collected
rather than fatal, so one bad row does not cost the others.

Each run is a ``segbench run`` in a Python process of its own: an out-of-memory kill, a crash in native code or a
framework's global state left behind by one run cannot end or taint the next."""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from segbench.config import load_config
from segbench.engine.progress import PROGRESS_ENV
from segbench.errors import ERROR_PREFIX, SegbenchError
from segbench.rundir import seed_folder


@dataclass(frozen=True)
class Job:
    config: Path
    seed: int | None  # None: the config's own train.seed
    out: Path


def plan(configs: list[Path], seeds: int, results: Path) -> list[Job]:
    """One job per config and seed: ``<results>/<config folder>/<config name>[-seed<k>]``."""
    jobs = []
    for config in configs:
        folder = results / config.parent.name / config.stem
        if seeds == 1:
            jobs.append(Job(config, None, folder))
        else:
            jobs += [Job(config, seed, seed_folder(folder, seed)) for seed in range(seeds)]
    return jobs


def check(jobs: list[Job], overrides: list[str]) -> list[str]:
    """Every job's config loaded with the overrides before any run starts, so that a typo in the last of 18 configs
    shows at once, not after hours of training; one line per config that does not load (empty when all do)."""
    problems = {}
    for job in jobs:
        if job.config not in problems:
            try:
                _config(job, overrides)
                problems[job.config] = None
            except SegbenchError as exc:
                problems[job.config] = _named(job.config, exc)
    return [line for line in problems.values() if line]


def sweep(jobs: list[Job], overrides: list[str]) -> list[str]:
    """Run every job, each in a process of its own; returns one line per failed job (empty when all finished)."""
    failures = []
    for number, job in enumerate(jobs, 1):
        print(f"[{number}/{len(jobs)}] {job.config} -> {job.out}", flush=True)
        problem = run_in_child(job, overrides)
        if problem is not None:
            failures.append(_named(job.config, problem))
            print(f"failed: {problem}", flush=True)
    return failures


def command(job: Job, overrides: list[str]) -> list[str]:
    """The ``segbench run`` that does ``job``: resuming an interrupted run, skipping a finished one."""
    sets = [part for item in _overrides(job, overrides) for part in ("--set", item)]
    return [sys.executable, "-m", "segbench", "run", str(job.config), "--out", str(job.out), "--resume", *sets]


def run_in_child(job: Job, overrides: list[str]) -> str | None:
    """Run ``job`` in a child process whose output comes through ours; None when it finished, else the reason it
    did not, in one line: its own error line, or how it died."""
    # Unbuffered, so that lines arrive as they are printed; a live progress bar where ours is a terminal.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", PROGRESS_ENV: "bar" if sys.stdout.isatty() else "lines"}
    errors: list[str] = []
    with subprocess.Popen(command(job, overrides), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as child:
        relays = [threading.Thread(target=_relay_output, args=(child.stdout,), daemon=True),
                  threading.Thread(target=_relay_errors, args=(child.stderr, errors), daemon=True)]
        for relay in relays:
            relay.start()
        child.wait()
        for relay in relays:
            relay.join()
    if child.returncode == 0:
        return None
    if errors:
        return errors[-1]
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        hint = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"the run's process was killed by {name}{hint}; --resume continues it from its last whole epoch"
    return f"the run's process exited with status {child.returncode}"


def _relay_output(stream) -> None:
    """The child's stdout onto ours as it comes, in chunks rather than lines, so that a progress bar's carriage
    returns redraw in place."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in iter(lambda: stream.read1(65536), b""):
        sys.stdout.write(decoder.decode(chunk))
        sys.stdout.flush()


def _relay_errors(stream, errors: list[str]) -> None:
    """The child's stderr onto ours, except its error line, which is kept for the sweep's summary and shown where
    an in-process failure would be (``failed: ...``, printed by ``sweep``)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(ERROR_PREFIX):
            errors.append(line.removeprefix(ERROR_PREFIX).rstrip("\n"))
        else:
            sys.stderr.write(line)
            sys.stderr.flush()


def _overrides(job: Job, overrides: list[str]) -> list[str]:
    """The sweep's ``--set`` overrides, and the job's seed where the sweep sets one."""
    return [*overrides, *([] if job.seed is None else [f"train.seed={job.seed}"])]


def _config(job: Job, overrides: list[str]):
    config = load_config(job.config, _overrides(job, overrides))
    config.output.dir = str(job.out)
    return config


def _named(config: Path, exc: Exception) -> str:
    """The failure's line, led by the config's path unless the message already starts with it."""
    text = str(exc)
    return text if text.startswith(str(config)) else f"{config}: {text}"
