import numpy as np
import pytest

from segbench.config import load_config
from segbench.data.base import Sample
from segbench.engine import predictions
from segbench.engine.run import execute
from segbench.errors import ConfigError, DataError
from segbench.registry import DATASETS


def samples(*ids):
    return [Sample(id=i) for i in ids]


def test_the_kept_samples_are_evenly_spaced_over_the_sorted_split():
    shuffled = samples(*(f"test/{i:02d}.png" for i in (7, 3, 9, 0, 5, 1, 8, 2, 6, 4)))
    chosen = predictions.figure_samples(shuffled, 4)
    assert [s.id for s in chosen] == ["test/00.png", "test/03.png", "test/06.png", "test/09.png"]
    assert predictions.figure_samples(shuffled, 0) == []
    assert len(predictions.figure_samples(shuffled[:2], 4)) == 2


def test_names_are_the_id_stems_made_safe():
    assert predictions.name_of(Sample(id="/data/camvid/test/0001TP_008550.jpg")) == "0001TP_008550"
    assert predictions.name_of(Sample(id="synthetic/test/00003")) == "00003"
    assert predictions.name_of(Sample(id="a/b c:d.png")) == "b_c_d"


def test_saved_files_read_back_exactly_and_the_input_is_shrunk(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (600, 960, 3), dtype=np.uint8)
    label = rng.integers(0, 12, (600, 960), dtype=np.uint8)
    prediction = rng.integers(0, 12, (600, 960)).astype(np.int64)  # argmax output
    predictions.save(tmp_path / predictions.FOLDER, "frame", image, label, prediction)
    kept = predictions.read(tmp_path)
    assert list(kept) == ["frame"]
    assert kept["frame"]["input"].shape == (300, 480, 3)  # longer side 480, aspect kept
    assert (kept["frame"]["label"] == label).all()
    assert (kept["frame"]["pred"] == prediction).all()
    assert not [p for p in (tmp_path / predictions.FOLDER).iterdir() if p.name.startswith(".")]


def test_a_missing_part_is_named(tmp_path):
    image, label = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)
    predictions.save(tmp_path / predictions.FOLDER, "x", image, label, label)
    (tmp_path / predictions.FOLDER / "x.label.png").unlink()
    with pytest.raises(DataError, match=r"x\.label\.png: missing"):
        predictions.read(tmp_path)


def test_the_keeper_saves_only_the_chosen_and_clears_old_files(tmp_path):
    stale = tmp_path / predictions.FOLDER / "old.pred.png"
    stale.parent.mkdir()
    stale.write_bytes(b"")
    split = samples("s/a.png", "s/b.png", "s/c.png")
    keep = predictions.keeper(tmp_path, split, 2)
    assert not stale.exists()
    image, label = np.zeros((4, 6, 3), np.uint8), np.ones((4, 6), np.uint8)
    for sample in split:
        keep(sample, image, label, label)
    assert sorted(p.name for p in (tmp_path / predictions.FOLDER).iterdir()) == [
        "a.input.jpg", "a.label.png", "a.pred.png", "c.input.jpg", "c.label.png", "c.pred.png"]
    assert predictions.keeper(tmp_path, split, 0) is None
    assert not (tmp_path / predictions.FOLDER).exists()


def test_figure_images_is_a_strict_count(smoke_config):
    assert load_config(smoke_config).eval.figure_images == 4
    for bad in ("-1", "'2'"):
        with pytest.raises(ConfigError, match="eval.figure_images"):
            load_config(smoke_config, [f"eval.figure_images={bad}"])


def test_a_run_keeps_its_predictions_at_native_resolution(smoke_config, tmp_path):
    cfg = load_config(smoke_config, [f"output.dir={tmp_path}", "eval.figure_images=2", "train.epochs=1"])
    execute(cfg)
    data = DATASETS.get("synthetic")(cfg.dataset)
    test = data.samples("test")
    chosen = predictions.figure_samples(test, 2)
    kept = predictions.read(tmp_path)
    assert list(kept) == [predictions.name_of(s) for s in chosen] == ["00000", "00003"]
    for sample in chosen:
        image, label = data.load(sample)
        saved = kept[predictions.name_of(sample)]
        assert (saved["label"] == label).all()
        assert saved["pred"].shape == label.shape == (40, 56)  # native, not the 32x48 model input
        assert saved["pred"].max() < data.num_classes
        assert saved["input"].shape == image.shape
        # A JPEG of the same picture, in RGB order: the mean colour survives compression, a channel swap would not.
        assert saved["input"].mean(axis=(0, 1)) == pytest.approx(image.mean(axis=(0, 1)), abs=2)
