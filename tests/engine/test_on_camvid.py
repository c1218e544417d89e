"""What a user does with a trained run, on the real CamVid (skipped where ../shared/data does not have it): a run
from a smoke config, its class maps for a folder of test frames, its ONNX export checked on test frames, and its
scores under test-time flips and corruptions."""

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from segbench.rundir import read_eval

CLASSES = 12  # CamVid's 11 classes and void


@pytest.fixture(scope="module")
def camvid(shared_data):
    root = shared_data / "camvid"
    if not (root / "testannot").is_dir():
        pytest.skip(f"CamVid not found at {root}")
    return root


@pytest.fixture(scope="module")
def trained(camvid, tmp_path_factory):
    from segbench.config import load_config
    from segbench.engine.run import execute
    from segbench.shipped import find_config

    out = tmp_path_factory.mktemp("camvid") / "segnet"
    execute(load_config(find_config("smoke/camvid/segnet"), [f"dataset.root={camvid}", f"output.dir={out}"]))
    return out


def test_predict_writes_a_class_map_per_test_frame_at_native_size(trained, camvid, tmp_path, cli):
    frames = tmp_path / "frames"
    frames.mkdir()
    for image in sorted((camvid / "test").glob("*.jpg"))[:24]:
        shutil.copy(image, frames)
    done = cli("predict", trained, frames, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "out").glob("*.png"))
    assert [path.stem for path in written] == sorted(path.stem for path in frames.glob("*.jpg"))
    for path in written:
        classes = np.asarray(Image.open(path))
        assert classes.shape == (360, 480) and classes.dtype == np.uint8 and classes.max() < CLASSES


def test_onnx_export_agrees_with_keras_on_test_frames(trained, tmp_path, cli):
    pytest.importorskip("onnxruntime")
    done = cli("export", trained, "--format", "onnx", "--out", tmp_path / "segnet.onnx", "--check", "8")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("agreement"))
    assert "test" in line  # checked on the run's own test frames, not random images
    share = float(line.split(": ", 1)[1].split(" %")[0])
    assert share >= 99.9, line


def test_flip_and_robustness_write_their_files(trained, cli):
    assert cli("evaluate", trained, "--tta", "flip").returncode == 0
    flipped = read_eval(trained, "flip")
    assert flipped["num_images"] == 2 and flipped["mode"]["flip"] is True
    done = cli("evaluate", trained, "--robustness")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(trained / "eval" / "robustness.csv", index_col="corruption")
    assert table.shape == (8, 7) and table.notna().all().all()
    assert (trained / "eval" / "robustness.png").is_file() and (trained / "eval" / "robustness.md").is_file()
