"""``segbench bench suite``: every model of a paper suite at its config's size, batch and precision, each measured
by ``segbench bench model`` in a process of its own (so that each starts with the device's memory to itself and
its peak memory is its own: JAX cannot reset the peak of a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from segbench.bench.peer import ratios
from segbench.bench.timing import REPEATS, STEPS
from segbench.config import load_config
from segbench.errors import ERROR_PREFIX, SegbenchError
from segbench.paper import suite_configs
from segbench.parent import PARENT_ENV
from segbench.registry import DATASETS

# --cpu: sizes at which the whole CamVid suite measures in a few minutes on two cores.
CPU_OVERRIDES = ("model.input_size=[96,128]", "train.batch_size=2")
CPU_STEPS, CPU_REPEATS = 2, 3


def entries(suite: str, overrides: list[str]) -> list[dict]:
    """What to measure for each config of ``suite``, after ``overrides`` (``--set``)."""
    rows = []
    for path in suite_configs(suite):
        config = load_config(path, overrides)
        rows.append({"config": f"{path.parent.name}/{path.stem}", "model": config.model.name,
                     "input_size": list(config.model.input_size), "batch": config.train.batch_size,
                     "precision": config.train.precision,
                     "num_classes": len(DATASETS.get(config.dataset.name).classes)})
    return rows


def model_command(entry: dict, steps: int, repeats: int, peak_tflops: float | None = None) -> list[str]:
    """The ``segbench bench model`` command line that measures ``entry``."""
    height, width = entry["input_size"]
    command = [sys.executable, "-m", "segbench", "bench", "model", entry["model"], "--input-size", f"{height}x{width}",
               "--batch", str(entry["batch"]), "--precision", entry["precision"],
               "--num-classes", str(entry["num_classes"]), "--steps", str(steps), "--repeats", str(repeats), "--json"]
    return command + (["--peak-tflops", str(peak_tflops)] if peak_tflops else [])


def run_apart(command: list[str], backend: str | None = None, cores: list[int] | None = None) -> str:
    """The standard output of ``command`` run in a fresh process (on Keras backend ``backend``, default: this
    process's; pinned to ``cores`` where given, before it starts any thread); SegbenchError with the last line it
    printed to stderr if it fails."""
    # It dies with us (segbench.parent): a SIGKILLed bench left its measuring child at 100 % of a core for a minute,
    # where the next bench's figures were timed beside it.
    env = {**os.environ, PARENT_ENV: str(os.getpid()), **({"KERAS_BACKEND": backend} if backend else {})}
    pin = (lambda: os.sched_setaffinity(0, cores)) if cores else None
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, preexec_fn=pin)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise SegbenchError(lines[-1].removeprefix(ERROR_PREFIX))
    return done.stdout


def measure_apart(entry: dict, steps: int, repeats: int, peak_tflops: float | None = None,
                  backend: str | None = None) -> dict:
    """``bench model``'s JSON for ``entry``, from a fresh process (on Keras backend ``backend``, default: this
    process's); SegbenchError with its last line if it fails."""
    stdout = run_apart(model_command(entry, steps, repeats, peak_tflops), backend)
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        raise SegbenchError(f"bench model printed no JSON: {stdout.strip()[:200]!r}") from None


def run_suite(rows: list[dict], measure) -> tuple[list[dict], list[str]]:
    """``measure(entry)`` for every entry: the results (each with its ``config``) and one line per failure."""
    results, failures = [], []
    for number, entry in enumerate(rows, 1):
        height, width = entry["input_size"]
        print(f"[{number}/{len(rows)}] {entry['config']}: {entry['model']} at {height}x{width}, batch "
              f"{entry['batch']}, {entry['precision']}", flush=True)
        try:
            results.append({"config": entry["config"], **measure(entry)})
        except SegbenchError as exc:
            failures.append(f"{entry['config']}: {exc}")
            print(f"failed: {exc}", flush=True)
    return results, failures


def bench_suite(suite: str, overrides: list[str], cpu: bool = False, steps: int | None = None,
                repeats: int | None = None, peak_tflops: float | None = None, peer: dict | None = None) -> dict:
    """``bench suite``: every model of ``suite`` measured apart (``cpu``: at ``CPU_OVERRIDES``, before
    ``overrides``), with our speed over ``peer``'s where it measured the same; the document the files are made of."""
    overrides = [*CPU_OVERRIDES, *overrides] if cpu else list(overrides)
    steps = steps or (CPU_STEPS if cpu else STEPS)
    repeats = repeats or (CPU_REPEATS if cpu else REPEATS)
    results, failures = run_suite(entries(suite, overrides),
                                  lambda entry: measure_apart(entry, steps, repeats, peak_tflops))
    for result in results:
        result["vs_peer"] = ratios(result, peer) if peer else None
    return {"suite": suite, "overrides": overrides, "steps": steps, "repeats": repeats,
            "peer": {key: peer.get(key) for key in ("peer", "versions", "device")} if peer else None,
            "results": results, "failures": failures,
            "finished": datetime.now(UTC).isoformat(timespec="seconds")}


def out_stem(document: dict, out_dir: Path) -> Path:
    """``<out_dir>/<device>-<backend>`` (no suffix), named after the device and backend the suite measured on."""
    first = document["results"][0]
    return out_dir / f"{first['device']['slug']}-{first['backend']}"
