"""Many runs in one command: configs x seeds, each into its own folder, finished ones skipped, failures collected
rather than fatal, so one bad row does not cost the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segbench.config import load_config
from segbench.engine.run import execute
from segbench.errors import SegbenchError
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
    """Run every job; returns one line per failed job (empty when all finished)."""
    failures = []
    for number, job in enumerate(jobs, 1):
        print(f"[{number}/{len(jobs)}] {job.config} -> {job.out}", flush=True)
        try:
            execute(_config(job, overrides), resume=True)
        except SegbenchError as exc:
            failures.append(_named(job.config, exc))
            print(f"failed: {exc}", flush=True)
    return failures


def _config(job: Job, overrides: list[str]):
    seed = [] if job.seed is None else [f"train.seed={job.seed}"]
    config = load_config(job.config, [*overrides, *seed])
    config.output.dir = str(job.out)
    return config


def _named(config: Path, exc: Exception) -> str:
    """The failure's line, led by the config's path unless the message already starts with it."""
    text = str(exc)
    return text if text.startswith(str(config)) else f"{config}: {text}"
