"""The device Keras computes on, asked of the current backend: its name, its kind, and its peak memory."""

from __future__ import annotations

import importlib
import os
import platform
import re
from pathlib import Path

import keras


def accelerator() -> str | None:
    """The name of the first GPU the backend computes on ("NVIDIA H200"), or None on the CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return device.device_kind if device.platform == "gpu" else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") if gpus else None


def describe() -> dict:
    """``{"name", "kind", "slug"}``: the GPU, else the CPU with the cores this process may use."""
    gpu = accelerator()
    if gpu is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", gpu.lower().removeprefix("nvidia ")).strip("-")
        return {"name": gpu, "kind": "gpu", "slug": slug}
    return {"name": cpu(), "kind": "cpu", "slug": "cpu"}


def cpu() -> str:
    """The processor's model name and the cores this process may use: "AMD EPYC, 2 cores"."""
    name = platform.processor() or platform.machine()
    try:
        models = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        name = models[0].split(":", 1)[1].strip() if models else name
    except OSError:
        pass
    return f"{name}, {len(os.sched_getaffinity(0))} cores"


def reset_peak_memory() -> None:
    """Start counting peak memory afresh where the backend can (JAX cannot: its peak is the process's)."""
    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    elif backend == "tensorflow" and accelerator() is not None:
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")


def peak_memory() -> int | None:
    """Peak bytes allocated on the device, where the backend reports it (not on the CPU)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats()
        return stats.get("peak_bytes_in_use") if stats else None
    if backend == "torch":
        import torch

        return torch.cuda.max_memory_allocated() if torch.cuda.is_available() else None
    if accelerator() is None:
        return None
    import tensorflow as tf

    return tf.config.experimental.get_memory_info("GPU:0")["peak"]


def versions() -> dict:
    """Keras, the backend framework and Python."""
    backend = keras.backend.backend()  # the name of its Python package
    return {"keras": keras.__version__, backend: importlib.import_module(backend).__version__,
            "python": platform.python_version()}
