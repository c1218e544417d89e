import json
import shutil

import cv2
import numpy as np
import pytest
import yaml
from helpers import stripes, write_pair

from segbench.cli import main
from segbench.config import dataset_config, load_config
from segbench.data.imitation import imitate
from segbench.data.pairs import read_pair
from segbench.data.stats import class_pixels
from segbench.data.verify import verify
from segbench.errors import ConfigError, DataError
from segbench.registry import DATASETS


def folder(root, *overrides):
    return DATASETS.get("folder")(dataset_config("folder", str(root), overrides))


def class_file(root, **description):
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.yaml").write_text(yaml.safe_dump(description))


def problems(data, splits=("train",)):
    return [(p.severity, p.path, p.message) for report in verify(data, splits) for p in report.problems]


def test_pairs_by_stem_with_names_from_the_config(tmp_path):
    for stem in ("b", "a"):
        write_pair(tmp_path / "images", tmp_path / "annotations", stem, stripes(6, 6, [0, 1, 2]), ".png")
    data = folder(tmp_path, "classes=[sky, sea, sand]")
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
    data = folder(tmp_path, "num_classes=2", "void=255")
    assert not problems(data)
    counts = class_pixels(data, data.list_pairs("train"))
    assert (counts["images"], counts["pixels"], counts["ignored"]) == (1, [8, 0], 8)


def test_a_label_in_a_suffix_not_read_is_named_beside_the_missing_one(tmp_path):
    """img0.tif beside its img0.png image: verify named a missing img0.png and nothing of the .tif."""
    _, label = write_pair(tmp_path / "images", tmp_path / "annotations", "v", stripes(4, 4, [0, 1]), ".png")
    label.rename(label.with_suffix(".tif"))
    said = "label missing (v.tif there: labels are read from .png, .jpg, .jpeg, .jpe, .jfif, .jif, .bmp, .mat files)"
    data = folder(tmp_path, "num_classes=2")
    assert problems(data) == [("error", str(label), said)]
    # stats, show and run said "v.png: missing", of a file never there, and nothing of the .tif (probe 19a case 14).
    with pytest.raises(DataError) as refused:
        read_pair(data, data.list_pairs("train")[0])
    assert str(refused.value) == f"{label}: {said}"


def test_a_value_neither_class_nor_void_stays_a_one_line_error(tmp_path):
    _, label = write_pair(tmp_path / "images", tmp_path / "annotations", "v", stripes(4, 4, [0, 7]), ".png")
    data = folder(tmp_path, "num_classes=2", "void=255")
    assert problems(data) == [("error", str(label), "label values 7 outside [0, 2)")]
    with pytest.raises(DataError, match=f"{label}: label values 7 outside"):
        read_pair(data, data.list_pairs("train")[0])


def test_a_pair_in_a_format_not_read_is_named_not_left_out_unseen(tmp_path):
    """An image and its label both stored as .tif (or .gif, below a subfolder) were left out of the split: verify
    said OK of a train split one pair short (probe 19a case 10). A .tif copy beside an image that is read is none."""
    from PIL import Image

    write_pair(tmp_path / "images", tmp_path / "annotations", "kept", stripes(4, 4, [0, 1]), ".png")
    for stem, suffix in (("tiff", ".tiff"), ("city/gif", ".gif")):
        for top in ("images", "annotations"):
            (tmp_path / top / "city").mkdir(parents=True, exist_ok=True)
        for path in write_pair(tmp_path / "images", tmp_path / "annotations", stem, stripes(4, 4, [0, 1]), ".png"):
            Image.open(path).save(path.with_suffix(suffix))
            path.unlink()
    shutil.copy(tmp_path / "images" / "tiff.tiff", tmp_path / "images" / "kept.tif")  # a copy of a pair's image
    said = "not read: images are read from .png, .jpg, .jpeg, .jpe, .jfif, .jif, .bmp files, so this one is left out of the train " \
           "split; convert it (and its label) to one of them"
    found = problems(folder(tmp_path, "num_classes=2"))
    assert [p for p in found if p[2] == said] == [("error", str(tmp_path / "images" / name), said)
                                                  for name in ("city/gif.gif", "tiff.tiff")]


def test_an_image_in_a_format_not_read_beside_its_label_is_refused_where_the_split_is_read(tmp_path, capsys):
    """A .tif image beside its .png label: verify named it, but stats, show, run and evaluate left the pair out
    without a word (run rc 0, scored on one image fewer; probe 20a case 6)."""
    from PIL import Image

    write_pair(tmp_path / "images", tmp_path / "annotations", "kept", stripes(4, 4, [0, 1]), ".png")
    image, _ = write_pair(tmp_path / "images", tmp_path / "annotations", "dropped", stripes(4, 4, [0, 1]), ".png")
    Image.open(image).save(image.with_suffix(".tif"))
    image.unlink()
    data = folder(tmp_path, "num_classes=2")
    said = ("not read: images are read from .png, .jpg, .jpeg, .jpe, .jfif, .jif, .bmp files, so this one is left out of the train "
            "split; convert it (and its label) to one of them")
    with pytest.raises(DataError) as refused:
        data.samples("train")
    assert str(refused.value) == f"{image.with_suffix('.tif')}: {said}"
    assert main(["datasets", "stats", "folder", "--root", str(tmp_path), "--split", "train", "--set",
                 "num_classes=2"]) == 2
    assert capsys.readouterr().err.strip() == f"segbench: error: {image.with_suffix('.tif')}: {said}"
    image.with_suffix(".tif").unlink()
    assert [s.image.name for s in data.samples("train")] == ["kept.png"]  # the label alone: an orphan, as before


def test_a_label_of_another_size_is_named_in_verify_s_words_by_every_reader(tmp_path):
    """verify named the label ("label is 3x4 but its image is 4x4"), stats, show and run the image in other words
    (probe 19a case 13)."""
    _, label = write_pair(tmp_path / "images", tmp_path / "annotations", "v", stripes(3, 4, [0, 1]), ".png")
    cv2.imwrite(str(tmp_path / "images" / "v.png"), np.zeros((4, 4, 3), np.uint8))
    data = folder(tmp_path, "num_classes=2")
    said = "label is 3x4 but its image is 4x4"
    assert problems(data) == [("error", str(label), said)]
    with pytest.raises(DataError) as refused:
        read_pair(data, data.list_pairs("train")[0])
    assert str(refused.value) == f"{label}: {said}"


def test_config_errors():
    with pytest.raises(ConfigError, match="classes has 2 names for num_classes 3"):
        dataset_config("folder", "x", ["num_classes=3", "classes=[a, b]"])
    with pytest.raises(ConfigError, match=r"unknown key 'dataset.num_clases' \(did you mean 'dataset.num_classes'"):
        dataset_config("folder", "x", ["num_clases=3"])
    with pytest.raises(ConfigError, match="a split names its images and labels folders, or a list file"):
        dataset_config("folder", "x", ["num_classes=3", "train={images: a}"])


def test_without_classes_or_a_class_file_it_says_where_the_file_would_be(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'classes.yaml'}: no class file, and the config names no "):
        folder(tmp_path)


def test_a_nested_tree_with_suffix_pairing_a_mapping_and_255_void(tmp_path):
    """Cityscapes' shape of tree, described by a class file alone: <split>/<city>/<name><suffix>, label ids mapped
    to train ids, the ids the mapping leaves out void."""
    class_file(tmp_path, classes=["road", "car"], void=255, mapping={7: 0, 26: 1},
               image_suffix="_leftImg8bit.png", label_suffix="_gtFine_labelIds.png",
               train={"images": "left/train", "labels": "gt/train"})
    ids = np.array([[7, 7, 26, 3], [7, 26, 26, 0]], np.uint8)
    for city in ("bremen", "aachen"):
        write_pair(tmp_path / "left/train" / city, tmp_path / "gt/train" / city, f"{city}_01", ids,
                   "_leftImg8bit.png", "_gtFine_labelIds.png")
    # beside them, files the suffix rule leaves alone, and a label whose image is missing
    cv2.imwrite(str(tmp_path / "gt/train/aachen/aachen_01_gtFine_color.png"), np.zeros((2, 4, 3), np.uint8))
    orphan = tmp_path / "gt/train/aachen/aachen_02_gtFine_labelIds.png"
    cv2.imwrite(str(orphan), ids)
    data = folder(tmp_path)
    assert data.classes == ("road", "car") and data.ignore_index == 255
    samples = data.list_pairs("train")
    assert [s.name for s in samples] == ["aachen_01_leftImg8bit.png", "bremen_01_leftImg8bit.png"]
    assert samples[0].label == tmp_path / "gt/train/aachen/aachen_01_gtFine_labelIds.png"
    _, label = read_pair(data, samples[0])
    assert label.tolist() == [[0, 0, 1, 255], [0, 1, 1, 255]]
    assert problems(data) == [("error", str(orphan), "label without an image")]


def test_config_keys_override_the_class_file(tmp_path):
    class_file(tmp_path, classes=["a", "b"], void=1)
    write_pair(tmp_path / "images", tmp_path / "annotations", "x", stripes(4, 4, [0, 1]), ".png")
    assert folder(tmp_path).ignore_index == 1
    assert folder(tmp_path, "void=0").ignore_index == 0
    assert folder(tmp_path, "void=null").ignore_index == 1  # null leaves it to the class file, as config.yaml says
    named = tmp_path / "elsewhere.yaml"
    named.write_text("classes: [p, q, r]\n")
    assert folder(tmp_path, f"class_file={named}").classes == ("p", "q", "r")


@pytest.mark.parametrize("text, message", [
    ("classes: [a, b]\npalette: [[0, 0, 0]]\n", "palette has 1 colours for 2 classes"),
    ("classes: [a]\ncolours: []\n", "colours: unknown key"),
    ("classes: [a, b]\nmapping: {3: 5}\n", "mapping sends labels to 5, which is neither one of the 2 classes"),
    ("classes: [a\n", "line 2"),
    ("- a\n", "a class file is a mapping \\(classes, palette, void, ...\\), got a list$"),
    ("", "a class file is a mapping \\(classes, palette, void, ...\\), got nothing \\(an empty file\\)$"),
    # null is no empty file; names one a line (a CSV) read as one YAML string said "got a str" and no more.
    ("~\n", "a class file is a mapping \\(classes, palette, void, ...\\), got null$"),
    ("road\ncar\n", "got a str \\(class names one a line, or a CSV\\? a class file is YAML: `classes: \\[road, car\\]`\\)$"),
    # A newline in a name broke every table's header in two (verify said OK).
    ('classes: [bg, "bo\\nx"]\n', "classes: class 1's name 'bo\\\\nx' holds a control character"),
    # ... and so did a C1 control (NEL) or a Unicode line separator, which Python and terminals break lines at.
    ('classes: [bg, "c\\x85d"]\n', "classes: class 1's name 'c\\\\x85d' holds a control character"),
    ('classes: [bg, "a\\u2028b"]\n', "classes: class 1's name 'a\\\\u2028b' holds a control character"),
    ("classes: [a]\nlabels: rgb\n", "labels: rgb decodes colours through the palette"),
    # Two classes of one name were one column of the tables, holding the later one's IoU: verify said OK.
    ("classes: [bg, box, bg]\n", "classes: 'bg' and 'bg' name classes 0 and 2 alike; each class needs a name of"),
    ("classes: [bg, 'BG ', box]\n", "classes: 'bg' and 'BG ' name classes 0 and 1 alike"),  # columns reading the same
    ("classes: [bg, '', box]\n", "classes: class 1 has no name \\(''\\)"),
    ('classes: [bg, "\\uff42\\uff47", "\\u200b"]\n', "classes: 'bg' and 'ｂｇ' name classes 0 and 1 alike"),
    ('classes: [bg, "b\\u200bg"]\n', "classes: 'bg' and 'b.u200bg' name classes 0 and 1 alike"),  # shown escaped
    ('classes: [bg, "\\u200b"]\n', "classes: class 1 has no name"),
    # A key given twice: YAML kept the last without a word (a class list appended to the file, a mapping's key twice,
    # also spelled otherwise), and verify said OK.
    ("classes: [bg, box]\ntrain: {images: i, labels: l}\nclasses: [sky, road]\n",
     "line 3: key 'classes' given twice in one mapping \\(first on line 1\\)"),
    ("classes: [bg, box, stripe]\nmapping: {1: 2, 0x1: 1, 2: 1, 0: 0}\n",
     "line 2: key '0x1' given twice in one mapping \\(first on line 2 as '1'\\)"),
    ("classes: [bg, box, stripe]\nmapping: {1: 2, true: 1, 2: 1, 0: 0}\n",  # YAML 1.1's true is label 1
     "line 2: key 'true' given twice in one mapping \\(first on line 2 as '1'\\)"),
    # Drawn as nothing though not format characters: a variation selector, the combining grapheme joiner, fillers.
    ('classes: [bg, "bg\\ufe0f"]\n', "classes: 'bg' and 'bg.*' name classes 0 and 1 alike"),
    ('classes: [bg, "bg\\u034f"]\n', "classes: 'bg' and 'bg.*' name classes 0 and 1 alike"),
    ('classes: [bg, "\\u3164"]\n', "classes: class 1 has no name"),
    ('classes: [bg, "\\u115f"]\n', "classes: class 1 has no name"),
    ('classes: [bg, "\\u2800"]\n', "classes: class 1 has no name"),
])
def test_a_bad_class_file_is_one_line_naming_it(tmp_path, text, message):
    (tmp_path / "classes.yaml").write_text(text)
    with pytest.raises(DataError, match=f"^{tmp_path / 'classes.yaml'}: .*{message}"):
        folder(tmp_path)


RGB = {"classes": ["water", "fish", "rock"], "palette": [[0, 0, 255], [255, 255, 0], [128, 128, 128]],
       "labels": "rgb", "train": {"images": "images", "labels": "masks"}}


def write_rgb_mask(root, colours):
    mask = np.array(colours, np.uint8)
    write_pair(root / "images", root / "masks", "m", np.zeros(mask.shape[:2], np.uint8), ".jpg", ".png")
    cv2.imwrite(str(root / "masks" / "m.png"), cv2.cvtColor(mask, cv2.COLOR_RGB2BGR))
    return root / "masks" / "m.png"


@pytest.mark.parametrize("keys, message", [
    ({"palette": [[0, 0, 255], [255, 255, 0], [255, 255, 0]]},
     r"palette gives 'fish' and 'rock' one colour \(255, 255, 0\); RGB labels need a colour of its own per class$"),
    ({"void": 9, "void_colour": [255, 255, 0]},
     r"void_colour \(255, 255, 0\) is the colour of 'fish' too; the void needs a colour of its own$"),
])
def test_two_label_values_of_one_colour_are_refused(tmp_path, keys, message):
    # A colour decodes to one value: the other class (or the void) was never read, and verify said OK.
    class_file(tmp_path, **{**RGB, **keys})
    with pytest.raises(DataError, match=f"^{tmp_path / 'classes.yaml'}: {message}"):
        folder(tmp_path)
    class_file(tmp_path, **RGB, void=1, void_colour=[255, 255, 0])  # a void that is a class: its colour, no clash
    assert folder(tmp_path).ignore_index == 1


@pytest.mark.parametrize("rule, expected", [("nearest", [[0, 1, 2, 1]]), ("void", [[0, 1, 2, 9]])])
def test_rgb_masks_decode_through_the_palette_with_the_rule_for_other_colours(tmp_path, rule, expected):
    class_file(tmp_path, **RGB, off_palette=rule, **({"void": 9, "void_colour": [0, 0, 0]} if rule == "void" else {}))
    write_rgb_mask(tmp_path, [[[0, 0, 255], [255, 255, 0], [128, 128, 128], [250, 240, 10]]])
    data = folder(tmp_path)
    assert data.read_label(tmp_path / "masks" / "m.png").tolist() == expected


@pytest.mark.parametrize("scale", [257, 1, None], ids=["scaled-to-16-bits", "8-bit-values-in-16-bits", "neither"])
def test_a_16_bit_colour_mask_decodes_as_its_8_bit_colours_or_is_refused(tmp_path, scale):
    """Pillow keeps a 16-bit PNG's top 8 bits: colours stored as they are (0..255 in 16 bits) all became black."""
    class_file(tmp_path, **RGB)
    path = write_rgb_mask(tmp_path, [[[0, 0, 255], [255, 255, 0], [128, 128, 128]]])
    mask = np.array([[[0, 0, 255], [255, 255, 0], [128, 128, 128]]], np.uint16)
    wide = mask * scale if scale else mask * 200
    cv2.imwrite(str(path), cv2.cvtColor(wide, cv2.COLOR_RGB2BGR))
    data = folder(tmp_path)
    if scale:
        assert data.read_label(path).tolist() == [[0, 1, 2]]
    else:
        with pytest.raises(DataError, match="m.png: a 16-bit colour mask whose colours are not 8-bit ones"):
            data.read_label(path)


def test_an_off_palette_colour_is_an_error_by_default(tmp_path):
    class_file(tmp_path, **RGB)
    path = write_rgb_mask(tmp_path, [[[0, 0, 255], [250, 240, 10]]])
    data = folder(tmp_path)
    assert problems(data) == [("error", str(path), ("1 pixels of colours outside the palette, e.g. (250, 240, 10) "
                                                   "(set off_palette: nearest or void to decode them)"))]


def test_pair_lists_of_paths_and_of_keys(tmp_path):
    write_pair(tmp_path / "a", tmp_path / "b", "one", stripes(4, 4, [0, 1]), ".png")
    write_pair(tmp_path / "JPEG", tmp_path / "Seg", "two", stripes(4, 4, [1]), ".jpg")
    (tmp_path / "train.txt").write_text("a/one.png b/one.png\n\n")
    (tmp_path / "val.txt").write_text("two\n")
    class_file(tmp_path, classes=["x", "y"], train={"list": "train.txt"},
               val={"images": "JPEG", "labels": "Seg", "list": "val.txt"})
    data = folder(tmp_path)
    assert [(s.image, s.label) for s in data.list_pairs("train")] == [(tmp_path / "a/one.png", tmp_path / "b/one.png")]
    assert [(s.image.name, s.label.name) for s in data.list_pairs("val")] == [("two.jpg", "two.png")]
    assert not problems(data, ("train", "val"))
    (tmp_path / "train.txt").write_text("a/one.png b/one.png extra\n")
    with pytest.raises(DataError, match=r"train.txt: line 1: expected 'IMAGE LABEL'"):
        data.list_pairs("train")


@pytest.mark.parametrize("second", ["image", "label"])
def test_two_files_of_one_name_less_the_suffix_are_refused_naming_both(tmp_path, capsys, second):
    # Keeping the last in sort order scored a stray image9.png (or label) in place of image9.jpg, verify saying OK.
    image, label = write_pair(tmp_path / "images", tmp_path / "annotations", "image9", stripes(4, 4, [0, 1]))
    twin = image.with_suffix(".png") if second == "image" else label.with_suffix(".bmp")
    twin.write_bytes((image if second == "image" else label).read_bytes())
    first, later = sorted([image if second == "image" else label, twin])
    with pytest.raises(DataError, match=f"^{later}: {first.name} beside it has the same name less its suffix"):
        folder(tmp_path, "num_classes=2").list_pairs("train")
    assert main(["datasets", "verify", "folder", "--root", str(tmp_path), "--set", "dataset.num_classes=2",
                 "--split", "train"]) == 2
    said = (f"segbench: error: {later}: {first.name} beside it has the same name less its suffix, and which one is "
            "meant cannot be told; keep one of them")
    assert capsys.readouterr().err.strip().splitlines() == [said]
    # A list of keys meets the same two files.
    (tmp_path / "train.txt").write_text("image9\n")
    listed = folder(tmp_path, "num_classes=2", "train={images: images, labels: annotations, list: train.txt}")
    with pytest.raises(DataError, match=f"^{later}: {first.name} beside it"):
        listed.list_pairs("train")
    twin.unlink()
    assert [(s.image, s.label) for s in folder(tmp_path, "num_classes=2").list_pairs("train")] == [(image, label)]
    assert [(s.image, s.label) for s in listed.list_pairs("train")] == [(image, label)]


DESCRIPTIONS = [
    {"classes": ["a", "b", "c"], "void": 255, "image_suffix": "_img.png", "label_suffix": "_lab.png",
     "mapping": {10: 0, 20: 1, 30: 2}, "train": {"images": "i/train", "labels": "l/train"},
     "test": {"images": "i/val", "labels": "l/val"}},
    {**RGB, "void": 3, "void_colour": [0, 0, 0], "test": {"images": "ti", "labels": "tm"}},
    {"classes": ["a", "b"], "train": {"list": "train.txt"}, "val": {"list": "val.txt"},
     "test": {"images": "JPEG", "labels": "Seg", "list": "test.txt"}},
    # 16-bit labels: imitate ended in numpy's OverflowError ("299 out of bounds for uint8").
    {"classes": [f"c{i}" for i in range(300)], "train": {"images": "i", "labels": "l"},
     "test": {"images": "ti", "labels": "tl"}},
]
LAYOUTS = ["nested tree, suffixes, mapping, 255 void", "RGB masks", "pair lists", "300 classes"]


@pytest.mark.parametrize("description", DESCRIPTIONS, ids=LAYOUTS)
def test_imitate_writes_any_description_that_verifies_and_reads_back(tmp_path, description):
    class_file(tmp_path, **description)
    data = folder(tmp_path)
    written = imitate(data, {"train": 3, "val": 2, "test": 2}, (20, 30))
    splits = [s for s in ("train", "val", "test") if s in description]
    assert written == sum({"train": 3, "val": 2, "test": 2}[s] for s in splits)
    assert not [p for p in problems(data, splits) if p[0] == "error"]
    _, label = read_pair(data, data.list_pairs(splits[0])[0])
    assert set(np.unique(label)) <= set(range(len(data.classes))) | {data.ignore_index}


def test_show_draws_a_void_outside_the_classes_in_the_legend(tmp_path, monkeypatch):
    from segbench.report import samples

    write_pair(tmp_path / "images", tmp_path / "annotations", "v", stripes(8, 8, [0, 255]), ".png")
    data = folder(tmp_path, "classes=[road, car]", "void=255")
    labels = []
    monkeypatch.setattr(samples.plt.Figure, "legend", lambda self, handles, **kw: labels.extend(
        h.get_label() for h in handles))
    samples.show_grid(data, data.list_pairs("train"), tmp_path / "show.png", "t")
    assert labels == ["road", "void (255)"] and (tmp_path / "show.png").is_file()


def test_show_fits_images_of_other_sizes_into_the_first_ones_cell(tmp_path):
    """A folder dataset's images may differ in size: each is drawn into the first one's cell, its aspect kept."""
    from segbench.report import samples

    write_pair(tmp_path / "images", tmp_path / "annotations", "a", stripes(8, 16, [0, 1]), ".png")
    write_pair(tmp_path / "images", tmp_path / "annotations", "b", stripes(32, 8, [1, 0]), ".png")
    data = folder(tmp_path, "classes=[road, car]")
    samples.show_grid(data, data.list_pairs("train"), tmp_path / "show.png", "t")
    assert cv2.imread(str(tmp_path / "show.png")) is not None
    assert samples._fitted(np.zeros((32, 8, 3), np.uint8), 8, 16).shape == (8, 2, 3)
    assert samples._fitted(np.zeros((4, 8, 3), np.uint8), 8, 16).shape == (8, 16, 3)


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


def test_verify_cli_on_a_class_file_tree_from_another_directory(tmp_path, monkeypatch, capsys):
    class_file(tmp_path / "data", classes=["a", "b"], void=255)
    write_pair(tmp_path / "data/images", tmp_path / "data/annotations", "x", stripes(4, 4, [0, 255]), ".png")
    monkeypatch.chdir(tmp_path)
    assert main(["datasets", "verify", "folder", "--root", "data", "--split", "train"]) == 0
    assert "folder at data: OK" in capsys.readouterr().out


@pytest.mark.parametrize("description", DESCRIPTIONS, ids=LAYOUTS)
def test_a_class_file_alone_trains_scores_and_shows(tmp_path, description, capsys):
    """A dataset of one's own with no segbench code: a class file, the data, and a config naming the folder."""
    root = tmp_path / "data"
    class_file(root, **description)
    imitate(folder(root), {"train": 4, "val": 2, "test": 2}, (24, 40))
    config = tmp_path / "mine.yaml"
    config.write_text(f"""
dataset: {{name: folder, root: {root}}}
model: {{name: segnet, input_size: [32, 48], width: 0.125}}
train: {{epochs: 1, batch_size: 2}}
eval: {{batch_size: 2, split: test}}
""")
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == description["classes"] and metrics["num_images"] == 2
    assert metrics["ignore_index"] == description.get("void")
    # The run's config.yaml (every key recorded, null for what the class file gives) makes the same dataset, as
    # evaluate, predict, export and --resume read it: it was "dataset.classes: Input should be a valid list".
    again = DATASETS.get("folder")(load_config(out / "config.yaml").dataset)
    assert (list(again.classes), again.ignore_index) == (description["classes"], description.get("void"))
    assert [s.id for s in again.samples("test")] == [s.id for s in folder(root).samples("test")]
    assert main(["datasets", "show", "folder", "--root", str(root), "--split", "test",
                 "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 0
    # The same config over an edited class file, or a test split grown since, is not the finished run any more:
    # "finished already, skipped" would leave its figures under names, or over images, they were not computed on.
    assert main(["run", str(config), "--out", str(out)]) == 0
    assert "finished already, skipped" in capsys.readouterr().out
    class_file(root, **{**description, "classes": [description["classes"][0], "renamed", *description["classes"][2:]]})
    assert main(["run", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: holds a finished run of this config on other data (class 1: " in err
    assert f"{description['classes'][1]!r} -> 'renamed'" in err and err.count("\n") == 1
    if "mapping" in description:  # label values read as other classes: the same names, other figures
        swapped = {value: (index + 1) % 3 for value, index in description["mapping"].items()}
        class_file(root, **{**description, "mapping": swapped})
        assert main(["run", str(config), "--out", str(out)]) == 2
        assert "(the labels' decoding (the class file's mapping, labels, palette or void colour)); pass --force" in \
            capsys.readouterr().err
        assert main(["evaluate", str(out)]) == 2
        assert "its dataset's labels are decoded otherwise since the run" in capsys.readouterr().err
        assert not (out / "eval").exists()
    class_file(root, **description)
    first = folder(root).samples("test")[0]  # a third test pair, beside the first under another name
    for path in (first.image, first.label):
        shutil.copy(path, path.with_name(f"added{path.name}"))
    if "list" in description["test"]:  # a split a list names: the list names the pair too
        listing = root / description["test"]["list"]
        listing.write_text(listing.read_text() + f"added{listing.read_text().split()[0]}\n")
    assert len(folder(root).samples("test")) == 3 and main(["run", str(config), "--out", str(out)]) == 2
    assert "(test split: 2 images -> 3); pass --force" in capsys.readouterr().err
    assert json.loads((out / "metrics.json").read_text()) == metrics  # refused: the run's record left as it was


def test_imitate_says_which_splits_the_default_layout_has_not(tmp_path, capsys):
    """The default layout (images/ + annotations/) is train only: the val and test counts asked for are named as
    not written, rather than dropped silently."""
    root = tmp_path / "mine"
    assert main(["datasets", "imitate", "folder", "--root", str(root), "--images", "4,2,3", "--size", "16x16",
                 "--set", "dataset.classes=[road, car]"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("train 4, val 0, test 0")
    assert lines[1].startswith("note: its layout has no val or test split, so the 2, 3 asked for val and test")


def test_a_pair_list_names_each_image_once_and_under_the_root(tmp_path):
    """A line repeated scored its image twice ("5 test images" of 4) and a list naming ../other/img1.png beside
    images/img1.png gave two rows of one name: verify said OK to both."""
    root = tmp_path / "ds"
    label = stripes(8, 8, [0, 1])
    for stem in ("img0", "img1"):
        write_pair(root / "images", root / "labels", stem, label)
    write_pair(tmp_path / "other", tmp_path / "other", "img1", label)
    class_file(root, classes=["a", "b"], test={"list": "test.txt"})
    lines = ["images/img0.jpg labels/img0.png", "images/img1.jpg labels/img1.png"]
    (root / "test.txt").write_text("\n".join(lines) + "\n")
    assert len(folder(root).list_pairs("test")) == 2
    (root / "test.txt").write_text("\n".join(lines + lines[:1]) + "\n")
    with pytest.raises(DataError, match=r"test.txt: line 3 names the image of line 1 \(img0\); each image once"):
        folder(root).list_pairs("test")
    (root / "test.txt").write_text("\n".join(lines + ["../other/img1.jpg ../other/img1.png"]) + "\n")
    with pytest.raises(DataError, match=r"test.txt: line 3: \.\./other/img1.jpg lies outside the root"):
        folder(root).list_pairs("test")
    (root / "test.txt").write_text("\n".join(lines + ["labels/img1.png labels/img1.png"]) + "\n")
    with pytest.raises(DataError, match=r"test.txt: line 3 names an image of one name with line 2 \(img1\)"):
        folder(root).list_pairs("test")


def test_a_pair_lists_absolute_paths_under_a_relative_root_are_under_it(tmp_path, monkeypatch):
    """With `--root ds`, a list of the root's own files by absolute path was refused as "lies outside the root"
    (an absolute path was compared with the relative root as written; probe 17a case 21)."""
    root = tmp_path / "ds"
    write_pair(root / "images", root / "labels", "img0", stripes(8, 8, [0, 1]))
    class_file(root, classes=["a", "b"], test={"list": "test.txt"})
    (root / "test.txt").write_text(f"{root / 'images' / 'img0.jpg'} {root / 'labels' / 'img0.png'}\n")
    monkeypatch.chdir(tmp_path)
    assert [sample.stem for sample in folder("ds").list_pairs("test")] == ["img0"]
    # And the real paths under a root that is a link (probe 17c case 11).
    (tmp_path / "ds-link").symlink_to(root)
    assert [sample.stem for sample in folder("ds-link").list_pairs("test")] == ["img0"]
    (root / "test.txt").write_text(f"{tmp_path / 'img0.jpg'} {root / 'labels' / 'img0.png'}\n")
    with pytest.raises(DataError, match=r"test.txt: line 1: .*img0.jpg lies outside the root"):
        folder("ds").list_pairs("test")

def evaluated_from_b(tmp_path, monkeypatch, capsys, dataset: str) -> str:
    """The error line of `evaluate ../a/run` from tmp_path/b, of a run of ``dataset`` (a config's section) in a."""
    (tmp_path / "a" / "mine.yaml").write_text(f"dataset: {dataset}\nmodel: {{name: segnet, input_size: [32, 48], "
                                              "width: 0.125}\ntrain: {epochs: 1, batch_size: 1}\n"
                                              "eval: {batch_size: 1, split: test, checkpoint: last}\n")
    monkeypatch.chdir(tmp_path / "a")
    assert main(["run", "mine.yaml", "--out", "run"]) == 0
    monkeypatch.chdir(tmp_path / "b")
    capsys.readouterr()
    assert main(["evaluate", "../a/run"]) == 2
    return capsys.readouterr().err.strip()


def test_a_relative_root_read_from_another_folder_is_refused(tmp_path, monkeypatch, capsys):
    """`segbench evaluate ../run` from a folder holding another data/ scored that data as the run's re-scoring;
    without one, the error named a class file, not the missing root."""
    description = {"classes": ["a", "b"], "train": {"images": "i/train", "labels": "l/train"},
                   "test": {"images": "i/test", "labels": "l/test"}}
    for place in ("a", "b"):
        class_file(tmp_path / place / "data", **description)
        imitate(folder(tmp_path / place / "data"), {"train": 2, "test": 2}, (24, 40), seed=len(place))
    assert evaluated_from_b(tmp_path, monkeypatch, capsys, "{name: folder, root: data}") == (
        f"segbench: error: ../a/run: its dataset.root 'data' is relative, and from here names {tmp_path / 'b' / 'data'}"
        f", not {tmp_path / 'a' / 'data'}, which the run read; run this from the folder the run was run from")
    assert not (tmp_path / "a" / "run" / "eval").exists()
    monkeypatch.chdir(tmp_path / "a")
    assert main(["evaluate", "run"]) == 0
    with pytest.raises(DataError, match=f"^{tmp_path / 'nowhere'}: no such folder \\(dataset.root\\)$"):
        folder(tmp_path / "nowhere")


def test_imitate_writes_only_under_its_root(tmp_path):
    """A class file whose folders are ../escape/...: imitate wrote there, said "train 0, val 0, test 0" of what the
    class file reads, and verify then failed."""
    root = tmp_path / "ds"
    class_file(root, classes=["a", "b"], train={"images": "../escape/images", "labels": "../escape/labels"})
    with pytest.raises(DataError, match=r"escape/images: lies outside the root .*ds; imitate writes a dataset under"):
        imitate(folder(root), {"train": 2}, (24, 40))
    assert not (tmp_path / "escape").exists()


def test_two_images_of_one_name_in_a_scanned_split_are_refused(tmp_path, capsys):
    """a/x.png and b/x.png (or "img 0" beside "img_0") shared a row of per_image.csv and one kept prediction."""
    root = tmp_path / "ds"
    class_file(root, classes=["a", "b"], train={"images": "images", "labels": "labels"})
    for sub in ("a", "b"):
        write_pair(root / "images" / sub, root / "labels" / sub, "x", stripes(8, 8, [0, 1]))
    with pytest.raises(DataError, match=r"images/b/x.jpg and .*images/a/x.jpg: two images of one name \(x\)"):
        folder(root).samples("train")
    assert main(["datasets", "verify", "folder", "--root", str(root)]) == 2
    assert "two images of one name (x)" in capsys.readouterr().err


def test_a_class_file_that_is_a_fifo_or_a_folder_is_called_so(tmp_path):
    """A FIFO as classes.yaml was "no class file, and the config names no dataset.classes": there is one."""
    import os

    os.mkfifo(tmp_path / "classes.yaml")
    with pytest.raises(DataError, match=r"classes.yaml: is a FIFO \(a named pipe\), not a file$"):
        folder(tmp_path)
    (tmp_path / "classes.yaml").unlink()
    (tmp_path / "classes.yaml").mkdir()
    with pytest.raises(DataError, match=r"classes.yaml: is a folder, not a file$"):
        folder(tmp_path)


def test_a_pair_list_that_is_a_fifo_is_one_line_not_a_hang(tmp_path, capsys):
    """Reading a FIFO blocks until a writer comes: verify and run hung for good on one as a split's test.txt."""
    import os
    import signal

    write_pair(tmp_path / "images", tmp_path / "labels", "img0", stripes(8, 8, [0, 1]))
    class_file(tmp_path, classes=["a", "b"], test={"list": "test.txt"})
    os.mkfifo(tmp_path / "test.txt")
    signal.alarm(20)  # fail rather than hang
    try:
        assert main(["datasets", "verify", "folder", "--root", str(tmp_path), "--split", "test"]) == 2
    finally:
        signal.alarm(0)
    assert capsys.readouterr().err.strip().splitlines() == [
        f"segbench: error: {tmp_path / 'test.txt'}: is a FIFO (a named pipe), not a file"]


def test_an_image_in_two_splits_is_reported_at_the_later_split(tmp_path):
    """A pair list naming a test image in train too, or one folder given for two splits, passed verify: a test score
    of images trained on. val and test sharing images is a warning (the best epoch is picked on test images)."""
    for split in ("train", "test"):
        write_pair(tmp_path / "images" / split, tmp_path / "labels" / split, f"{split}0", stripes(8, 8, [0, 1]))
    (tmp_path / "train.txt").write_text("images/train/train0.jpg labels/train/train0.png\n"
                                        "images/test/test0.jpg labels/test/test0.png\n")
    test = {"images": "images/test", "labels": "labels/test"}
    class_file(tmp_path, classes=["a", "b"], train={"list": "train.txt"}, test=test)
    shared = str(tmp_path / "images" / "test" / "test0.jpg")
    said = "in train and test (1 of test's 1 images): a score of images trained on; give each image one split"
    assert problems(folder(tmp_path), ("test", "train")) == [("error", shared, said)]
    class_file(tmp_path, classes=["a", "b"], train={"images": "images/train", "labels": "labels/train"}, val=test,
               test=test)
    said = ("in val and test (1 of test's 1 images): the best epoch is picked on the images it scores; give each "
            "image one split")
    assert problems(folder(tmp_path), ("train", "val", "test")) == [("warning", shared, said)]


def test_a_linked_subfolder_of_a_nested_tree_is_read_and_a_link_loop_once(tmp_path):
    """A city kept on another disk and linked in (`train/bremen -> /disk2/bremen`) was left out without a word:
    verify said OK of a split one city short (probe 16a case 20)."""
    from segbench.data import pairing

    tree, other = tmp_path / "tree", tmp_path / "other"
    write_pair(tree / "images" / "aachen", tree / "labels" / "aachen", "a", stripes(8, 8, [0, 1]), ".png")
    write_pair(other / "images", other / "labels", "b", stripes(8, 8, [0, 1]), ".png")
    (tree / "images" / "bremen").symlink_to(other / "images")
    (tree / "labels" / "bremen").symlink_to(other / "labels")
    (tree / "images" / "aachen" / "loop").symlink_to(tree / "images")  # back up the tree: walked once
    pairs = pairing.paired(tree / "images", tree / "labels", None, None, ".png")
    assert [sample.id for sample in pairs] == [str(tree / "images" / "aachen" / "a.png"),
                                               str(tree / "images" / "bremen" / "b.png")]

    # The other disk not mounted: the city was left out of the split without a word (probe 17a case 6).
    (tree / "images" / "bremen").unlink()
    (tree / "images" / "bremen").symlink_to(tmp_path / "unmounted" / "bremen")
    with pytest.raises(DataError, match=rf"^{tree / 'images' / 'bremen'}: is a link to nothing \(it leads to "
                                        rf"{tmp_path / 'unmounted' / 'bremen'}\), so what it held would be left out"):
        pairing.paired(tree / "images", tree / "labels", None, None, ".png")

def test_a_pair_list_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad's UTF-8 starts with a BOM, which stuck to the first path: "\\ufeffimages/a.png: image missing"."""
    from segbench.data import pairing

    image, label = write_pair(tmp_path / "images", tmp_path / "labels", "a", stripes(8, 8, [0, 1]), ".png")
    (tmp_path / "val.txt").write_text("images/a.png labels/a.png\r\n", encoding="utf-8-sig")
    assert [(s.image, s.label) for s in pairing.listed(tmp_path / "val.txt", tmp_path, None, None, None)] == \
        [(image, label)]


def test_a_label_whose_image_is_of_a_suffix_not_read_says_so(tmp_path):
    """`image9.png: label without an image` of a label whose image9.tif is there, and not a word that images are
    read from .png, .jpg, .jpeg and .bmp only (probe 16a case 26)."""
    write_pair(tmp_path / "images", tmp_path / "annotations", "a", stripes(8, 8, [0, 1]), ".png")
    write_pair(tmp_path / "images", tmp_path / "annotations", "b", stripes(8, 8, [0, 1]), ".tif")
    [report] = verify(folder(tmp_path, "num_classes=2"), ["train"])
    assert [(p.path, p.message) for p in report.problems] == [
        (str(tmp_path / "annotations" / "b.png"),
         "label without an image (b.tif there: images are read from .png, .jpg, .jpeg, .jpe, .jfif, .jif, .bmp files)")]


def test_images_and_labels_in_one_folder_ask_for_the_suffixes_that_tell_them_apart(tmp_path):
    """One folder of a.jpg and its label a.png: "keep one of them", advice that deleted a label (probe 16a case 25)."""
    write_pair(tmp_path / "data", tmp_path / "data", "a", stripes(8, 8, [0, 1]))
    one = "train={images: data, labels: data}"
    with pytest.raises(DataError, match=r"data: train's images and labels are one folder; give an image_suffix and "
                                        "another label_suffix"):
        folder(tmp_path, "num_classes=2", one).list_pairs("train")
    with pytest.raises(DataError, match="give an image_suffix and another label_suffix"):  # each label its own image
        folder(tmp_path, "num_classes=2", one, "image_suffix=.png", "label_suffix=.png").list_pairs("train")
    told = folder(tmp_path, "num_classes=2", one, "image_suffix=.jpg", "label_suffix=.png").list_pairs("train")
    assert [(s.image.name, s.label.name) for s in told] == [("a.jpg", "a.png")]


def test_a_labels_folder_inside_the_images_folder_is_named_as_the_cause(tmp_path):
    """`images: data, labels: data/masks` read each mask as an image too: "two images of one name (im1) ... rename
    one", advice that would not help (probe 17a case 7)."""
    write_pair(tmp_path / "data", tmp_path / "data" / "masks", "im1", stripes(8, 8, [0, 1]))
    nested = "train={images: data, labels: data/masks}"
    with pytest.raises(DataError, match=r"data/masks: train's labels folder lies inside its images folder .*data, "
                                        "which is read with its subfolders"):
        folder(tmp_path, "num_classes=2", nested).list_pairs("train")
    told = folder(tmp_path, "num_classes=2", nested, "image_suffix=.jpg", "label_suffix=.png").list_pairs("train")
    assert [(s.image.name, s.label.name) for s in told] == [("im1.jpg", "im1.png")]


def test_a_dataset_root_that_is_a_link_to_nothing_is_called_so(tmp_path, monkeypatch):
    """"no such folder (dataset.root)" of a link `ls` shows (probe 17d case 18); and a list spelling its paths
    through a link into the real root is under it (case 3)."""
    (tmp_path / "dl").symlink_to(tmp_path / "unmounted")
    with pytest.raises(DataError, match=rf"^{tmp_path / 'dl'}: is a link to nothing \(it leads to "
                                        rf"{tmp_path / 'unmounted'}\) \(dataset.root\)$"):
        folder(tmp_path / "dl")
    root = tmp_path / "ds"
    write_pair(root / "images", root / "labels", "img0", stripes(8, 8, [0, 1]))
    class_file(root, classes=["a", "b"], test={"list": "test.txt"})
    (tmp_path / "via").symlink_to(root)
    (root / "test.txt").write_text(f"{tmp_path / 'via' / 'images' / 'img0.jpg'} {tmp_path / 'via' / 'labels' / 'img0.png'}\n")
    assert [sample.stem for sample in folder(root).list_pairs("test")] == ["img0"]


@pytest.mark.parametrize("suffix", [".jfif", ".jpe", ".JIF"])
def test_a_jpeg_of_another_name_is_read_not_left_out(tmp_path, suffix):
    """Probe 21a case 6: `photo.jfif` (Windows' name for a browser's JPEG) beside its `photo.png` label was left out
    of the split without a word, named neither among the formats read nor among those not read."""
    write_pair(tmp_path / "images", tmp_path / "annotations", "kept", stripes(8, 8, [0, 1]), ".png")
    image, _ = write_pair(tmp_path / "images", tmp_path / "annotations", "photo", stripes(8, 8, [0, 1]), ".png")
    cv2.imwrite(str(image.with_suffix(".jpg")), cv2.imread(str(image)))
    image.with_suffix(".jpg").rename(image.with_suffix(suffix))
    image.unlink()
    data = folder(tmp_path, "num_classes=2")
    assert [s.image.name for s in data.list_pairs("train")] == ["kept.png", f"photo{suffix}"]
    assert not problems(data)
    assert read_pair(data, data.list_pairs("train")[1])[0].shape == (8, 8, 3)


def test_a_class_file_s_wrong_value_is_said_as_a_config_s_is(tmp_path):
    """Probe 21a case 5: `classes: [sky, true]` in a class file was "classes.1: Input should be a valid string", in
    pydantic's capitals and without the value; a config's errors say both."""
    class_file(tmp_path, classes=["sky", True], train={"images": "images", "labels": "annotations"})
    with pytest.raises(DataError) as refused:
        folder(tmp_path)
    assert str(refused.value) == f"{tmp_path / 'classes.yaml'}: classes.1: input should be a valid string (got true)"


def test_a_suffix_rule_pairs_files_whatever_the_case_of_their_ending(tmp_path):
    """Probe 22a case 18: with `image_suffix: .jpg` and `label_suffix: .png`, pairs named `.JPG`/`.PNG` (a camera's
    and Windows' case) were left out of the split, and verify said OK of two pairs of four."""
    for stem in ("a", "b"):
        write_pair(tmp_path / "images", tmp_path / "annotations", stem, stripes(8, 8, [0, 1]), ".png")
    for stem in ("c", "d"):
        image, label = write_pair(tmp_path / "images", tmp_path / "annotations", stem, stripes(8, 8, [0, 1]), ".png")
        cv2.imwrite(str(image.with_suffix(".JPG")), cv2.imread(str(image)))
        image.unlink()
        label.rename(label.with_suffix(".PNG"))
    for stem in ("a", "b"):
        image = tmp_path / "images" / f"{stem}.png"
        cv2.imwrite(str(image.with_suffix(".jpg")), cv2.imread(str(image)))
        image.unlink()
    data = folder(tmp_path, "num_classes=2", "image_suffix=.jpg", "label_suffix=.png")
    assert [(s.image.name, s.label.name) for s in data.list_pairs("train")] == [
        ("a.jpg", "a.png"), ("b.jpg", "b.png"), ("c.JPG", "c.PNG"), ("d.JPG", "d.PNG")]
    assert not problems(data)


def test_a_relative_class_file_read_from_another_folder_is_refused(tmp_path, monkeypatch, capsys):
    """Probe 22a case 9: a run of `root: <absolute>` and `class_file: classes.yaml` (read from the current folder),
    evaluated from a folder whose classes.yaml of the same classes names the val images as test, scored those as
    the run's re-scoring, rc 0."""
    data = tmp_path / "data"
    for split in ("train", "val", "test"):
        write_pair(data / "images" / split, data / "labels" / split, f"{split}0", stripes(24, 40, [0, 1]), ".png")
    layout = {"train": {"images": "images/train", "labels": "labels/train"}}
    for place, test in (("a", "test"), ("b", "val")):
        (tmp_path / place).mkdir()
        (tmp_path / place / "classes.yaml").write_text(yaml.safe_dump(
            {"classes": ["x", "y"], **layout, "test": {"images": f"images/{test}", "labels": f"labels/{test}"}}))
    section = f"{{name: folder, root: {data}, class_file: classes.yaml}}"
    assert evaluated_from_b(tmp_path, monkeypatch, capsys, section) == (
        f"segbench: error: ../a/run: its dataset.class_file 'classes.yaml' names {tmp_path / 'b' / 'classes.yaml'} "
        f"from here, not {tmp_path / 'a' / 'classes.yaml'}, which the run read; run this from the folder the run was "
        "run from")
    assert not (tmp_path / "a" / "run" / "eval").exists()
    monkeypatch.chdir(tmp_path / "a")
    assert main(["evaluate", "../a/run"]) == 0


def test_a_mat_label_of_a_folder_dataset_is_named_as_one_not_as_damaged(tmp_path):
    """Probe 22a case 10: a folder dataset's .mat labels (variable M, as Sitting's) were each 'damaged (cannot
    identify image file)', after docs/datasets.md had said labels are read from .mat files."""
    import scipy.io

    _, label = write_pair(tmp_path / "images", tmp_path / "annotations", "a", stripes(4, 4, [0, 1]), ".png")
    scipy.io.savemat(label.with_suffix(".mat"), {"M": np.asarray(cv2.imread(str(label), 0))})
    label.unlink()
    said = ("a MATLAB file; a folder dataset reads its labels from images, not .mat files (only the sitting adapter "
            "reads its own): save the labels as PNG")
    assert problems(folder(tmp_path, "num_classes=2")) == [("error", str(label.with_suffix(".mat")), said)]
