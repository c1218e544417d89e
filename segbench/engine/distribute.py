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

from segbench.errors import ConfigError

BACKEND_OF = {"mirrored": "tensorflow", "data_parallel": "jax"}
JAX_DETERMINISM = "--xla_gpu_deterministic_ops=true"


def check(distribute: str, batch_sizes: dict[str, int]) -> None:
    """Refuse a setting this backend cannot run, or batches (by config key) that do not split over its devices."""
    if distribute == "none":
        return
    backend, needed = keras.backend.backend(), BACKEND_OF[distribute]
    if backend != needed:
        other = {b: d for d, b in BACKEND_OF.items()}.get(backend)
        hint = f"; on {backend} use train.distribute: {other}" if other else f"; {backend} has no distribution"
        raise ConfigError(f"train.distribute: {distribute} needs KERAS_BACKEND={needed} (this is {backend}){hint}")
    replicas = len(devices())
    for key, size in batch_sizes.items():
        if size % replicas:
            raise ConfigError(f"{key}: {size} does not split evenly over the {replicas} devices of "
                              f"train.distribute: {distribute}")


def devices() -> list[str]:
    """The devices a distributed run uses: the accelerators, else the (logical) CPU devices."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_logical_devices("GPU")] or \
               [d.name for d in tf.config.list_logical_devices("CPU")]
    return keras.distribution.list_devices()


@contextlib.contextmanager
def scope(distribute: str):
    """Build, compile, train and evaluate inside this; yields the number of replicas."""
    if distribute == "none":
        yield 1
    elif distribute == "mirrored":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices())
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    else:
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices()))
        try:
            yield len(devices())
        finally:
            keras.distribution.set_distribution(previous)  # global: leave none behind for the next run


def make_deterministic() -> None:
    """Ask the backend for deterministic kernels (slower on GPUs; CPU kernels are deterministic already)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS' condition for determinism
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif any(d.startswith("gpu") for d in devices()) and JAX_DETERMINISM not in os.environ.get("XLA_FLAGS", ""):
        # XLA reads its flags once, when JAX starts its backend, which segbench has done by now.
        raise ConfigError(f"train.deterministic on jax: start segbench with XLA_FLAGS={JAX_DETERMINISM} in the "
                          "environment (XLA reads it once, at start-up)")
