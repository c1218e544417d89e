import shutil

import cv2
import numpy as np
import pytest
from helpers import stripes, write_pair

from segbench.cli import main
from segbench.config import dataset_config
from segbench.data.stats import class_pixels
from segbench.data.verify import verify
from segbench.errors import DataError
from segbench.registry import DATASETS


def camvid(root):
    return DATASETS.get("camvid")(dataset_config("camvid", str(root)))


def direct_count(label_paths, num_classes):
    total = np.zeros(num_classes, np.int64)
    for path in label_paths:
        total += np.bincount(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).ravel(), minlength=num_classes)
    return total.tolist()


def test_segnet_layout_split_sizes_and_rerooted_lists(shared_data):
    data = camvid(shared_data / "camvid")
    assert [len(data.list_pairs(s)) for s in ("train", "val", "test")] == [367, 101, 233]
    first = data.list_pairs("train")[0]
    assert first.image == shared_data / "camvid" / "train" / "0001TP_006690.jpg"
    assert first.label == shared_data / "camvid" / "trainannot" / "0001TP_006690.png"


def test_prepped_layout(shared_data):
    data = camvid(shared_data / "camvid-prepped-sample")
    assert [len(data.list_pairs(s)) for s in ("train", "val", "test")] == [5, 0, 3]
    image, label = data.load(data.list_pairs("test")[0])
    assert image.shape == (360, 480, 3) and label.shape == (360, 480)


@pytest.mark.parametrize("folder, split", [("camvid", "test"), ("camvid-prepped-sample", "train")])
def test_pixel_counts_equal_a_direct_count(shared_data, folder, split):
    data = camvid(shared_data / folder)
    samples = data.list_pairs(split)
    counts = class_pixels(data, samples)
    assert counts["images"] == len(samples)
    assert counts["pixels"] == direct_count([s.label for s in samples], 12)
    assert sum(counts["pixels"]) == len(samples) * 360 * 480


def test_shared_copies_verify_clean(shared_data, capsys):
    assert main(["datasets", "verify", "camvid", "--root", str(shared_data / "camvid")]) == 0
    # The prepped sample, the older library's own example, has no val split: a run trains without one, so verify
    # warns of it, naming the folder, and passes.
    prepped = ["datasets", "verify", "camvid", "--root", str(shared_data / "camvid-prepped-sample")]
    assert main([*prepped, "--split", "train", "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "ERROR" not in out and "train: 367 pairs, 0 errors" in out
    assert main(prepped) == 0
    out = capsys.readouterr().out
    assert "WARN  " in out and "images_prepped_val: no val pairs: a run trains without validation" in out
    assert "val: 0 pairs, 0 errors, 1 warnings" in out and out.rstrip().endswith(": OK")


def test_lists_written_for_png_find_the_jpg_files(tmp_path):
    write_pair(tmp_path / "test", tmp_path / "testannot", "f001", stripes(8, 8, [0, 3]))
    (tmp_path / "test.txt").write_text("/SegNet/CamVid/test/f001.png /SegNet/CamVid/testannot/f001.png\n")
    (sample,) = camvid(tmp_path).list_pairs("test")
    assert sample.image == tmp_path / "test" / "f001.jpg"


def test_a_malformed_list_line_is_named(tmp_path):
    (tmp_path / "train.txt").write_text("only-one-field\n")
    with pytest.raises(Exception, match=r"train.txt: line 1: expected 'IMAGE LABEL'"):
        camvid(tmp_path).list_pairs("train")


@pytest.fixture
def damaged(shared_data, tmp_path):
    """Six real test pairs in the SegNet layout (no list file), four of them damaged on purpose."""
    source = camvid(shared_data / "camvid").list_pairs("test")[:6]
    for sub in ("test", "testannot"):
        (tmp_path / sub).mkdir()
    for sample in source:
        shutil.copy(sample.image, tmp_path / "test")
        shutil.copy(sample.label, tmp_path / "testannot")
    names = [s.image.stem for s in source]
    truncated = tmp_path / "test" / f"{names[0]}.jpg"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (tmp_path / "testannot" / f"{names[1]}.png").unlink()
    small = tmp_path / "testannot" / f"{names[2]}.png"
    cv2.imwrite(str(small), cv2.resize(cv2.imread(str(small), 0), (240, 180), interpolation=cv2.INTER_NEAREST))
    bad = tmp_path / "testannot" / f"{names[3]}.png"
    label = cv2.imread(str(bad), 0)
    label[100:110, 100:110] = 200
    cv2.imwrite(str(bad), label)
    return tmp_path, names


def test_verify_names_every_deliberate_defect(damaged, capsys):
    root, names = damaged
    (report,) = verify(camvid(root), ["test"])
    found = {(p.path.split("/")[-1], p.message.split(" (")[0]) for p in report.problems}
    assert found == {
        (f"{names[0]}.jpg", "image damaged"),
        (f"{names[1]}.png", "label missing"),
        (f"{names[2]}.png", "label is 180x240 but its image is 360x480"),
        (f"{names[3]}.png", "label values 200 outside [0, 12)"),
    }
    assert all(p.severity == "error" for p in report.problems)
    assert main(["datasets", "verify", "camvid", "--root", str(root), "--split", "test"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("ERROR ") for line in lines) == 4
    assert "test: 6 pairs, 4 errors, 0 warnings" in lines


def test_an_orphan_label_is_reported(tmp_path):
    write_pair(tmp_path / "val", tmp_path / "valannot", "a", stripes(8, 8, [1, 2]))
    cv2.imwrite(str(tmp_path / "valannot" / "lonely.png"), stripes(8, 8, [1]))
    (report,) = verify(camvid(tmp_path), ["val"])
    assert [(p.path.split("/")[-1], p.message) for p in report.problems] == [("lonely.png", "label without an image")]


def test_missing_root_is_one_clear_error(tmp_path):
    with pytest.raises(Exception, match=r"no such folder \(camvid expects .*datasets prepare camvid"):
        camvid(tmp_path / "nowhere").list_pairs("train")


def test_a_list_naming_a_pair_twice_or_another_trees_files_names_its_line(tmp_path):
    """A line repeated said "train/a.png and train/a.png: two images of one name ... rename one", with no line; a line
    of another tree's images/train/a.jpg and annotations/train/a.png read train/a.png as image and label both."""
    write_pair(tmp_path / "train", tmp_path / "trainannot", "a", stripes(8, 8, [0, 3]), ".png")
    line = "/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png\n"
    (tmp_path / "train.txt").write_text(line * 2)
    with pytest.raises(DataError, match=r"train.txt: line 2 names the image of line 1 \(a\); each image once"):
        camvid(tmp_path).list_pairs("train")
    (tmp_path / "train.txt").write_text("/elsewhere/images/train/a.png /elsewhere/annotations/train/a.png\n")
    with pytest.raises(DataError, match=r"train.txt: line 1: its image and its label are both .*train/a.png once "
                                        "re-rooted"):
        camvid(tmp_path).list_pairs("train")
