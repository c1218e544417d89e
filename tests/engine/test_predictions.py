import numpy as np
import pandas as pd
import pytest

from segbench.config import load_config
from segbench.data.base import Sample
from segbench.engine import predictions
from segbench.engine.run import execute
from segbench.errors import ConfigError, DataError
from segbench.metrics import confusion_matrix
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
    assert Sample(id="/data/camvid/test/0001TP_008550.jpg").stem == "0001TP_008550"
    assert Sample(id="synthetic/test/00003").stem == "00003"
    assert Sample(id="a/b c:d.png").stem == "b_c_d"


def test_saved_files_read_back_exactly_and_the_input_is_shrunk(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (600, 960, 3), dtype=np.uint8)
    label = rng.integers(0, 12, (600, 960), dtype=np.uint8)
    prediction = rng.integers(0, 12, (600, 960)).astype(np.int64)  # argmax output
    predictions.save(tmp_path / predictions.FOLDER, "frame", image, label, prediction)
    kept = predictions.read(tmp_path, 12)
    assert list(kept) == ["frame"]
    assert kept["frame"]["input"].shape == (300, 480, 3)  # longer side 480, aspect kept
    assert (kept["frame"]["label"] == label).all()
    assert (kept["frame"]["pred"] == prediction).all()
    assert not [p for p in (tmp_path / predictions.FOLDER).iterdir() if p.name.startswith(".")]


def test_classes_past_255_are_kept_as_they_are(tmp_path):
    """A run of 300 classes kept its predictions as uint8: class 260 was kept, and drawn, as class 4."""
    label = np.array([[0, 2, 65535]], np.uint16)  # a 16-bit void
    prediction = np.array([[260, 299, 1]], np.int64)
    predictions.save(tmp_path / predictions.FOLDER, "wide", np.zeros((1, 3, 3), np.uint8), label, prediction)
    kept = predictions.read(tmp_path, 300)["wide"]
    assert kept["pred"].tolist() == [[260, 299, 1]] and kept["label"].tolist() == [[0, 2, 65535]]


def test_a_missing_part_is_named(tmp_path):
    image, label = np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)
    predictions.save(tmp_path / predictions.FOLDER, "x", image, label, label)
    (tmp_path / predictions.FOLDER / "x.label.png").unlink()
    with pytest.raises(DataError, match=r"x\.label\.png: missing"):
        predictions.read(tmp_path, 2)


def test_a_prediction_not_the_runs_is_named(tmp_path):
    """A kept prediction replaced by another picture was drawn as void (black) where the classes were 0..11."""
    image, label = np.zeros((8, 10, 3), np.uint8), np.ones((8, 10), np.uint8)
    folder = tmp_path / predictions.FOLDER
    predictions.save(folder, "x", image, label, label)
    assert list(predictions.read(tmp_path, 2)) == ["x"]
    predictions.save(folder, "x", image, label, np.full((8, 10), 200))
    with pytest.raises(DataError, match=r"x\.pred\.png: holds 200, no class of the run's 2"):
        predictions.read(tmp_path, 2)
    predictions.save(folder, "x", image, label, np.ones((7, 9)))
    with pytest.raises(DataError, match=r"x\.pred\.png: 9x7, but its label is 10x8"):
        predictions.read(tmp_path, 2)


def test_the_keeper_saves_only_the_chosen_and_clears_old_files(tmp_path):
    stale = tmp_path / predictions.FOLDER / "old.pred.png"
    stale.parent.mkdir()
    stale.write_bytes(b"")
    split = samples("s/a.png", "s/b.png", "s/c.png")
    keep = predictions.Keeper(tmp_path, split, 2, None)
    assert not stale.exists()
    image, label = np.zeros((4, 6, 3), np.uint8), np.ones((4, 6), np.uint8)
    for sample in split:
        keep(sample, image, label, label, confusion_matrix(label, label, 2))
    assert sorted(p.name for p in (tmp_path / predictions.FOLDER).iterdir() if p.is_file()) == [
        "a.input.jpg", "a.label.png", "a.pred.png", "c.input.jpg", "c.label.png", "c.pred.png"]
    nothing = predictions.Keeper(tmp_path, split, 0, None)
    for sample in split:
        nothing(sample, image, label, label, confusion_matrix(label, label, 2))
    nothing.finish()
    assert not (tmp_path / predictions.FOLDER).exists()


def test_the_keeper_ranks_the_worst_images_by_their_own_miou(tmp_path):
    """Six images whose predictions get 0..5 pixels of 24 wrong, in shuffled order: the three worst are kept,
    worst first, whatever order they came in; a tie goes to the earlier image."""
    rng = np.random.default_rng(0)
    wrong = [2, 5, 0, 4, 1, 5]
    split = samples(*(f"s/{i}.png" for i in range(len(wrong))))
    keep = predictions.Keeper(tmp_path, split, 3, None)
    label = np.zeros((4, 6), np.uint8)
    label[:, 3:] = 1
    for sample, count in zip(split, wrong):
        prediction = label.copy()
        prediction.flat[rng.choice(24, count, replace=False)] ^= 1
        image = rng.integers(0, 255, (4, 6, 3), dtype=np.uint8)
        keep(sample, image, label, prediction, confusion_matrix(label, prediction, 2))
    assert not (tmp_path / predictions.FOLDER / predictions.WORST).exists()  # nothing before the split is done
    keep.finish()
    worst = predictions.read(tmp_path, 2, worst=True)
    assert list(worst) == ["01-1", "02-5", "03-3"]  # 5, 5 (the earlier first), then 4 wrong pixels
    assert [int((w["pred"] != w["label"]).sum()) for w in worst.values()] == [5, 5, 4]
    assert list(predictions.read(tmp_path, 2)) == ["0", "2", "5"]  # the evenly spaced ones, unaffected


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
    kept = predictions.read(tmp_path, data.num_classes)
    assert list(kept) == [s.stem for s in chosen] == ["00000", "00003"]
    for sample in chosen:
        image, label = data.load(sample)
        saved = kept[sample.stem]
        assert (saved["label"] == label).all()
        assert saved["pred"].shape == label.shape == (40, 56)  # native, not the 32x48 model input
        assert saved["pred"].max() < data.num_classes
        assert saved["input"].shape == image.shape
        # A JPEG of the same picture, in RGB order: the mean colour survives compression, a channel swap would not.
        assert saved["input"].mean(axis=(0, 1)) == pytest.approx(image.mean(axis=(0, 1)), abs=2)
    # The worst ones are the first rows of per_image.csv, worst first.
    worst = list(predictions.read(tmp_path, data.num_classes, worst=True))
    table = pd.read_csv(tmp_path / "per_image.csv", dtype={"image": str})
    assert [name.split("-", 1)[1] for name in worst] == list(table["image"][:2])  # one name for an image


def test_a_run_of_300_classes_is_predicted_and_drawn_in_its_own_colours(tmp_path):
    """predict refused a run of more classes than a palette PNG holds; and every figure drew classes 256..299 in
    class 255's colour."""
    from types import SimpleNamespace

    from PIL import Image

    from segbench.data.folder import spread_colours
    from segbench.data.readers import read_index_png
    from segbench.engine.predict import SOFTWARE, predict_files
    from segbench.report.figures import colourize
    from segbench.report.fresh import png_text

    palette = spread_colours(300)
    classes = np.array([[260, 299], [1, 300]], np.int32)  # 300: a void outside the classes
    drawn = colourize(classes, palette)
    assert drawn[0, 0].tolist() == list(palette[260]) and drawn[0, 1].tolist() == list(palette[299])
    assert drawn[1, 1].tolist() == [0, 0, 0] and list(palette[260]) != list(palette[255])
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "photo.png")
    run = SimpleNamespace(adapter=SimpleNamespace(num_classes=300), palette=palette,
                          predict=lambda images, batch: [classes for _ in images])
    written, failures = predict_files(run, [(tmp_path / "photo.png", "photo")], tmp_path / "out", overlay=True)
    assert written == [tmp_path / "out" / "photo.png"] and failures == []
    assert read_index_png(written[0]).tolist() == classes.tolist()
    assert png_text(written[0], "Software") == SOFTWARE and (tmp_path / "out" / "photo.overlay.jpg").is_file()
