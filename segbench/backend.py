"""What segbench asks of the backend Keras runs on: its name and versions, the devices it computes on, its first
GPU (name, compute capability), that GPU's peak memory, and the CPU. Each backend answers in its own API; this is
the one place that knows them all.

Keras and the frameworks are imported inside the functions: the config (through ``segbench.precision``) and
``bench metrics`` import this module, and neither should start a backend.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import re
import sys
from pathlib import Path
from typing import NamedTuple

from segbench.errors import SegbenchError

# Keras' backends and the package each needs.
KERAS_BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy", "openvino": "openvino"}


def check_loadable(backend: str, said: str, allowed=tuple(KERAS_BACKENDS), which: str = "a Keras backend") -> None:
    """One line, before Keras is imported, where ``backend`` (given as ``said``: ``KERAS_BACKEND=x``, ``--backends
    x``) is not one of ``allowed`` (``which`` they are) or its package is not installed here: Keras would raise from
    deep inside its import, and `bench latency`, which checked nothing, said a child's ValueError once per figure."""
    if backend not in allowed:
        raise SegbenchError(f"{said}: not {which} (one of {', '.join(allowed)})")
    if importlib.util.find_spec(KERAS_BACKENDS[backend]) is None:
        raise SegbenchError(f"{said}: the {KERAS_BACKENDS[backend]} package is not installed in this environment "
                            f"({sys.executable}); install it or name another backend")


def check_environment() -> None:
    """KERAS_BACKEND, where it is set, checked before Keras is imported."""
    if backend := os.environ.get("KERAS_BACKEND"):
        check_loadable(backend, f"KERAS_BACKEND={backend}")


class GPU(NamedTuple):
    name: str  # as the backend reports it: "NVIDIA H200"
    capability: tuple[int, int]  # CUDA compute capability: (9, 0)


def name() -> str:
    """The backend Keras runs on, which is also its framework's Python package: tensorflow, jax or torch."""
    import keras

    return keras.backend.backend()


def allow_retracing() -> None:
    """Let several models predict in one process without TensorFlow's warning that its functions are traced again
    (each model compiles its own; test-time scales and windows build one per input size, on purpose)."""
    if name() == "tensorflow":
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)


def gradient_reaches(model, images) -> bool:
    """Whether a gradient of ``model``'s output for ``images`` reaches any of its trainable weights (True for a model
    with none, which trains as the frozen model it is asks, and on JAX, which trains on zero gradients as the model
    asks): TensorFlow's tape and torch's autograd each tell it from one forward pass. In training mode, as it will
    train (a stop_gradient only there passed an inference pass), its state put back after (batch norm's moving
    statistics, the seed generators' counters), so that the check leaves the run as it would be without it."""
    if not model.trainable_weights or name() not in ("tensorflow", "torch"):
        return True
    state = [variable.numpy() for variable in model.non_trainable_variables]
    try:
        if name() == "torch":
            return bool(getattr(model(images, training=True), "requires_grad", True))
        import tensorflow as tf

        with tf.GradientTape() as tape:
            total = tf.reduce_sum(tf.cast(model(images, training=True), "float32"))
        return any(found is not None
                   for found in tape.gradient(total, [weight.value for weight in model.trainable_weights]))
    finally:
        for variable, value in zip(model.non_trainable_variables, state, strict=True):
            variable.assign(value)


def versions() -> dict:
    """Keras, the backend's framework (under its own name) and Python."""
    import keras

    backend = name()
    return {"keras": keras.__version__, backend: importlib.import_module(backend).__version__,
            "python": platform.python_version()}


def devices() -> list[str]:
    """The devices the backend computes on, as Keras names them ("gpu:0", "cpu:1"): the accelerators, else the
    (logical) CPU devices. A run records them, and a distributed run replicates its model over them."""
    import keras

    # keras.distribution has no implementation for the torch backend, so torch is asked directly there.
    if name() != "torch":
        return keras.distribution.list_devices()
    import torch

    return [f"cuda:{i}" for i in range(torch.cuda.device_count())] or ["cpu"]


def first_gpu() -> GPU | None:
    """The first GPU the backend computes on, or None when it computes on the CPU."""
    backend = name()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "gpu":
            return None
        major, _, minor = str(getattr(device, "compute_capability", "0.0")).partition(".")
        return GPU(device.device_kind, (int(major), int(minor or 0)))
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return None
        return GPU(torch.cuda.get_device_name(0), tuple(torch.cuda.get_device_capability(0)))
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return GPU(details.get("device_name", "GPU"), tuple(details.get("compute_capability", (0, 0))))


def device() -> dict:
    """``{"name", "kind", "slug"}`` of what the backend computes on: the first GPU, else the CPU with the cores this
    process may use. The slug names the bench's files."""
    gpu = first_gpu()
    if gpu is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", gpu.name.lower().removeprefix("nvidia ")).strip("-")
        return {"name": gpu.name, "kind": "gpu", "slug": slug}
    return {"name": cpu(), "kind": "cpu", "slug": "cpu"}


def cpu() -> str:
    """The processor's model name and the cores this process may use: "AMD EPYC, 2 cores"."""
    model = platform.processor() or platform.machine()
    try:
        models = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        model = models[0].split(":", 1)[1].strip() if models else model
    except OSError:
        pass
    return f"{model}, {len(os.sched_getaffinity(0))} cores"


def reset_peak_memory() -> None:
    """Start counting the GPU's peak memory afresh where the backend can (JAX cannot: its peak is the process's)."""
    backend = name()
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    elif backend == "tensorflow" and first_gpu() is not None:
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")


def peak_memory() -> int | None:
    """Peak bytes allocated on the GPU, where the backend reports it (None on the CPU)."""
    backend = name()
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats()
        return stats.get("peak_bytes_in_use") if stats else None
    if backend == "torch":
        import torch

        return torch.cuda.max_memory_allocated() if torch.cuda.is_available() else None
    if first_gpu() is None:
        return None
    import tensorflow as tf

    return tf.config.experimental.get_memory_info("GPU:0")["peak"]
