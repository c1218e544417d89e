import json

import cv2
import numpy as np
import pytest
from helpers import write_pair

from segbench.config import dataset_config
from segbench.data.stats import class_pixels
from segbench.data.suim import SUIM, decode_mask, off_palette_pixels
from segbench.data.verify import verify
from segbench.errors import DataError
from segbench.registry import DATASETS


def suim(root, *overrides):
    return DATASETS.get("suim")(dataset_config("suim", str(root), overrides))


def mask_of(classes: np.ndarray) -> np.ndarray:
    """Class indices -> the RGB mask SUIM would ship (BGR for OpenCV to write)."""
    rgb = np.array(SUIM.palette, np.uint8)[classes]
    return rgb[..., ::-1].copy()


def test_colour_bits_decode_every_palette_colour():
    colours = np.array(SUIM.palette, np.uint8)[None]
    assert decode_mask(colours).tolist() == [list(range(8))]
    assert SUIM.palette[1] == (0, 0, 255) and SUIM.palette[6] == (255, 255, 0)  # divers blue, fish yellow


def test_off_palette_colours_decode_by_their_bits():
    rgb = np.array([[[250, 3, 130], [10, 200, 90], [255, 255, 255]]], np.uint8)
    assert decode_mask(rgb).tolist() == [[5, 2, 7]]
    assert off_palette_pixels(rgb) == 2


def test_shared_test_sample(shared_data):
    data = suim(shared_data / "suim-sample")
    samples = data.list_pairs("test")
    assert len(samples) == 8 and data.list_pairs("train") == []
    counts = class_pixels(data, samples)
    direct = np.zeros(8, np.int64)
    for sample in samples:
        direct += np.bincount(decode_mask(cv2.imread(str(sample.label))[..., ::-1]).ravel(), minlength=8)
    assert counts["pixels"] == direct.tolist()
    sizes = {data.load(s)[1].shape for s in samples}
    assert sizes == {(480, 640), (448, 480)}
    assert not any(r.problems for r in verify(data, ["test"]))  # the sample holds the test split only


@pytest.fixture
def train_val(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        classes = rng.integers(0, 8, (12, 16))
        write_pair(tmp_path / "train_val" / "images", tmp_path / "train_val" / "masks", f"x_{i:02d}",
                   mask_of(classes), label_suffix=".bmp")
    return tmp_path


def test_val_split_is_drawn_once_written_and_reused(train_val):
    data = suim(train_val)
    train, val = data.list_pairs("train"), data.list_pairs("val")
    assert (len(train), len(val)) == (18, 2)
    assert not {s.image.stem for s in train} & {s.image.stem for s in val}
    split_file = train_val / "segbench-split.json"
    stored = json.loads(split_file.read_text())
    assert sorted(stored["val"]) == sorted(s.image.stem for s in val)
    assert [s.image.stem for s in suim(train_val, "split_seed=5").list_pairs("val")] == stored["val"]  # file wins
    stored["val"] = ["x_00", "x_01", "x_02"]
    split_file.write_text(json.dumps(stored))
    assert [s.image.stem for s in suim(train_val).list_pairs("val")] == ["x_00", "x_01", "x_02"]


def test_another_seed_draws_another_split(train_val, tmp_path_factory):
    first = [s.image.stem for s in suim(train_val).list_pairs("val")]
    (train_val / "segbench-split.json").unlink()
    assert [s.image.stem for s in suim(train_val, "split_seed=1").list_pairs("val")] != first


def test_known_defects_are_warnings_and_repaired(train_val):
    mask_path = train_val / "train_val" / "masks" / "x_03.bmp"
    cv2.imwrite(str(mask_path), cv2.resize(cv2.imread(str(mask_path)), (8, 6), interpolation=cv2.INTER_NEAREST))
    odd = train_val / "train_val" / "masks" / "x_04.bmp"
    mask = cv2.imread(str(odd))
    mask[0, 0] = (3, 250, 130)
    cv2.imwrite(str(odd), mask)
    data = suim(train_val)
    problems = [p for r in verify(data, ["train", "val"]) for p in r.problems]
    assert {(p.path.split("/")[-1], p.severity) for p in problems} == {("x_03.bmp", "warning"), ("x_04.bmp", "warning")}
    sample = next(s for s in data.list_pairs("train") + data.list_pairs("val") if s.image.stem == "x_03")
    image, label = data.load(sample)
    assert label.shape == image.shape[:2] == (12, 16)


def test_a_negative_split_seed_is_refused_when_the_keys_are_checked():
    from segbench.errors import ConfigError

    # Once numpy's "expected non-negative integer" traceback, when the split was first drawn.
    with pytest.raises(ConfigError, match="split_seed: input should be greater than or equal to 0"):
        dataset_config("suim", "R", ["split_seed=-1"])


def test_two_images_of_one_stem_are_refused_naming_both(train_val):
    # SUIM's folders are paired by stem: a stray x_03.png beside x_03.jpg was taken in its place without a word.
    images = train_val / "train_val" / "images"
    (images / "x_03.png").write_bytes((images / "x_03.jpg").read_bytes())
    with pytest.raises(DataError, match=f"^{images / 'x_03.png'}: x_03.jpg beside it has the same name less"):
        suim(train_val).list_pairs("train")


def test_images_added_after_the_split_was_drawn_are_named_by_verify(train_val):
    """Probe 22a case 7: two pairs copied into train_val after segbench-split.json was drawn were in no split,
    used by no run, and verify said OK."""
    data = suim(train_val)
    assert len(data.list_pairs("train")) + len(data.list_pairs("val")) == 20
    for stem in ("extra1", "extra2"):
        write_pair(train_val / "train_val" / "images", train_val / "train_val" / "masks", stem,
                   mask_of(np.zeros((12, 16), np.int64)), label_suffix=".bmp")
    [train, *_] = verify(suim(train_val), ["train", "val"])
    said = (f"in no split: {train_val / 'segbench-split.json'} names it in none of its lists, so no run uses it; add "
            "its stem to one, or delete the file to draw the split again (one segbench drew)")
    assert [(p.path, p.message, p.severity) for p in train.problems] == [
        (str(train_val / "train_val" / "images" / f"{stem}.jpg"), said, "warning") for stem in ("extra1", "extra2")]
    assert not [p for r in verify(suim(train_val), ["test", "val"]) for p in r.problems if "in no split" in p.message]
