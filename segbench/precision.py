"""The precision a run computes in: ``auto`` resolved to the fastest safe policy for the backend and device, and
Keras' global dtype policy, set for a block and always put back.

``auto`` takes mixed_bfloat16 where the device multiplies bf16 matrices in hardware: a GPU with bf16 tensor cores
(compute capability 8.0 and up), or a CPU with AMX or AVX512_BF16 instructions. bf16 keeps float32's exponent range
(no loss scaling, no overflow), and segbench keeps the logits and the loss in float32. On such a CPU it trained
every CamVid model faster than float32 on each of the three backends, or as fast within the repeats' spread
(docs/benchmarks.md, "CPU settings": 1.4-1.9x on TensorFlow, 1.3-1.8x on PyTorch, 0.98-1.23x on JAX). Everywhere else
float32. mixed_float16 is never chosen: it needs loss scaling and may overflow, so it is for users who ask for it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

# The policy names belong to the config's schema; Keras is imported where it is used, so that choosing does not
# start a backend. Every part of segbench that computes in a precision sets it through ``policy``.
from segbench import backend
from segbench.schema import AUTO

# CPU flags (as /proc/cpuinfo names them) of instructions that multiply bf16 matrices in hardware.
BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
# The first compute capability with bf16 tensor cores (Ampere).
GPU_BF16_CAPABILITY = (8, 0)


def choose(gpu_capability: tuple[int, int] | None, cpu_flags: frozenset[str] | set[str]) -> str:
    """The policy ``auto`` means on a GPU of ``gpu_capability`` (None: the backend computes on the CPU) or a CPU
    with ``cpu_flags``; the same on every backend, as all three gained alike where measured."""
    if gpu_capability is not None:
        return "mixed_bfloat16" if tuple(gpu_capability) >= GPU_BF16_CAPABILITY else "float32"
    return "mixed_bfloat16" if BF16_CPU_FLAGS & set(cpu_flags) else "float32"


def resolve(precision: str) -> str:
    """``precision`` itself, or for ``auto`` the policy ``choose`` picks on this backend and device."""
    if precision != AUTO:
        return precision
    gpu = backend.first_gpu()
    return choose(gpu.capability if gpu else None, cpu_flags())


@contextmanager
def policy(precision: str):
    """Keras' global dtype policy set to ``precision`` (``auto`` resolved) inside the block, yielding the policy
    used, and float32 again after it: the policy is global, and no run should leave its own to the next."""
    import keras

    used = resolve(precision)
    keras.config.set_dtype_policy(used)
    try:
        yield used
    finally:
        keras.config.set_dtype_policy("float32")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags of the first processor in ``cpuinfo``; empty where there is no such file (not
    Linux), which makes ``auto`` choose float32 on the CPU."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()
