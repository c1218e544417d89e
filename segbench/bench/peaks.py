"""Peak dense FLOP/s of known accelerators, and model FLOP utilisation (MFU) against them.

Conventions, stated wherever a figure is shown:

- FLOPs per image = 2 x the multiply-accumulates that ``models.catalog.count_macs`` counts (convolutions,
  transposed convolutions and dense layers; normalisation, activations, pooling and resizing are left out).
- A training step costs 3 x the forward FLOPs (the forward pass, and twice that for the gradients of the inputs
  and of the weights); inference costs 1 x.
- utilisation = achieved FLOP/s / the device's peak for the run's precision. float32 counts against the TF32
  tensor-core peak where the GPU has one: TensorFlow and JAX run float32 convolutions and matrix products in TF32
  there by default, as cuDNN does PyTorch's convolutions.
"""

from __future__ import annotations

import re

TRAIN_FLOPS_FACTOR = 3

# Dense TFLOP/s (no structured sparsity) from NVIDIA's data sheets, SXM parts unless named; bf16 and fp16 tensor
# cores run at the same rate on all of these. fp32 is the rate float32 convolutions run at by default: TF32 tensor
# cores from the A100 on, the CUDA cores on the V100 and the T4 (which have no bf16 either).
PEAK_TFLOPS = {
    "H200": {"bf16": 989.0, "fp16": 989.0, "fp32": 494.0},
    "H100 PCIE": {"bf16": 756.0, "fp16": 756.0, "fp32": 378.0},
    "H100": {"bf16": 989.0, "fp16": 989.0, "fp32": 494.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "fp32": 156.0},
    "L40S": {"bf16": 362.0, "fp16": 362.0, "fp32": 183.0},
    "L4": {"bf16": 121.0, "fp16": 121.0, "fp32": 60.0},
    "V100": {"fp16": 125.0, "fp32": 15.7},
    "T4": {"fp16": 65.0, "fp32": 8.1},
}

# The tensor-core format each precision policy runs its convolutions in.
FORMAT = {"float32": "fp32", "mixed_bfloat16": "bf16", "mixed_float16": "fp16"}


def known_peak(device_name: str, precision: str) -> float | None:
    """The table's peak TFLOP/s for a device name as the backend reports it ("NVIDIA H100 80GB HBM3"), or None.

    The longest table entry found in the name wins, so "H100 PCIe" is not read as the SXM part."""
    words = f" {' '.join(re.split(r'[^A-Z0-9]+', device_name.upper()))} "
    matches = [key for key in PEAK_TFLOPS if f" {key} " in words]
    if not matches:
        return None
    return PEAK_TFLOPS[max(matches, key=len)].get(FORMAT[precision])


def utilisation(flops_per_image: float, images_per_s: float, peak_tflops: float | None,
                factor: float = 1) -> float | None:
    """Achieved FLOP/s (``factor`` x ``flops_per_image`` x ``images_per_s``) over the peak; None without a peak."""
    if not peak_tflops:
        return None
    return factor * flops_per_image * images_per_s / (peak_tflops * 1e12)
