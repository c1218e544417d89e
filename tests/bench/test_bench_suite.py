import json
import sys

import pytest

from segbench.bench import suite
from segbench.bench.peer import load_peer
from segbench.errors import SegbenchError

CAMVID = ["camvid/mobilenet_unet", "camvid/vgg_unet", "camvid/resnet50_unet", "camvid/segnet",
          "camvid/psp_pretrained", "camvid/resnet50_pspnet"]


def test_entries_follow_each_config_and_the_overrides():
    rows = suite.entries("camvid", [])
    assert [r["config"] for r in rows] == CAMVID
    assert rows[4]["model"] == "pspnet_50"
    assert all(r["input_size"] == [352, 480] and r["batch"] == 8 and r["num_classes"] == 12 and
               r["precision"] == "auto" for r in rows)
    small = suite.entries("camvid", [*suite.CPU_OVERRIDES, "train.precision=mixed_bfloat16"])
    assert all(r["input_size"] == [96, 128] and r["batch"] == 2 and r["precision"] == "mixed_bfloat16" for r in small)


def test_model_command_measures_the_entry_in_a_fresh_process():
    entry = {"config": "camvid/segnet", "model": "segnet", "input_size": [96, 128], "batch": 2,
             "precision": "mixed_bfloat16", "num_classes": 12}
    command = suite.model_command(entry, steps=2, repeats=3, peak_tflops=500.0)
    assert command[:5] == [sys.executable, "-m", "segbench", "bench", "model"]
    assert " ".join(command[5:]) == ("segnet --input-size 96x128 --batch 2 --precision mixed_bfloat16 "
                                     "--num-classes 12 --steps 2 --repeats 3 --json --peak-tflops 500.0")


def test_a_failure_is_reported_and_the_others_go_on(measured, monkeypatch, capsys):
    def fake(entry, steps, repeats, peak_tflops):
        if entry["model"] == "vgg_unet":
            raise SegbenchError("out of memory")
        return measured(entry["model"], size=entry["input_size"], batch=entry["batch"])

    monkeypatch.setattr(suite, "measure_apart", fake)
    peer = {"peer": "segmentation_models_pytorch", "versions": {"torch": "2.13.0"}, "device": {},
            "rows": [{**measured(size=(96, 128), batch=2, train=10.0, infer=40.0), "peer_model": "smp.Unet"}]}
    document = suite.bench_suite("camvid", [], cpu=True, peer=peer)
    assert [r["config"] for r in document["results"]] == [c for c in CAMVID if c != "camvid/vgg_unet"]
    assert document["failures"] == ["camvid/vgg_unet: out of memory"]
    assert (document["steps"], document["repeats"]) == (suite.CPU_STEPS, suite.CPU_REPEATS)
    unet = document["results"][1]
    assert unet["model"] == "resnet50_unet" and unet["vs_peer"]["train"] == 2.0 and unet["vs_peer"]["infer"] == 2.0
    assert document["results"][0]["vs_peer"] is None
    assert suite.out_stem(document, suite.Path("results/bench")) == suite.Path("results/bench/h200-jax")
    assert "[2/6] camvid/vgg_unet: vgg_unet at 96x128, batch 2, auto" in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (None, "no such peer file"),
    ("{not json", "not a peer JSON file"),
    ('{"models": []}', "no 'rows'; write one with scripts/peer_smp.py"),
])
def test_bad_peer_files(tmp_path, content, message):
    path = tmp_path / "peer.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SegbenchError, match=message):
        load_peer(path)


def test_a_peer_file_is_read(tmp_path):
    path = tmp_path / "peer.json"
    path.write_text(json.dumps({"peer": "segmentation_models_pytorch", "rows": []}))
    assert load_peer(path)["peer"] == "segmentation_models_pytorch"


@pytest.mark.parametrize("returncode, stdout, stderr, message", [
    (2, "", "noise\nsegbench: error: segnet at input size 90x128: multiples of 16\n", "^segnet at input size 90x128"),
    (-9, "", "", "^exit code -9$"),
    (0, "Traceback? no JSON", "", "bench model printed no JSON"),
])
def test_a_measuring_process_that_fails_is_one_line(monkeypatch, returncode, stdout, stderr, message):
    done = suite.subprocess.CompletedProcess([], returncode, stdout, stderr)
    monkeypatch.setattr(suite.subprocess, "run", lambda *args, **kwargs: done)
    entry = {"model": "segnet", "input_size": [90, 128], "batch": 2, "precision": "float32", "num_classes": 12}
    with pytest.raises(SegbenchError, match=message):
        suite.measure_apart(entry, steps=1, repeats=1)
