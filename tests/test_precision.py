import keras
import pytest

from segbench import backend, precision
from segbench.precision import choose, cpu_flags, policy, resolve

BF16_CPU = {"fpu", "avx512f", "avx512_bf16"}


@pytest.mark.parametrize("capability, expected", [((9, 0), "mixed_bfloat16"), ((8, 0), "mixed_bfloat16"),
                                                  ((8, 9), "mixed_bfloat16"), ((7, 5), "float32"),
                                                  ((6, 1), "float32")])
def test_auto_on_a_gpu_takes_bf16_from_ampere_on(capability, expected):
    # The CPU's flags do not matter once the backend computes on a GPU.
    assert choose(capability, BF16_CPU) == expected
    assert choose(capability, set()) == expected


@pytest.mark.parametrize("flags, expected", [(BF16_CPU, "mixed_bfloat16"), ({"amx_bf16", "amx_tile"}, "mixed_bfloat16"),
                                             ({"avx512f", "avx2"}, "float32"), (set(), "float32")])
def test_auto_on_a_cpu_takes_bf16_only_with_bf16_instructions(flags, expected):
    assert choose(None, flags) == expected


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse avx512_bf16 amx_tile\n\n"
                    "processor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(info) == {"fpu", "sse", "avx512_bf16", "amx_tile"}
    assert cpu_flags(tmp_path / "absent") == frozenset()
    (tmp_path / "noflags").write_text("processor\t: 0\n")
    assert cpu_flags(tmp_path / "noflags") == frozenset()


@pytest.mark.parametrize("explicit", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_an_explicit_precision_is_used_as_given(explicit, monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: pytest.fail("an explicit precision needs no probe"))
    assert resolve(explicit) == explicit


def test_policy_yields_the_resolved_policy_and_restores_float32_after_an_error(monkeypatch):
    monkeypatch.setattr(backend, "first_gpu", lambda: None)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset())
    with pytest.raises(RuntimeError), policy("auto") as used:
        assert used == "float32" and keras.config.dtype_policy().name == "float32"
        raise RuntimeError("a run that fails")
    with pytest.raises(RuntimeError), policy("mixed_bfloat16") as used:
        assert keras.config.dtype_policy().name == used == "mixed_bfloat16"
        raise RuntimeError("a run that fails")
    assert keras.config.dtype_policy().name == "float32"
