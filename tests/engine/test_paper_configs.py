"""The paper configs at CI size (configs/smoke/<dataset>/): each of the 18 is exactly its paper config with the
smoke overlay on top, each resolves to its paper row's model and dataset, and SegNet runs end to end on every
dataset (CamVid's real frames where ../shared/data has them, synthetic scenes in the dataset's exact format
otherwise), so that each dataset adapter goes through training and native-resolution scoring once. The other
models' runs would repeat that path, model for model what tests/models/test_zoo.py already builds and trains, at a
cost of about four minutes of CI on two cores; `make smoke` runs all 18.

Each run goes through the CLI in a process of its own: one process building all eighteen models kept about 0.6 GB
more after each (TensorFlow's caches; clearing the Keras session gives little back), 15 GB by the end."""

import json
from pathlib import Path

import pytest
import yaml
from conftest import SHARED_DATA

from segbench.config import load_config
from segbench.data.imitation import imitate
from segbench.errors import ConfigError
from segbench.paper import PAPER_ROWS
from segbench.registry import DATASETS, MODELS

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
IMITATION_SIZE = (60, 80)


@pytest.fixture(scope="session")
def roots(tmp_path_factory) -> dict[str, tuple[Path, tuple[int, int]]]:
    """Per dataset, a root for its configs and the native size of its test labels there."""
    found = {}
    for name in ("camvid", "sitting", "suim"):
        if name == "camvid" and (SHARED_DATA / "camvid" / "testannot").is_dir():
            found[name] = SHARED_DATA / "camvid", (360, 480)
            continue
        root = tmp_path_factory.mktemp(name)
        config = load_config(CONFIGS / "smoke" / name / "segnet.yaml", [f"dataset.root={root}"])
        imitate(DATASETS.get(name)(config.dataset), {"train": 4, "val": 2, "test": 2}, IMITATION_SIZE)
        found[name] = root, IMITATION_SIZE
    return found


DATASET_NAMES = ("camvid", "sitting", "suim")
END_TO_END = [("segnet", name) for name in DATASET_NAMES]


def _flat(tree: dict, prefix: str = "") -> list[str]:
    """A YAML section as the --set overrides that would write it (JSON values are YAML too)."""
    return [item for key, value in tree.items()
            for item in (_flat(value, f"{prefix}{key}.") if isinstance(value, dict)
                         else [f"{prefix}{key}={json.dumps(value)}"])]


@pytest.mark.parametrize("dataset", DATASET_NAMES)
@pytest.mark.parametrize("row", PAPER_ROWS)
def test_each_smoke_config_is_its_paper_config_with_the_smoke_overlay(dataset, row):
    smoke = CONFIGS / "smoke" / dataset / f"{row}.yaml"
    own = yaml.safe_load(smoke.read_text())
    assert own.pop("base") == [f"../../{dataset}/{row}.yaml", "../../_base/smoke.yaml"]
    # What the smoke file sets of its own: only the ADE20K release's absence (it cannot be fetched in CI).
    assert own in ({}, {"model": {"weights": None}})
    overlay = _flat(yaml.safe_load((CONFIGS / "_base" / "smoke.yaml").read_text())) + _flat(own)
    expected = load_config(CONFIGS / dataset / f"{row}.yaml", [*overlay, "dataset.root=/data"]).model_dump()
    assert load_config(smoke, ["dataset.root=/data"]).model_dump() == expected


@pytest.mark.parametrize("dataset", DATASET_NAMES)
@pytest.mark.parametrize("row", PAPER_ROWS)
def test_each_smoke_config_resolves_to_its_rows_model_and_dataset(dataset, row):
    config = load_config(CONFIGS / "smoke" / dataset / f"{row}.yaml", ["dataset.root=/data"])
    paper = load_config(CONFIGS / dataset / f"{row}.yaml", ["dataset.root=/data"])
    assert (config.dataset.name, config.model.name) == (paper.dataset.name, paper.model.name)
    assert config.model.name in MODELS and config.dataset.name in DATASETS
    assert config.train.epochs == 1 and config.dataset.subset == 2 and config.model.encoder_weights is None


@pytest.mark.parametrize(("row", "dataset"), END_TO_END)
def test_paper_config_at_ci_size(roots, tmp_path, cli, dataset, row):
    root, (height, width) = roots[dataset]
    smoke = CONFIGS / "smoke" / dataset / f"{row}.yaml"
    config = load_config(smoke, [f"dataset.root={root}"])
    paper = load_config(CONFIGS / dataset / f"{row}.yaml")
    assert (config.dataset.name, config.model.name) == (paper.dataset.name, paper.model.name)
    done = cli("run", smoke, "--out", tmp_path, "--set", f"dataset.root={root}")
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["classes"] == list(DATASETS.get(dataset).classes)
    assert metrics["epochs"] == 1
    test_images = min(2, len(DATASETS.get(dataset)(config.dataset).list_pairs("test")))
    assert sum(map(sum, metrics["confusion_matrix"])) == test_images * height * width  # native resolution


def test_psp_pretrained_without_the_release_file_stops_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    config = load_config(CONFIGS / "camvid" / "psp_pretrained.yaml", [f"output.dir={tmp_path}",
                                                                      "model.input_size=[64,96]",
                                                                      "dataset.root=/nonexistent"])
    with pytest.raises(ConfigError, match=r"model.weights: ade20k needs .*/keras/models/pspnet50_ade20k.h5, which is "
                                          r"not there and is not downloaded here: place https://www.dropbox.com/"):
        MODELS.get("pspnet_50")(config.model, 12)


@pytest.mark.parametrize("row", PAPER_ROWS)
def test_reference_cpu_configs_differ_from_the_paper_only_where_their_notes_say(row):
    """configs/reference/camvid-cpu: SegNet is the paper's config itself; the other rows change the input size,
    the epochs and the weights (none can be had here), nothing else."""
    ours = load_config(CONFIGS / "reference" / "camvid-cpu" / f"{row}.yaml").model_dump()
    paper = load_config(CONFIGS / "camvid" / f"{row}.yaml").model_dump()
    if row == "segnet":
        assert ours == paper
        return
    assert ours["model"]["input_size"] == [192, 256] and ours["train"]["epochs"] <= paper["train"]["epochs"]
    assert ours["model"]["encoder_weights"] is None and ours["model"].get("weights") is None
    for section, key in (("model", "input_size"), ("train", "epochs"), ("model", "encoder_weights"),
                         ("model", "weights")):
        ours[section].pop(key, None)
        paper[section].pop(key, None)
    assert ours == paper


@pytest.mark.parametrize("row", PAPER_ROWS)
def test_reference_gpu_configs_are_the_paper_recipe_from_scratch(row):
    """configs/reference/camvid-gpu: the paper's config but for the weights (none can be had on the lent machine
    either) and the loader (threads, 16 of them)."""
    ours = load_config(CONFIGS / "reference" / "camvid-gpu" / f"{row}.yaml").model_dump()
    paper = load_config(CONFIGS / "camvid" / f"{row}.yaml").model_dump()
    assert ours["model"]["encoder_weights"] is None and ours["model"].get("weights") is None
    assert (ours["train"]["workers"], ours["train"]["use_multiprocessing"]) == (16, False)
    for config in (ours, paper):
        for section, key in (("model", "encoder_weights"), ("model", "weights"), ("train", "workers"),
                             ("train", "use_multiprocessing")):
            config[section].pop(key, None)
    assert ours == paper


def test_the_resolution_ablation_is_the_paper_segnet_at_the_cpu_input():
    """configs/reference/ablations/segnet_192x256: what it measures is the input size's share, so nothing else may
    differ from the paper-recipe SegNet row."""
    ours = load_config(CONFIGS / "reference" / "ablations" / "segnet_192x256.yaml").model_dump()
    paper = load_config(CONFIGS / "reference" / "camvid-cpu" / "segnet.yaml").model_dump()
    cpu = load_config(CONFIGS / "reference" / "camvid-cpu" / "vgg_unet.yaml").model_dump()
    assert ours["model"].pop("input_size") == cpu["model"]["input_size"] != paper["model"].pop("input_size")
    assert ours == paper
