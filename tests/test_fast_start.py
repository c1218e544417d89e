"""Verbs that only read files load no deep-learning framework: they start in well under a second."""

import json
import subprocess
import sys

import pytest

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

    from segbench.rundir import CONFIG, PER_IMAGE

    results = tmp_path_factory.mktemp("results")
    run = results / "camvid" / "segnet"
    classes = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian",
               "Bicyclist", "Unlabelled"]
    write_metrics(run, classes, [0.5] * 12, dataset="camvid", num_images=2, ignore_index=11)
    (run / CONFIG).write_text(yaml.safe_dump({"model": {"input_size": [352, 480]}}))
    np.savez(run / PER_IMAGE, ids=np.array(["a", "b"]), matrices=np.stack([np.eye(12, dtype=np.uint32)] * 2))
    return results


def test_reading_verbs_load_no_framework(reported):
    run = reported / "camvid" / "segnet"
    for argv in (["--help"], ["datasets", "list"], ["results", reported],
                 ["report", "--suite", "camvid", "--results", reported, "--formats", "md"],
                 ["compare", run, run, "--resamples", "10"], ["datasets", "verify", "synthetic"], ["weights", "list"],
                 ["env"]):
        found = loaded_by(*argv)
        assert found["loaded"] == [], (argv, found)


def test_a_verb_that_builds_models_loads_keras():
    assert "keras" in loaded_by("models", "list")["loaded"]


def test_the_synthetic_set_has_nothing_to_verify_and_says_so(capsys):
    from segbench.cli import main

    assert main(["datasets", "verify", "synthetic"]) == 2
    assert capsys.readouterr().err.strip() == "segbench: error: synthetic: drawn in memory, it has no files to verify"
