"""One home for the void label: the dataset declares it, the loss and both metric protocols follow it."""

import cv2
import numpy as np
import pytest
import yaml
from helpers import stripes, write_pair

from segbench.config import load_config
from segbench.data.base import loss_void
from segbench.engine.run import execute
from segbench.errors import ConfigError
from segbench.registry import DATASETS
from segbench.rundir import read_metrics


def write_config(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def void_255_tree(tmp_path):
    """Labels 0..2 with 255 for "ignore", as nearly every segmentation dataset has them, in a plain folder."""
    root = tmp_path / "data"
    for split in ("train", "val", "test"):
        for k in range(2):
            label = stripes(16, 24, [0, 1, 2, 255])
            label[:2] = k  # the images differ
            write_pair(root / split / "images", root / split / "labels", f"{split}{k}", label, ".png")
    (root / "classes.yaml").write_text(yaml.safe_dump({
        "classes": ["a", "b", "c"], "void": 255,
        **{split: {"images": f"{split}/images", "labels": f"{split}/labels"} for split in ("train", "val", "test")}}))
    return root


def smoke(tmp_path, root, extra=""):
    return write_config(tmp_path / "run.yaml", f"""
dataset: {{name: folder, root: {root}}}
model: {{name: segnet, input_size: [16, 32], width: 0.125}}
train: {{epochs: 1, batch_size: 2{extra}}}
eval: {{batch_size: 2}}
output: {{dir: {tmp_path / 'run'}}}
""")


def test_a_255_void_trains_and_scores_without_a_word_of_config(tmp_path, void_255_tree):
    config = load_config(smoke(tmp_path, void_255_tree))
    assert config.train.ignore_index == "void"
    metrics = read_metrics(execute(config))
    # The loss skipped 255; the confusion matrix holds exactly the pixels of the three classes.
    assert metrics["ignore_index"] == 255 and metrics["loss_ignore_index"] == 255
    counted = sum(int((cv2.imread(str(path), cv2.IMREAD_UNCHANGED) != 255).sum())
                  for path in (void_255_tree / "test" / "labels").iterdir())
    assert 0 < counted < 2 * 16 * 24
    assert np.asarray(metrics["confusion_matrix"]).sum() == counted
    assert metrics["calibration"]["pixels"] == counted


def test_an_override_that_disagrees_with_the_dataset_is_refused_at_load(tmp_path, void_255_tree):
    path = smoke(tmp_path, void_255_tree, ", ignore_index: 3")
    with pytest.raises(ConfigError, match=f"^{path}: train.ignore_index: 3 disagrees with folder, whose void label "
                                          "is 255"):
        load_config(path)
    path = smoke(tmp_path, void_255_tree, ", ignore_index: null")
    with pytest.raises(ConfigError, match="null asks the loss to learn every label, but folder's void label 255 is "
                                          "not one of its 3 classes"):
        load_config(path)
    with pytest.raises(ConfigError, match="^--set train.ignore_index: 7 disagrees"):
        load_config(smoke(tmp_path, void_255_tree), ["train.ignore_index=7"])
    assert load_config(smoke(tmp_path, void_255_tree), ["train.ignore_index=255"]).train.ignore_index == 255


def test_the_paper_recipe_learns_camvids_void_class_and_says_so(tmp_path):
    """The paper's library learns Unlabelled: the paper configs say null, which CamVid's in-range void allows."""
    config = load_config("camvid/segnet")
    assert config.train.ignore_index is None
    camvid = DATASETS.get("camvid")(config.dataset)
    assert loss_void(camvid, None) is None and loss_void(camvid, "void") == 11
    with pytest.raises(ConfigError, match="whose void label is 11"):
        loss_void(camvid, 3)
    sitting = DATASETS.get("sitting")(load_config("sitting/segnet").dataset)
    assert loss_void(sitting, "void") is None
    with pytest.raises(ConfigError, match="has no void label"):
        loss_void(sitting, 0)
