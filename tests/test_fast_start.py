"""Verbs that only read files load no deep-learning framework: they start in well under a second."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import commands, loads_keras

FRAMEWORKS = ("tensorflow", "keras", "jax", "torch")
PROBE = f"""
FRAMEWORKS = {FRAMEWORKS!r}
import contextlib, io, json, sys
from segbench.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --help
        code = exc.code
print(json.dumps({{"code": code, "loaded": [m for m in FRAMEWORKS if m in sys.modules]}}))
"""


def loaded_by(*argv) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, argv)], capture_output=True, text=True,
                          timeout=300, check=False)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """A results folder with one run of the paper's camvid rows, as a sweep leaves it (no weights needed)."""
    import numpy as np
    import yaml
    from helpers import write_metrics

    from segbench.rundir import CONFIG, HISTORY, PER_IMAGE

    results = tmp_path_factory.mktemp("results")
    run = results / "camvid" / "segnet"
    classes = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian",
               "Bicyclist", "Unlabelled"]
    write_metrics(run, classes, [0.5] * 12, dataset="camvid", num_images=2, ignore_index=11)
    (run / CONFIG).write_text(yaml.safe_dump({"model": {"name": "segnet", "input_size": [352, 480]}}))
    (run / HISTORY).write_text("epoch,loss,val_loss,val_miou,seconds\n1,1.0,1.1,0.3,2.0\n")  # the report's curves
    # The images' matrices add up to metrics.json's (the identity), as a run's do.
    np.savez(run / PER_IMAGE, ids=np.array(["a", "b"]),
             matrices=np.stack([np.eye(12, dtype=np.uint32), np.zeros((12, 12), np.uint32)]))
    write_tiny_onnx(results / "tiny.onnx")
    return results


def write_tiny_onnx(path: Path) -> None:
    """The least a segbench ONNX file is: uint8 images 8x8 in, float logits out (the image itself, cast)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Cast", ["image"], ["logits"], to=TensorProto.FLOAT)], "tiny",
                              [helper.make_tensor_value_info("image", TensorProto.UINT8, ["n", 8, 8, 3])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 8, 8, 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def light_argvs(reported, tmp: Path) -> list[list]:
    """One call of each verb and action that neither trains nor infers, in an order where each finds what it reads:
    the imitated tree before the actions that read it."""
    run, imitated = reported / "camvid" / "segnet", tmp / "camvid"
    return [["--help"], ["datasets", "list"], ["models", "list"], ["weights", "list"], ["env"], ["results", reported],
            ["report", "--suite", "camvid", "--results", reported, "--formats", "md"],
            ["compare", run, run, "--resamples", "100"],
            ["datasets", "imitate", "camvid", "--root", imitated, "--images", "2,1,1", "--size", "32x32"],
            ["datasets", "verify", "camvid", "--root", imitated],
            ["datasets", "stats", "camvid", "--root", imitated, "--split", "train"],
            ["datasets", "show", "camvid", "--root", imitated, "--split", "train", "--out", tmp / "camvid.png"],
            ["bench", "deploy", run, "--out", tmp / "deploy.md", "--resamples", "100"],
            ["bench", "latency", reported / "tiny.onnx", "--threads", "1", "--budget", "0.05", "--min-calls", "2",
             "--warmup", "1"],
            ["datasets", "stats", "synthetic", "--split", "test"],
            ["datasets", "show", "synthetic", "--split", "test", "--out", tmp / "synthetic.png"]]


def test_every_verb_that_neither_trains_nor_infers_loads_no_framework(reported, tmp_path):
    for argv in light_argvs(reported, tmp_path):
        found = loaded_by(*argv)
        assert found == {"code": 0, "loaded": []}, (argv, found)


def test_every_light_verb_and_action_is_among_them(reported, tmp_path):
    """What each verb's module says (``NEEDS_KERAS``) decides which calls the test above must make: a verb or an
    action made light later is covered there, or this fails."""
    light = {path for path in commands() if not loads_keras(path)}
    called = {tuple(argv[:words]) for argv in light_argvs(reported, tmp_path) for words in (1, 2)}
    assert light - called == set()
    assert {("models", "list"), ("datasets", "stats"), ("datasets", "show")} <= light


def test_a_verb_that_builds_models_loads_keras():
    assert "keras" in loaded_by("models", "summary", "segnet", "--input-size", "32x32")["loaded"]


def test_the_synthetic_set_has_nothing_to_verify_and_says_so(capsys):
    from segbench.cli import main

    assert main(["datasets", "verify", "synthetic"]) == 2
    assert capsys.readouterr().err.strip() == "segbench: error: synthetic: drawn in memory, it has no files to verify"


def test_the_cli_imports_no_pandas_before_a_verb_needs_it():
    """Every verb's module imports segbench.rundir: pandas at its top (0.12 s) had `segbench --help` at 0.39 s, from
    0.18 s at stop 42, and every light verb slower by as much."""
    done = subprocess.run([sys.executable, "-c", "import sys; import segbench.cli; print('pandas' in sys.modules)"],
                          capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.strip() == "False"
