import pytest
from helpers import stripes, write_pair

from segbench.config import dataset_config
from segbench.data.stats import class_pixels
from segbench.data.verify import verify
from segbench.errors import ConfigError
from segbench.registry import DATASETS


def folder(root, *overrides):
    return DATASETS.get("folder")(dataset_config("folder", str(root), overrides))


def test_pairs_by_stem_with_names_from_the_config(tmp_path):
    for stem in ("b", "a"):
        write_pair(tmp_path / "images", tmp_path / "annotations", stem, stripes(6, 6, [0, 1, 2]), ".png")
    data = folder(tmp_path, "num_classes=3", "class_names=[sky, sea, sand]")
    assert [s.image.name for s in data.list_pairs("train")] == ["a.png", "b.png"]
    assert data.classes == ("sky", "sea", "sand") and len(set(data.palette)) == 3
    assert data.list_pairs("test") == []
    assert class_pixels(data, data.list_pairs("train"))["pixels"] == [24, 24, 24]


def test_other_folder_pairs_per_split(tmp_path):
    write_pair(tmp_path / "imgs_test", tmp_path / "segs_test", "t", stripes(4, 4, [1]), ".png")
    data = folder(tmp_path, "num_classes=2", "test=[imgs_test, segs_test]")
    assert [s.image.name for s in data.list_pairs("test")] == ["t.png"]


def test_a_void_label_of_255_is_not_an_error(tmp_path):
    write_pair(tmp_path / "images", tmp_path / "annotations", "v", stripes(4, 4, [0, 255]), ".png")
    data = folder(tmp_path, "num_classes=2", "ignore_index=255")
    assert not any(r.problems for r in verify(data, ["train"]))
    counts = class_pixels(data, data.list_pairs("train"))
    assert (counts["images"], counts["pixels"], counts["ignored"]) == (1, [8, 0], 8)


def test_config_errors():
    with pytest.raises(ConfigError, match="missing key 'dataset.num_classes'"):
        dataset_config("folder", "x")
    with pytest.raises(ConfigError, match="class_names has 2 names for 3 classes"):
        dataset_config("folder", "x", ["num_classes=3", "class_names=[a, b]"])
    with pytest.raises(ConfigError, match=r"unknown key 'dataset.num_clases' \(did you mean 'dataset.num_classes'"):
        dataset_config("folder", "x", ["num_clases=3"])


def test_median_frequency_by_hand():
    from segbench.data.stats import median_frequency

    # class 0: 30 px in images of 100 px total; class 1: 10 of 50; class 2: 5 of 50; class 3 never seen
    weights = median_frequency([30, 10, 5, 0], [100, 50, 50, 0])
    freqs = [0.3, 0.2, 0.1]
    assert weights == pytest.approx([0.2 / f for f in freqs] + [0.0])


def test_present_pixels_count_whole_images(tmp_path):
    write_pair(tmp_path / "images", tmp_path / "annotations", "a", stripes(4, 4, [0, 1]), ".png")
    write_pair(tmp_path / "images", tmp_path / "annotations", "b", stripes(4, 4, [0]), ".png")
    data = folder(tmp_path, "num_classes=3")
    counts = class_pixels(data, data.list_pairs("train"))
    assert counts["pixels"] == [24, 8, 0] and counts["present_pixels"] == [32, 16, 0]
