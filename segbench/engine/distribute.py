"""``train.distribute`` and ``train.deterministic``: where a run's model lives and whether its ops repeat exactly.

Each backend has its own way to train on several devices, so each setting names one: ``mirrored`` is TensorFlow's
MirroredStrategy, ``data_parallel`` is ``keras.distribution.DataParallel`` (JAX; Keras has no torch
implementation). Both replicate the model on every accelerator, or on every CPU device when there is none, and
split each batch between the replicas.
"""

from __future__ import annotations

import contextlib
import os

import keras

from segbench import backend
from segbench.errors import ConfigError

BACKEND_OF = {"mirrored": "tensorflow", "data_parallel": "jax"}
JAX_DETERMINISM = "--xla_gpu_deterministic_ops=true"


def check(distribute: str, batch_sizes: dict[str, int]) -> None:
    """Refuse a setting this backend cannot run, or batches (by config key) that do not split over its devices."""
    if distribute == "none":
        return
    running, needed = backend.name(), BACKEND_OF[distribute]
    if running != needed:
        other = {b: d for d, b in BACKEND_OF.items()}.get(running)
        hint = f"; on {running} use train.distribute: {other}" if other else f"; {running} has no distribution"
        raise ConfigError(f"train.distribute: {distribute} needs KERAS_BACKEND={needed} (this is {running}){hint}")
    replicas = len(backend.devices())
    for key, size in batch_sizes.items():
        if size % replicas:
            raise ConfigError(f"{key}: {size} does not split evenly over the {replicas} devices of "
                              f"train.distribute: {distribute}")


@contextlib.contextmanager
def scope(distribute: str):
    """Build, compile, train and evaluate inside this; yields the number of replicas."""
    if distribute == "none":
        yield 1
    elif distribute == "mirrored":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(backend.devices())
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    else:
        previous = keras.distribution.distribution()
        replicas = backend.devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=replicas))
        try:
            yield len(replicas)
        finally:
            keras.distribution.set_distribution(previous)  # global: leave none behind for the next run


def make_deterministic() -> None:
    """Ask the backend for deterministic kernels (slower on GPUs; CPU kernels are deterministic already)."""
    running = backend.name()
    if running == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif running == "torch":
        import torch

        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS' condition for determinism
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif any(d.startswith("gpu") for d in backend.devices()) and JAX_DETERMINISM not in os.environ.get("XLA_FLAGS", ""):
        # XLA reads its flags once, when JAX starts its backend, which segbench has done by now.
        raise ConfigError(f"train.deterministic on jax: start segbench with XLA_FLAGS={JAX_DETERMINISM} in the "
                          "environment (XLA reads it once, at start-up)")
