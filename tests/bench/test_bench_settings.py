"""``segbench bench settings``: the backend x precision grid and whether ``auto`` takes the fastest precision."""

import json

import pytest

from segbench.bench import settings
from segbench.cli import main
from segbench.errors import SegbenchError

# Made-up train images/s per (backend, precision), each the median of a +-10 % spread: bf16 is faster on
# tensorflow for every model and slower on jax for every model; on torch it is far faster for segnet (2.2) and
# a little faster for resnet50_pspnet (1.25 against 1.2: within the spread, a tie), slower for the others.
TRAIN = {("tensorflow", "float32"): 2.0, ("tensorflow", "mixed_bfloat16"): 3.0,
         ("jax", "float32"): 1.5, ("jax", "mixed_bfloat16"): 1.0,
         ("torch", "float32"): 1.2, ("torch", "mixed_bfloat16"): 1.1}
TORCH_BF16 = {"segnet": 2.2, "resnet50_pspnet": 1.25}


@pytest.fixture
def fake_measure(measured):
    calls = []

    def measure(entry, steps, repeats, backend):
        calls.append((backend, entry["precision"], entry["model"]))
        train = TRAIN[backend, entry["precision"]]
        if (backend, entry["precision"]) == ("torch", "mixed_bfloat16"):
            train = TORCH_BF16.get(entry["model"], train)
        result = measured(entry["model"], train=train, infer=4 * train, precision=entry["precision"],
                          batch=entry["batch"], device={"name": "AMD EPYC, 2 cores", "kind": "cpu", "slug": "cpu"})
        return {**result, "backend": backend}

    measure.calls = calls
    return measure


def test_every_model_is_measured_on_every_backend_and_precision(fake_measure, monkeypatch):
    monkeypatch.setattr(settings, "check_installed", lambda backends: None)
    document = settings.bench_settings("camvid", [], measure=fake_measure, auto=lambda b: "float32")
    assert len(fake_measure.calls) == 3 * 2 * 6
    assert {(b, p) for b, p, _ in fake_measure.calls} == set(TRAIN)
    table = settings.speeds(document, "train")
    assert list(table.columns) == list(TRAIN) and len(table) == 6
    assert table.loc["camvid/vgg_unet", ("jax", "float32")] == 1.5


def test_auto_verdicts_say_where_auto_is_not_the_fastest(fake_measure, monkeypatch):
    monkeypatch.setattr(settings, "check_installed", lambda backends: None)
    chosen = {"tensorflow": "mixed_bfloat16", "jax": "float32", "torch": "float32"}
    document = settings.bench_settings("camvid", [], measure=fake_measure, auto=chosen.get)
    verdicts = settings.auto_verdicts(document)
    assert verdicts["tensorflow"].endswith("the fastest of float32, mixed_bfloat16 for every model")
    assert verdicts["jax"].endswith("for every model")
    assert verdicts["torch"] == ("auto takes float32: not the fastest for camvid/segnet (a tie within the "
                                 "repeats' spread for camvid/resnet50_pspnet)")
    text = settings.settings_markdown(document, "AMD EPYC, 2 cores")
    assert "| camvid/segnet " in text and "tensorflow mixed_bfloat16" in text
    assert text.count("| camvid/") == 12  # six rows in the train table, six in the infer table


def test_a_backend_that_is_not_installed_is_one_line_before_any_work(capsys):
    with pytest.raises(SegbenchError, match=r"--backends tensorflw: not a backend segbench measures \(one of "
                                            r"tensorflow, jax, torch\)"):
        settings.check_installed(["tensorflw"])
    assert main(["bench", "settings", "--suite", "camvid", "--precisions", "float16"]) == 2
    assert "unknown precision 'float16'" in capsys.readouterr().err


def test_bench_settings_writes_its_files(fake_measure, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(settings, "check_installed", lambda backends: None)
    monkeypatch.setattr(settings, "measure_apart", fake_measure)
    monkeypatch.setattr(settings, "auto_on", lambda backend: "mixed_bfloat16")
    assert main(["bench", "settings", "--suite", "camvid", "--backends", "tensorflow", "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "settings-cpu.json").read_text())
    assert document["auto"] == {"tensorflow": "mixed_bfloat16"} and len(document["results"]) == 12
    assert "tensorflow: auto takes mixed_bfloat16" in (tmp_path / "settings-cpu.md").read_text()
    assert str(tmp_path / "settings-cpu.md") in capsys.readouterr().out


def test_auto_on_asks_a_process_on_that_backend():
    from segbench.precision import choose, cpu_flags

    assert settings.auto_on("tensorflow") == choose(None, cpu_flags())  # no GPU on a test machine
