import pytest

from segbench.bench.peaks import TRAIN_FLOPS_FACTOR, known_peak, utilisation


@pytest.mark.parametrize("name, precision, peak", [
    ("NVIDIA H200", "mixed_bfloat16", 989.0),
    ("NVIDIA H100 80GB HBM3", "mixed_bfloat16", 989.0),
    ("NVIDIA H100 PCIe", "mixed_bfloat16", 756.0),  # not the SXM part, though "H100" is in the name
    ("NVIDIA A100-SXM4-80GB", "mixed_bfloat16", 312.0),
    ("NVIDIA A100-SXM4-80GB", "float32", 156.0),  # TF32 tensor cores
    ("NVIDIA L4", "mixed_float16", 121.0),  # not mistaken for the L40S
    ("Tesla T4", "mixed_bfloat16", None),  # no bf16 on a T4
    ("NVIDIA GH200 480GB", "mixed_bfloat16", None),  # not in the table: --peak-tflops
    ("AMD EPYC, 2 cores", "float32", None),
])
def test_known_peaks_by_device_name(name, precision, peak):
    assert known_peak(name, precision) == peak


def test_utilisation_arithmetic():
    # 100 GFLOPs per image forward at 1000 images/s of training is 3 x 1e14 FLOP/s: 30.3 % of 989 TFLOP/s.
    assert TRAIN_FLOPS_FACTOR == 3
    assert utilisation(1e11, 1000, 989.0, TRAIN_FLOPS_FACTOR) == pytest.approx(3e14 / 989e12)
    assert utilisation(1e11, 1000, 989.0) == pytest.approx(1e14 / 989e12)  # inference counts the forward once
    assert utilisation(1e11, 1000, None) is None
