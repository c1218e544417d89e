"""Cityscapes, ADE20K and Pascal VOC: their official layouts and label conventions, on trees written here (no copy
of these datasets can be had), from hand-made files, imitated trees and archives built like the official ones."""

import tarfile
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from segbench.cli import main
from segbench.config import dataset_config
from segbench.data.cityscapes import CLASSES as CITYSCAPES
from segbench.data.prepare import prepare
from segbench.data.verify import verify
from segbench.registry import DATASETS
from segbench.rundir import read_metrics

LABEL_IDS = np.array([0, 1, 4, 7, 8, 11, 21, 23, 26, 33, 5])  # mapped ids, and 0, 1, 4, 5 that are not


def adapter(name, root):
    return DATASETS.get(name)(dataset_config(name, str(root)))


def write_cityscapes(root, split, city, number, size=(64, 128)):
    """One frame as the official archives hold it, labelIds drawn from mapped and unmapped ids."""
    stem = f"{city}_{number:06d}_000019"
    image_dir, label_dir = root / "leftImg8bit" / split / city, root / "gtFine" / split / city
    image_dir.mkdir(parents=True, exist_ok=True)
    label_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(number)
    ids = LABEL_IDS[rng.integers(0, len(LABEL_IDS), (size[0] // 8, size[1] // 8))].repeat(8, 0).repeat(8, 1)
    cv2.imwrite(str(image_dir / f"{stem}_leftImg8bit.png"), rng.integers(0, 255, (*size, 3), dtype=np.uint8))
    cv2.imwrite(str(label_dir / f"{stem}_gtFine_labelIds.png"), ids.astype(np.uint8))
    cv2.imwrite(str(label_dir / f"{stem}_gtFine_color.png"), np.zeros((*size, 3), np.uint8))
    (label_dir / f"{stem}_gtFine_polygons.json").write_text("{}")
    return label_dir / f"{stem}_gtFine_labelIds.png"


@pytest.fixture(scope="module")
def cityscapes_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cityscapes")
    for number, city in enumerate(("aachen", "bremen", "aachen")):
        write_cityscapes(root, "train", city, number)
    scored = [write_cityscapes(root, "val", "frankfurt", 10 + k) for k in range(2)]
    return root, scored


def test_cityscapes_ids_map_to_the_19_train_ids(cityscapes_tree):
    root, scored = cityscapes_tree
    data = adapter("cityscapes", root)
    assert len(data.classes) == 19 and data.classes[13] == "car" and data.ignore_index == 255
    assert [s.name for s in data.list_pairs("train")] == [
        "aachen_000000_000019_leftImg8bit.png", "aachen_000002_000019_leftImg8bit.png",
        "bremen_000001_000019_leftImg8bit.png"]
    ids = cv2.imread(str(scored[0]), cv2.IMREAD_UNCHANGED)
    train_ids = data.read_label(scored[0])
    expected = {label_id: train_id for train_id, (_, _, label_id) in enumerate(CITYSCAPES)}
    for label_id in np.unique(ids):
        assert set(np.unique(train_ids[ids == label_id])) == {expected.get(int(label_id), 255)}


def test_a_hand_made_cityscapes_tree_verifies_trains_and_counts_only_mapped_pixels(cityscapes_tree, tmp_path,
                                                                                     capsys):
    root, scored = cityscapes_tree
    assert main(["datasets", "verify", "cityscapes", "--root", str(root)]) == 0
    assert "cityscapes at" in capsys.readouterr().out
    out = tmp_path / "run"
    assert main(["run", "smoke/cityscapes/segnet", "--set", f"dataset.root={root}", "--out", str(out)]) == 0
    metrics = read_metrics(out)
    mapped = sum(int(np.isin(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), [c[2] for c in CITYSCAPES]).sum())
                 for path in scored)
    assert 0 < mapped < 2 * 64 * 128  # the unmapped ids (void) are there and left out
    assert np.asarray(metrics["confusion_matrix"]).sum() == mapped
    assert metrics["ignore_index"] == 255 and metrics["loss_ignore_index"] == 255 and len(metrics["classes"]) == 19


@pytest.mark.parametrize("name", ["ade20k", "voc"])
def test_imitated_trees_run_end_to_end_to_their_table(name, tmp_path, capsys):
    root = tmp_path / name
    assert main(["datasets", "imitate", name, "--root", str(root), "--size", "48x64"]) == 0
    assert not [p for r in verify(adapter(name, root)) for p in r.problems if p.severity == "error"]
    out = tmp_path / "results" / name / "segnet"
    assert main(["run", f"smoke/{name}/segnet", "--set", f"dataset.root={root}", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["results", str(tmp_path / "results")]) == 0
    table = capsys.readouterr().out
    assert name in table and "segnet" in table
    assert read_metrics(out)["num_images"] == 2


def test_ade20k_reduces_zero_to_void_and_voc_reads_its_palette_pngs(tmp_path):
    ade = adapter("ade20k", tmp_path / "ade")
    raw = np.array([[0, 1, 150]], np.uint8)
    (tmp_path / "ade").mkdir()
    cv2.imwrite(str(tmp_path / "ade" / "a.png"), raw)
    assert ade.read_label(tmp_path / "ade" / "a.png").tolist() == [[255, 0, 149]]
    voc = adapter("voc", tmp_path / "voc")
    path = tmp_path / "voc.png"
    voc.write_label(path, np.array([[0, 15, 255]], np.uint8))
    with Image.open(path) as image:
        assert image.mode == "P" and image.getpalette()[15 * 3:16 * 3] == [192, 128, 128]  # person's colour
    assert voc.read_label(path).tolist() == [[0, 15, 255]]


def archive_of(folder, path):
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            for item in sorted(folder.rglob("*")):
                zf.write(item, item.relative_to(folder))
    else:
        with tarfile.open(path, "w") as tf:
            for item in sorted(folder.iterdir()):
                tf.add(item, item.name)
    return path


def test_prepare_from_the_official_archive_names(tmp_path):
    # Cityscapes: two archives, each a tree beside a licence and a README
    made = tmp_path / "made"
    write_cityscapes(made / "cs", "train", "ulm", 1)
    write_cityscapes(made / "cs", "val", "lindau", 2)
    for part, archive in (("leftImg8bit", "leftImg8bit_trainvaltest.zip"), ("gtFine", "gtFine_trainvaltest.zip")):
        (made / part).mkdir()
        (made / part / "license.txt").write_text("terms")
        (made / "cs" / part).rename(made / part / part)
        prepare(DATASETS.get("cityscapes"), "cityscapes", tmp_path / "cityscapes",
                archive_of(made / part, tmp_path / archive))
    data = adapter("cityscapes", tmp_path / "cityscapes")
    assert [len(data.list_pairs(s)) for s in ("train", "test")] == [1, 1]
    # ADE20K and VOC: imitated, packed as their releases are, then prepared into a new root
    for name, inside, archive in (("ade20k", "ADEChallengeData2016", "ADEChallengeData2016.zip"),
                                  ("voc", "VOCdevkit/VOC2012", "VOCtrainval_11-May-2012.tar")):
        assert main(["datasets", "imitate", name, "--root", str(made / name / inside), "--images", "2,0,1"]) == 0
        root = tmp_path / "prepared" / name
        prepare(DATASETS.get(name), name, root, archive_of(made / name, tmp_path / archive))
        data = adapter(name, root)
        assert [len(data.list_pairs(s)) for s in ("train", "test")] == [2, 1]
        assert not [p for r in verify(data) for p in r.problems if p.severity == "error"]
