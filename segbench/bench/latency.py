"""``segbench bench latency``: how long a run's Keras model or an exported ONNX file takes for one image on this
CPU, at each thread count asked for, and its throughput at a larger batch beside it.

Each figure is measured in a fresh process of its own, pinned to the first N cores this process may use
(``sched_setaffinity``) with the runtime's own intra-op threads set to N before it starts: onnxruntime's
``SessionOptions.intra_op_num_threads``, TensorFlow's ``tf.config.threading`` (settable only before TensorFlow
initialises, hence the fresh process), PyTorch's ``torch.set_num_threads``; JAX has no such setting, and the
pinning alone holds it to N cores. A process per figure also keeps one runtime's thread pools from competing with
the next's. What is timed: random uint8 images at the model's input size in, the logits back in host memory
(``predict_on_batch`` for Keras, ``InferenceSession.run`` for ONNX), the timing protocol of
:func:`segbench.bench.timing.until_stable`.

This module imports no framework: the processes it starts load what they measure.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from segbench import backend as backends
from segbench.bench.suite import run_apart
from segbench.bench.timing import (
    BUDGET_S,
    LATENCY_BATCH,
    LATENCY_THREADS,
    LATENCY_WARMUP,
    MIN_CALLS,
    TOLERANCE,
    until_stable,
)
from segbench.errors import SegbenchError, print_error
from segbench.io import sha256
from segbench.parent import die_with_parent
from segbench.rundir import CONFIG

# The line a measuring process runs: its one argument is the JSON of measure_here's keyword arguments.
CHILD = "import sys; from segbench.bench.latency import child; child(sys.argv[1])"


def protocol(warmup: int, min_calls: int, tolerance: float, budget_s: float, batch: int) -> dict:
    """What every figure of a latency document means, said once in it."""
    return {
        "latency": f"milliseconds of one call at batch 1: uint8 images at the model's input size in, its logits back "
                   f"in host memory; {warmup} untimed warm-up calls, then calls timed one by one until the median "
                   f"of the first half and of the second half agree within {100 * tolerance:g} % (at least "
                   f"{min_calls} calls) or {budget_s:g} s of timed calls have passed; p50/p95/p99 over every timed "
                   "call",
        "throughput": f"images/s at batch {batch}: {batch} over the median seconds of a batch-{batch} call, timed the "
                      "same way",
        "threads": "each figure in a fresh process pinned to the first N cores (sched_setaffinity), the runtime's "
                   "intra-op threads set to N before it starts (onnxruntime SessionOptions, TensorFlow "
                   "tf.config.threading, torch.set_num_threads; JAX: the pinning alone)",
    }


def target_kind(path: Path) -> str:
    """``keras`` for a run folder, ``onnx`` for an ONNX file; one line for anything else."""
    if path.is_dir():
        if not (path / CONFIG).is_file():
            raise SegbenchError(f"{path}: not a run folder (no {CONFIG}) nor an .onnx file")
        return "keras"
    if path.suffix == ".onnx":
        if not path.is_file():
            raise SegbenchError(f"{path}: no such file")
        return "onnx"
    raise SegbenchError(f"{path}: neither a run folder nor an .onnx file" if path.exists() else
                        f"{path}: no such file or folder")


def bench_latency(targets: list[Path], threads=LATENCY_THREADS, backend_names=(None,), batch: int = LATENCY_BATCH,
                  warmup: int = LATENCY_WARMUP, min_calls: int = MIN_CALLS, tolerance: float = TOLERANCE,
                  budget_s: float = BUDGET_S, measure=None, log=print) -> dict:
    """Every target (run folder: its Keras model on each of ``backend_names``, None for this environment's
    backend; ONNX file: onnxruntime) at each of ``threads``, each measured by ``measure(spec, cores, backend)``
    (default: in a process of its own); the document ``bench deploy`` reads, with the machine named in it and in
    every result."""
    measure = measure or measure_apart
    kinds = [(Path(target), target_kind(Path(target))) for target in targets]
    machine = backends.cpu()
    cores = sorted(os.sched_getaffinity(0))
    too_many = [count for count in threads if count > len(cores)]
    if too_many:
        raise SegbenchError(f"--threads {too_many[0]}: this process may use {len(cores)} cores ({machine})")
    results, failures = [], []
    for path, kind in kinds:
        for backend in backend_names if kind == "keras" else (None,):
            for count in threads:
                label = f"{path} ({kind}{f', {backend}' if backend else ''}), {count} thread{'s' * (count > 1)}"
                log(f"{label} ...", flush=True)
                spec = {"target": str(path), "kind": kind, "threads": count, "batch": batch, "warmup": warmup,
                        "min_calls": min_calls, "tolerance": tolerance, "budget_s": budget_s}
                try:
                    found = measure(spec, cores[:count], backend)
                except SegbenchError as exc:
                    failures.append(f"{label}: {exc}")
                    log("failed (why: the error lines at the end)", flush=True)  # said once, with the others
                    continue
                results.append({**found, "machine": machine, "cores": cores[:count]})
    return {"machine": machine, "protocol": protocol(warmup, min_calls, tolerance, budget_s, batch),
            "results": results, "failures": failures, "finished": datetime.now(UTC).isoformat(timespec="seconds")}


def measure_apart(spec: dict, cores: list[int], backend: str | None = None) -> dict:
    """``measure_here(**spec)`` in a fresh process pinned to ``cores`` (on Keras backend ``backend``)."""
    stdout = run_apart([sys.executable, "-c", CHILD, json.dumps(spec)], backend, cores)
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise SegbenchError(f"the measuring process printed no JSON: {stdout.strip()[:200]!r}") from None


def child(spec: str) -> None:
    """What a measuring process runs: the result as one JSON line on stdout, or one error line and exit 2."""
    die_with_parent()  # run by `python -c`, not segbench's __main__, which asks it for the others
    try:
        result = measure_here(**json.loads(spec))
    except SegbenchError as exc:
        print_error(str(exc))
        raise SystemExit(2) from None
    print(json.dumps(result))


def measure_here(target: str, kind: str, threads: int, batch: int = LATENCY_BATCH, warmup: int = LATENCY_WARMUP,
                 min_calls: int = MIN_CALLS, tolerance: float = TOLERANCE, budget_s: float = BUDGET_S) -> dict:
    """The figures of ``target`` in this process, its runtime held to ``threads`` intra-op threads (to be called
    before any framework has started in it)."""
    import numpy as np

    loaded = _onnx(Path(target), threads) if kind == "onnx" else _keras(Path(target), threads)
    height, width = loaded.pop("input_size")
    predict = loaded.pop("predict")
    images = np.random.default_rng(0).integers(0, 256, (batch, height, width, 3), dtype=np.uint8)
    one = images[:1]
    timing = {"warmup": warmup, "min_calls": min_calls, "tolerance": tolerance, "budget_s": budget_s}
    latency = until_stable(lambda: predict(one), **timing)
    batched = until_stable(lambda: predict(images), **timing)
    return {**loaded, "target": target, "kind": kind, "input_size": [height, width], "threads": threads,
            "latency_ms": latency, "batch": batch,
            "throughput": {"images_per_s": 1000 * batch / batched["p50"], "batch_ms": batched}}


def _onnx(path: Path, threads: int) -> dict:
    from segbench.engine.onnxfile import OnnxModel, runtime

    model = OnnxModel(path, threads=threads)
    return {"predict": model.predict_on_batch, "input_size": model.input_size, "runtime": runtime(),
            "backend": None, "precision": model.precision, "model": model.metadata.get("model", "?"),
            "run": model.metadata.get("run"), "bytes": path.stat().st_size, "sha256": model.sha256,
            "threads_by": "onnxruntime SessionOptions.intra_op_num_threads"}


def _keras(path: Path, threads: int) -> dict:
    threads_by = _hold_keras_threads(threads)
    from segbench.engine.loaded import load_run

    run = load_run(path)
    versions = backends.versions()
    return {"predict": run.model.predict_on_batch, "input_size": run.input_size,
            "runtime": ", ".join(f"{name} {version}" for name, version in versions.items() if name != "python"),
            "backend": backends.name(), "precision": run.precision, "model": run.config.model.name,
            "run": str(path.resolve()), "bytes": run.weights.stat().st_size, "sha256": sha256(run.weights),
            "threads_by": threads_by}


def _hold_keras_threads(threads: int) -> str:
    """The backend's intra-op threads set to ``threads`` before it starts; how, for the record."""
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError as exc:  # TensorFlow had started: the figure would not be at the threads it says
            raise SegbenchError(f"TensorFlow started before its threads could be set ({exc})") from None
        return "tf.config.threading.set_intra_op_parallelism_threads"
    if name == "torch":
        import torch

        torch.set_num_threads(threads)
        return "torch.set_num_threads"
    return "the process's cores (sched_setaffinity) alone"
