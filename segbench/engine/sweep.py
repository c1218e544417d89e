"""Many runs in one command: configs x seeds, each into its own folder, finished ones skipped, failures collected
rather than fatal, so one bad row does not cost the others. This module plans the runs and runs one; the
launchers (segbench.launch) decide where and how many at a time.

Each run is a ``segbench run`` in a Python process of its own: an out-of-memory kill, a crash in native code or a
framework's global state left behind by one run cannot end or taint the next."""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from segbench.config import load_config
from segbench.engine import preflight
from segbench.engine.finished import config_changes, finished_conflict
from segbench.engine.progress import PROGRESS_ENV
from segbench.errors import ERROR_PREFIX, ConfigError, SegbenchError, one_line
from segbench.io import load_yaml
from segbench.parent import PARENT_ENV
from segbench.rundir import CONFIG, METRICS, checkpoint_state, seed_folder, tree_changes


@dataclass(frozen=True)
class Job:
    config: Path
    seed: int | None  # None: the config's own train.seed
    out: Path

    @property
    def name(self) -> str:
        """Short and unique within a sweep: ``<config folder>/<run folder>``, as the results folder shows it."""
        return f"{self.out.parent.name}/{self.out.name}"


@dataclass(frozen=True)
class Failure:
    """Why a run did not finish, in one line; ``died``: a signal ended its process (killed, out of memory, a crash
    in native code), so the same command again may well finish it, resuming from its checkpoint."""

    reason: str
    died: bool


def plan(configs: list[Path], seeds: int, results: Path) -> list[Job]:
    """One job per config and seed: ``<results>/<config folder>/<config name>[-seed<k>]``."""
    jobs, taken = [], {}
    for config in configs:
        folder = results / config.parent.name / config.stem
        # Two configs into one folder (one named twice, x.yaml beside x.yml) had the second skipped as finished, or
        # refused after hours, and the table counted the folder's seeds twice ("mean ± std of 4" over 2 runs).
        if folder in taken:
            earlier = taken[folder]
            raise ConfigError(f"{config}: named twice ({earlier} and {config}); each config runs once"
                              if earlier.resolve() == config.resolve() else
                              f"{earlier} and {config} would both run into {folder}; rename one of them")
        taken[folder] = config
    # A config named like another's seed folder (x-seed0.yaml beside x.yaml) ran, and was then pooled as its seed.
    for folder, config in taken.items():
        seeded = re.fullmatch(r"(.+)-seed\d+", folder.name)
        if seeded and folder.with_name(seeded[1]) in taken:
            raise ConfigError(f"{config}: named like a seed of {taken[folder.with_name(seeded[1])]} (its folder "
                              f"{folder.name} would be pooled with that config's seeds); rename it")
        if seeds == 1:
            jobs.append(Job(config, None, folder))
        else:
            jobs += [Job(config, seed, seed_folder(folder, seed)) for seed in range(seeds)]
    return jobs


def check(jobs: list[Job], overrides: list[str]) -> dict[Path, list[str]]:
    """Every job's config loaded with the overrides, and what it reads looked for (``preflight``), before any run
    starts, so that a typo or a missing dataset in the last of 18 configs shows at once, not after hours of
    training; the problems' lines of each config that has any (empty when none has)."""
    problems: dict[Path, list[str]] = {}
    for job in jobs:  # each seed's too: its folder may hold what the first seed's does not (a config.yaml of theirs)
        try:
            config = _config(job, overrides)
            found = [named(job.config, exc) for exc in preflight.problems(config)]
            # Found by the job's run once the sweep had begun, whose advice (--force, --out, --resume) a sweep does
            # not take: a finished run, or an interrupted one (its checkpoint), of another config.
            advice, resolved = "remove it to run it again, or give --results another folder", config.model_dump(mode="json")
            if (job.out / METRICS).is_file():
                conflict = finished_conflict(job.out, config, resolved, advice)
                found += [named(job.config, conflict)] if conflict else []
            elif checkpoint_state(job.out) and (changes := config_changes(job.out / CONFIG, resolved)):
                found.append(named(job.config, f"{job.out}: holds an interrupted run of another config ({changes}); "
                                               f"{advice}"))
        except SegbenchError as exc:
            found = [named(job.config, exc)]
        problems[job.config] = list(dict.fromkeys(problems.get(job.config, []) + found))
    return {config: lines for config, lines in problems.items() if lines}


def fetch_pretrained(jobs: list[Job], overrides: list[str]) -> list[str]:
    """Every pretrained file the jobs' configs read, fetched (or checked) before any run starts, so that one that
    cannot be had shows now, not when its row starts hours later; one line per such file (empty when all are
    there). Call it after ``check``: the configs load."""
    from segbench.models.fetch import ensure_all, needed

    configs = {job.config: job for job in jobs}.values()
    entries = [entry for job in configs for entry in needed(_config(job, overrides).model)]
    return [problem for problem in ensure_all(entries).values() if problem]


def finished_runs(jobs: list[Job], overrides: list[str]) -> list[Path]:
    """The jobs' folders that hold a finished run of the job's own config, for the sweep's table: a job refused on
    a folder holding another config's finished run showed that run's figures as its row."""
    found = []
    for job in jobs:
        if not (job.out / METRICS).is_file():
            continue
        try:
            saved = load_yaml((job.out / CONFIG).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not tree_changes(saved, _config(job, overrides).model_dump(mode="json"), shared_only=True):
            found.append(job.out)
    return found


def command(job: Job, overrides: list[str]) -> list[str]:
    """The ``segbench run`` that does ``job``: resuming an interrupted run, skipping a finished one."""
    sets = [part for item in _overrides(job, overrides) for part in ("--set", item)]
    return [sys.executable, "-m", "segbench", "run", str(job.config), "--out", str(job.out), "--resume", *sets]


def run_in_child(job: Job, overrides: list[str], *, env: dict[str, str] | None = None, prefix: str | None = None,
                 cwd: str | None = None, started=None) -> Failure | None:
    """Run ``job`` in a child process whose output comes through ours; None when it finished, else why it did not:
    its own error line, or how it died.

    ``env``: variables on top of ours (a launcher's CUDA_VISIBLE_DEVICES). ``prefix``: each line of the child's
    output is led by it, for children that run side by side. ``cwd``: where the child runs (a remote launcher's
    worker runs it in the sweep's folder, so that relative paths in the configs and overrides mean the same).
    ``started(process)``: called once it runs. The child is killed with our process, so that a sweep or a
    launcher's worker killed outright leaves no run behind holding its folder's lock against the next try (a local
    sweep's run trained on under PID 1 and refused its --resume, probe 22b case 6)."""
    # Unbuffered, so that lines arrive as they are printed; a live progress bar where ours is a terminal and the
    # output is not interleaved with other runs'.
    bar = sys.stdout.isatty() and prefix is None
    env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", PROGRESS_ENV: "bar" if bar else "lines",
           PARENT_ENV: str(os.getpid())}
    errors: list[str] = []
    try:
        child = subprocess.Popen(command(job, overrides), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                 cwd=cwd)
    except OSError as exc:  # a worker on a node without the sweep's folder, say
        return Failure(f"cannot start the run's process in {cwd or os.getcwd()}: {exc.strerror or exc}", died=False)
    with child:
        if started is not None:
            started(child)
        relays = [threading.Thread(target=_until_closed, args=(_relay_output, child.stdout, prefix), daemon=True),
                  threading.Thread(target=_until_closed, args=(_relay_errors, child.stderr, errors, prefix),
                                   daemon=True)]
        for relay in relays:
            relay.start()
        child.wait()
        for relay in relays:
            relay.join()
    if child.returncode == 0:
        return None
    if errors:
        return Failure(errors[-1], died=False)
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        hint = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return Failure(f"the run's process was killed by {name}{hint}; --resume continues it from its last whole "
                       "epoch", died=True)
    # An exit without our line is an uncaught error (a traceback above): trying again would meet it again.
    return Failure(f"the run's process exited with status {child.returncode}", died=False)


def _until_closed(relay, stream, *args) -> None:
    """``relay`` until the stream ends, or is closed under it: a Ctrl-C stops the sweep while the child's pipes are
    read, and their closing ended in a thread's traceback ("ValueError: read of closed file") above our line."""
    try:
        relay(stream, *args)
    except (ValueError, OSError):
        if not stream.closed:
            raise


def _relay_output(stream, prefix: str | None) -> None:
    """The child's stdout onto ours as it comes: in chunks rather than lines, so that a progress bar's carriage
    returns redraw in place; line by line, each led by ``prefix``, where there is one."""
    if prefix is not None:
        for raw in iter(stream.readline, b""):
            _write(sys.stdout, prefix + raw.decode("utf-8", errors="replace"))
        return
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in iter(lambda: stream.read1(65536), b""):
        _write(sys.stdout, decoder.decode(chunk))


def _relay_errors(stream, errors: list[str], prefix: str | None) -> None:
    """The child's stderr onto ours, except its error line, which is kept for the sweep's summary and shown where
    an in-process failure would be (``failed: ...``, printed by the launcher)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(ERROR_PREFIX):
            errors.append(line.removeprefix(ERROR_PREFIX).rstrip("\n"))
        else:
            _write(sys.stderr, (prefix or "") + line)


_WRITING = threading.Lock()  # children side by side: one line at a time, never two mixed in one


def say(line: str) -> None:
    """A line of the sweep's own on stdout, never inside a line of a child's; control characters in it (a config's
    name's terminal escape) escaped."""
    _write(sys.stdout, one_line(line) + "\n")


def _write(stream, text: str) -> None:
    with _WRITING:
        stream.write(text)
        stream.flush()


def _overrides(job: Job, overrides: list[str]) -> list[str]:
    """The sweep's ``--set`` overrides, and the job's seed where the sweep sets one."""
    return [*overrides, *([] if job.seed is None else [f"train.seed={job.seed}"])]


def _config(job: Job, overrides: list[str]):
    config = load_config(job.config, _overrides(job, overrides))
    config.output.dir = str(job.out)
    return config


def named(config: Path, exc: Exception | str) -> str:
    """The failure's line, led by the config's path unless the message already starts with it."""
    text = str(exc)
    return text if text.startswith(str(config)) else f"{config}: {text}"
