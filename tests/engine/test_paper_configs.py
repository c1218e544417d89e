"""Every CamVid paper config runs end to end on two real frames (tiny input, one epoch, no pretrained files)."""

from pathlib import Path

import json

import pytest

from segbench.config import load_config
from segbench.engine.run import execute

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "camvid"
ROWS = ["segnet", "vgg_unet", "resnet50_unet", "mobilenet_unet", "resnet50_pspnet", "psp_pretrained"]


@pytest.mark.parametrize("row", ROWS)
def test_camvid_paper_config_on_real_frames(shared_data, tmp_path, row):
    overrides = [f"dataset.root={shared_data / 'camvid'}", "dataset.subset=2", "model.input_size=[64,96]",
                 "train.epochs=1", "train.batch_size=2", "model.encoder_weights=null", f"output.dir={tmp_path}"]
    if row == "psp_pretrained":
        overrides.append("model.weights=null")  # the ADE20K release cannot be fetched here
    execute(load_config(CONFIGS / f"{row}.yaml", overrides))
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["classes"]) == 12 and metrics["classes"][11] == "Unlabelled"
    assert sum(map(sum, metrics["confusion_matrix"])) == 2 * 360 * 480  # two test frames at native resolution


def test_psp_pretrained_without_the_release_file_stops_in_one_line(tmp_path):
    from segbench.errors import ConfigError

    config = load_config(CONFIGS / "psp_pretrained.yaml", [f"output.dir={tmp_path}", "model.input_size=[64,96]",
                                                            "dataset.root=/nonexistent"])
    with pytest.raises(ConfigError, match=r"model.weights: datasets/weights/pspnet50_ade20k.h5 does not exist"):
        from segbench.registry import MODELS

        MODELS.get("pspnet_50")(config.model, 12)
