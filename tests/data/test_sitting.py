import json
import re

import cv2
import numpy as np
import pytest
import scipy.io

from segbench.config import dataset_config
from segbench.data.sitting import CLASSES
from segbench.data.verify import verify
from segbench.errors import DataError
from segbench.registry import DATASETS


def sitting(root, *overrides):
    return DATASETS.get("sitting")(dataset_config("sitting", str(root), overrides))


@pytest.fixture
def dataset(tmp_path):
    """Twelve images of the real layout: Sitting/img/imageN.jpg + Sitting/masks/imageN.mat (variable M)."""
    for folder in ("img", "masks"):
        (tmp_path / "Sitting" / folder).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for n in range(1, 13):
        cv2.imwrite(str(tmp_path / "Sitting" / "img" / f"image{n}.jpg"), rng.integers(0, 255, (30, 30, 3), np.uint8))
        scipy.io.savemat(tmp_path / "Sitting" / "masks" / f"image{n}.mat", {"M": np.full((30, 30), n % 15, np.uint8)})
    return tmp_path


def test_classes_follow_the_papers_columns():
    assert len(CLASSES) == 15 and CLASSES[0] == "background" and CLASSES[3] == "right lower arm"


def test_labels_come_from_variable_m(dataset):
    data = sitting(dataset)
    sample = next(s for s in data.list_pairs("test") if s.image.stem == "image7")
    image, label = data.load(sample)
    assert image.shape == (30, 30, 3) and (label == 7).all()


def test_split_is_contiguous_by_number_and_written(dataset):
    data = sitting(dataset)
    stems = {split: [s.image.stem for s in data.list_pairs(split)] for split in ("train", "val", "test")}
    assert stems == {"train": ["image1", "image2", "image3"], "val": ["image4"],
                     "test": [f"image{n}" for n in range(5, 13)]}  # image10 sorts by number, not as text
    stored = json.loads((dataset / "segbench-split.json").read_text())
    assert stored["test"] == stems["test"]


def test_the_users_own_lists_replace_the_split(dataset, tmp_path):
    own = tmp_path / "mine.json"
    own.write_text(json.dumps({"train": ["image12"], "val": [], "test": ["image1"]}))
    data = sitting(dataset, f"split_file={own}")
    assert [s.image.stem for s in data.list_pairs("train")] == ["image12"]
    assert [s.image.stem for s in data.list_pairs("test")] == ["image1"]


def test_root_may_be_the_sitting_folder_itself(dataset):
    assert len(sitting(dataset / "Sitting").list_pairs("test")) == 8


def test_verify_names_broken_mat_files(dataset):
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image5.mat", {"M": np.full((30, 30), 20, np.uint8)})
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image6.mat", {"Q": np.zeros((30, 30))})
    (dataset / "Sitting" / "masks" / "image8.mat").write_bytes(b"not a mat file")
    # MATLAB's doubles: whole ones are indices (image9), a fraction is none (2.5 was truncated into class 2).
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image9.mat", {"M": np.full((30, 30), 9.0)})
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image10.mat", {"M": np.full((30, 30), 2.5)})
    # A cell or a struct M ended verify in numpy's traceback.
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image11.mat", {"M": np.array([np.zeros((30, 30))], dtype=object)})
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image12.mat", {"M": {"a": np.zeros((30, 30))}})
    # A complex one was read by its real part (behind numpy's warning); text has no classes either.
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image3.mat", {"M": np.full((30, 30), 1 + 0.5j)})
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image7.mat", {"M": np.array(["abc", "def"])})
    problems = {p.path.split("/")[-1]: p.message for r in verify(sitting(dataset)) for p in r.problems}
    assert problems["image5.mat"] == "label values 20 outside [0, 15)"
    assert problems["image6.mat"].startswith("no variable M")
    assert problems["image8.mat"].startswith("not a readable MATLAB file")
    assert problems["image10.mat"].startswith("M holds 2.5, not a class index")
    for name, held in (("image11", "a cell array or struct"), ("image12", "a cell array or struct"),
                       ("image3", "complex numbers"), ("image7", "text")):
        assert problems[f"{name}.mat"] == f"M is not a 2-D map of class indices (it holds {held})"
    assert len(problems) == 8


def test_imitate_writes_the_documented_layout_and_the_adapter_reads_it(tmp_path):
    from segbench.data.imitation import imitate

    data = sitting(tmp_path / "new")
    assert imitate(data, {"train": 3, "val": 1, "test": 2}, (24, 32)) == 6
    assert sorted(p.name for p in (tmp_path / "new" / "Sitting").iterdir()) == ["img", "masks"]  # as `datasets list`
    assert len(data.samples("train")) + len(data.samples("val")) + len(data.samples("test")) == 6
    # A root that is Sitting/ itself is still read as such.
    assert sitting(tmp_path / "new" / "Sitting").data_dir == tmp_path / "new" / "Sitting"


def test_a_fifo_as_the_split_file_is_one_line_not_a_hang(dataset, capsys):
    """Reading a FIFO blocks until a writer comes: verify and run hung for good on one as segbench-split.json."""
    import os
    import signal

    from segbench.cli import main

    os.mkfifo(dataset / "segbench-split.json")
    signal.alarm(20)  # fail rather than hang
    try:
        assert main(["datasets", "verify", "sitting", "--root", str(dataset)]) == 2
    finally:
        signal.alarm(0)
    assert capsys.readouterr().err.strip().splitlines() == [
        f"segbench: error: {dataset / 'segbench-split.json'}: is a FIFO (a named pipe), not a file"]


def test_a_matlab_v73_label_is_one_line_naming_it(dataset, capsys):
    """scipy raises NotImplementedError for a v7.3 (HDF5) .mat: verify ended in a traceback, stats blamed the image."""
    from segbench.cli import main

    mat = dataset / "Sitting" / "masks" / "image1.mat"
    # What `save -v7.3` writes: a 128-byte header of version 0x0200 ("IM": little-endian), then an HDF5 file.
    mat.write_bytes(b"MATLAB 7.3 MAT-file".ljust(116) + bytes(8) + b"\x00\x02IM" + b"\x89HDF\r\n\x1a\n" + bytes(512))
    said = f"{mat}: a MATLAB v7.3 (HDF5) file, which cannot be read here; save it with -v7 or earlier"
    assert main(["datasets", "verify", "sitting", "--root", str(dataset)]) == 1
    assert f"ERROR {said}" in capsys.readouterr().out.splitlines()
    assert main(["datasets", "stats", "sitting", "--root", str(dataset), "--split", "train"]) == 2
    assert capsys.readouterr().err.strip() == f"segbench: error: {said}"


def test_an_image_in_two_splits_of_the_split_file_is_an_error_and_one_listed_twice_is_said_so(dataset):
    """A split file naming image4 in train and test passed verify: test scored an image trained on. A stem twice in
    one split was "image2.jpg and image2.jpg: two images of one name"."""
    split_file = dataset / "segbench-split.json"
    split_file.write_text(json.dumps({"train": ["image1", "image2", "image4"], "val": ["image3"],
                                      "test": ["image4", "image5", "image6"]}))
    problems = [(p.severity, p.path, p.message) for r in verify(sitting(dataset)) for p in r.problems
                if not p.message.startswith("in no split")]  # image7..12: the next test's
    said = "in train and test (1 of test's 3 images): a score of images trained on; give each image one split"
    assert problems == [("error", str(dataset / "Sitting" / "img" / "image4.jpg"), said)]
    split_file.write_text(json.dumps({"train": ["image1", "image2", "image2"], "test": ["image5"]}))
    with pytest.raises(DataError, match=f"^{split_file}: train lists image2 twice; each image once$"):
        sitting(dataset).list_pairs("train")


@pytest.mark.parametrize("listed, said", [(["image10", "image11.jpg", "image99"], "image11.jpg (and 1 more)"),
                                          ([10, 11], None)], ids=["a-suffix-and-a-typo", "numbers"])
def test_a_split_file_naming_no_image_is_refused_not_cut_short(dataset, listed, said):
    """`"test": ["image5", "image6.jpg", "image99"]` trained and scored on image5 alone, and verify said OK."""
    (dataset / "segbench-split.json").write_text(json.dumps({"train": ["image1", "image2"], "val": ["image3"],
                                                             "test": listed}))
    with pytest.raises(DataError, match=rf"segbench-split.json: test names {re.escape(said or '10 (and 1 more)')}, "
                                        "which is no image of the dataset; name each image by its file's stem"):
        sitting(dataset).list_pairs("test")
    assert [s.image.stem for s in sitting(dataset).list_pairs("train")] == ["image1", "image2"]


@pytest.mark.parametrize("test", [[], None], ids=["empty", "left-out"])
def test_a_split_file_whose_test_names_no_image_is_named_for_it(dataset, test):
    """"no test pairs; sitting expects Sitting/img/imageN.jpg + ..." blamed a layout all the files met: the split
    file's empty test list was the cause, and went unnamed (probe 17a case 5). An empty val is a split of its own."""
    split_file = dataset / "segbench-split.json"
    split_file.write_text(json.dumps({"train": ["image1", "image2"], "val": [], **({} if test is None else
                                                                                 {"test": test})}))
    with pytest.raises(DataError, match=rf"^{split_file}: test names no images \(of the \d+ there\), so there is "
                                        "nothing to score; list some, or delete the file to draw the split again$"):
        sitting(dataset).list_pairs("test")
    assert sitting(dataset).list_pairs("val") == []


def test_an_image_no_list_of_the_split_file_names_is_a_warning(dataset, tmp_path):
    own = tmp_path / "mine.json"
    own.write_text(json.dumps({"train": ["image12"], "val": [], "test": ["image1"]}))
    [train, *_] = verify(sitting(dataset, f"split_file={own}"))
    left = [p for p in train.problems if p.message.startswith("in no split")]
    assert sorted(p.path for p in left) == sorted(str(dataset / "Sitting" / "img" / f"image{n}.jpg")
                                                  for n in range(2, 12))
    assert {p.severity for p in left} == {"warning"}
    [train, *_] = verify(sitting(dataset))  # the split segbench drew names all twelve
    assert not [p for p in train.problems if p.message.startswith("in no split")]


@pytest.mark.parametrize("value, dtype", [(-1, np.int16), (300, np.uint16)])
def test_a_value_no_byte_holds_is_named_not_blamed_on_the_shape(dataset, value, dtype):
    """Probe 22a case 14: M holding -1 or 300 was "not a 2-D map of class indices (shape (30, 30))", of a map whose
    shape was right; 20 was named as a value off the classes, as these are now."""
    label = np.zeros((30, 30), dtype)
    label[0, 0] = value
    scipy.io.savemat(dataset / "Sitting" / "masks" / "image3.mat", {"M": label})
    data = sitting(dataset)
    sample = next(s for s in data.list_pairs("train") if s.image.stem == "image3")
    with pytest.raises(DataError) as refused:
        data.load(sample)
    assert str(refused.value) == f"{sample.label}: label values {value} outside [0, 15)"
