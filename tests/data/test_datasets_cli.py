import json
import re
import subprocess

import cv2
import pytest
from helpers import stripes, write_pair

from segbench.cli import main


def test_list_names_every_adapter(capsys):
    assert main(["datasets", "list", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert set(entries) == {"ade20k", "camvid", "cityscapes", "folder", "sitting", "suim", "synthetic", "voc"}
    assert entries["camvid"]["classes"][11] == "Unlabelled" and entries["camvid"]["void"] == "Unlabelled"
    # A void outside the classes is listed by its value, not read as a class index (an IndexError before).
    for name, count in (("cityscapes", 19), ("ade20k", 150), ("voc", 21)):
        assert len(entries[name]["classes"]) == count and entries[name]["void"] == "255 (not a class)"
    assert entries["suim"]["void"] is None
    assert main(["datasets", "list"]) == 0
    assert "images_prepped_<split>" in capsys.readouterr().out


def test_stats_json_on_the_prepped_sample(shared_data, capsys):
    assert main(["datasets", "stats", "camvid", "--root", str(shared_data / "camvid-prepped-sample"),
                 "--split", "train", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats) == {"dataset", "split", "images", "classes", "pixels"}
    assert (stats["dataset"], stats["split"], stats["images"]) == ("camvid", "train", 5)
    assert sum(stats["pixels"]) == 5 * 360 * 480


def test_show_writes_a_picture(shared_data, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["datasets", "show", "suim", "--root", str(shared_data / "suim-sample"), "--split", "test",
                 "--n", "3", "--out", str(out)]) == 0
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[1] > 800
    assert capsys.readouterr().out.strip() == str(out)


def test_errors_are_one_line_exit_2(tmp_path, capsys):
    assert main(["datasets", "stats", "camvd", "--split", "test"]) == 2
    assert main(["datasets", "verify", "camvid", "--root", str(tmp_path / "none")]) == 2
    assert main(["datasets", "show", "camvid", "--root", str(tmp_path), "--split", "val"]) == 2
    assert main(["datasets", "prepare", "sitting", "--root", str(tmp_path / "s")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("segbench: error: ") for line in lines)
    assert "did you mean 'camvid'" in lines[0] and "Sitting.tar.gz" in lines[3]


@pytest.mark.parametrize("name", ["camvid", "sitting", "suim"])
def test_verify_an_empty_root_or_another_datasets_folder_is_not_ok(tmp_path, capsys, name):
    """An empty folder has no pairs, and neither has CamVid's layout for SUIM: both used to say OK."""
    write_pair(tmp_path / "train", tmp_path / "trainannot", "a", stripes(8, 8, [1, 2]))
    assert main(["datasets", "verify", name, "--root", str(tmp_path), "--split", "test"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ERROR ") and f"no test pairs; {name} expects " in lines[0]
    assert lines[-1] == f"{name} at {tmp_path}: 1 errors"


def test_show_wants_at_least_one_sample(capsys):
    with pytest.raises(SystemExit) as info:
        main(["datasets", "show", "synthetic", "--split", "test", "--n", "0"])
    assert info.value.code == 2 and "at least 1, got '0'" in capsys.readouterr().err


def test_show_into_a_folder_or_a_wrong_name(tmp_path, capsys):
    """A folder gets the default file name in it; a name matplotlib cannot write is one line, nothing written."""
    assert main(["datasets", "show", "synthetic", "--split", "test", "--n", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "samples-test.png").read_bytes().startswith(b"\x89PNG")
    assert capsys.readouterr().out.strip() == str(tmp_path / "samples-test.png")
    wrong = tmp_path / "grid.jpgg"
    assert main(["datasets", "show", "synthetic", "--split", "test", "--out", str(wrong)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"segbench: error: {wrong}: not a figure file name; end it in .png, .pdf, .svg, .jpg, or give a folder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples-test.png"]
    # A folder not made yet, named with its trailing slash, is a folder too.
    assert main(["datasets", "show", "synthetic", "--split", "test", "--n", "1", "--out", f"{tmp_path}/new/"]) == 0
    assert (tmp_path / "new" / "samples-test.png").is_file()


def test_one_samples_legend_fits_the_figure(tmp_path, monkeypatch):
    """Every legend entry of a one-column grid lies inside the figure (with one image, six columns were cut)."""
    import matplotlib.pyplot as plt

    from segbench.config import dataset_config
    from segbench.registry import DATASETS
    from segbench.report import samples

    figures = []
    monkeypatch.setattr(samples.plt, "close", figures.append)
    data = DATASETS.get("synthetic")(dataset_config("synthetic", None, []))
    samples.show_grid(data, data.samples("test")[:1], tmp_path / "one.png", "one")
    fig = figures[0]
    fig.canvas.draw()
    box = fig.bbox
    texts = [text for legend in fig.legends for text in legend.get_texts()]
    assert [t.get_text() for t in texts] and all(
        box.x0 <= t.get_window_extent().x0 and t.get_window_extent().x1 <= box.x1 for t in texts)
    plt.close(fig)


def test_verify_says_a_problem_in_one_line_whatever_the_file_is_called(tmp_path, capsys):
    """A newline in a file's name split its ERROR line in two (a second line beginning with the name's rest)."""
    write_pair(tmp_path / "test", tmp_path / "testannot", "fine", stripes(8, 8, [1, 2]))
    write_pair(tmp_path / "test", tmp_path / "testannot", "a\nb", stripes(8, 8, [1, 2]))
    (tmp_path / "testannot" / "a\nb.png").unlink()  # its label missing: a problem naming it
    assert main(["datasets", "verify", "camvid", "--root", str(tmp_path), "--split", "test"]) == 1
    lines = capsys.readouterr().out.splitlines()
    problems = [line for line in lines if "a\\nb" in line]
    assert problems and all(line.startswith(("ERROR ", "WARN ")) for line in problems)
    assert all(line.startswith(("ERROR ", "WARN ", "test: ", "camvid at ")) for line in lines)


def test_show_into_a_run_folder_is_refused(tmp_path, capsys):
    """`datasets show --out RUN/predictions/img0.pred.png` replaced the run's kept prediction, rc 0."""
    run = tmp_path / "run"
    (run / "predictions").mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    (run / "predictions" / "img0.pred.png").write_bytes(b"the run's own")
    out = run / "predictions" / "img0.pred.png"
    assert main(["datasets", "show", "synthetic", "--split", "test", "--n", "1", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {out}: lies inside the run folder {run}, whose files datasets show would write over; "
        "give --out a file of its own")
    assert out.read_bytes() == b"the run's own"


@pytest.mark.parametrize("into", ["test/fine.jpg", "test/", "link/fine.jpg"], ids=["an-image", "a-split", "a-link"])
def test_show_into_the_dataset_it_shows_is_refused(tmp_path, capsys, into):
    """`--out dsA/images/test/img0.png` replaced a test image with the grid; a split's folder got samples-test.png
    as an image of its own."""
    root = tmp_path / "data"
    image, _ = write_pair(root / "test", root / "testannot", "fine", stripes(8, 8, [1, 2]))
    before = image.read_bytes()
    (tmp_path / "link").symlink_to(root / "test")
    out = tmp_path / into if into.startswith("link") else root / into
    assert main(["datasets", "show", "camvid", "--root", str(root), "--split", "test", "--out", str(out)]) == 2
    named = out / "samples-test.png" if into.endswith("/") else out
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {named}: lies inside the data folder {root / 'test'} of camvid, whose files datasets show "
        "would join or write over; give --out a place outside the data")
    assert image.name == "fine.jpg" and image.read_bytes() == before
    assert [p.name for p in (root / "test").iterdir()] == ["fine.jpg"]


def test_show_into_a_split_folder_the_class_file_keeps_outside_the_root_is_refused(tmp_path, capsys):
    """A class file may name a split's folders outside its root (`../outer/images/test`): the check looked at the
    root only, and the grid replaced a test image there."""
    outer, root = tmp_path / "outer", tmp_path / "root"
    image, _ = write_pair(outer / "images", outer / "labels", "fine", stripes(8, 8, [0, 1]))
    before = image.read_bytes()
    root.mkdir()
    (root / "classes.yaml").write_text("classes: [a, b]\ntest: {images: ../outer/images, labels: ../outer/labels}\n")
    assert main(["datasets", "show", "folder", "--root", str(root), "--split", "test", "--out", str(image)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {image}: lies inside the data folder {root / '../outer/images'} of folder, whose files "
        "datasets show would join or write over; give --out a place outside the data")
    assert image.read_bytes() == before
    # A linked subfolder of a split is read as part of it: its target is the data too (probe 16c case 6).
    (outer / "labels" / "city").mkdir()
    (tmp_path / "city").mkdir()
    (outer / "images" / "city").symlink_to(tmp_path / "city")
    assert main(["datasets", "show", "folder", "--root", str(root), "--split", "test", "--out",
                 str(tmp_path / "city" / "grid.png")]) == 2
    assert f"lies inside the data folder {tmp_path / 'city'} of folder" in capsys.readouterr().err
    assert not (tmp_path / "city" / "grid.png").exists()


@pytest.mark.parametrize("verb", [["prepare", "camvid", "--from", "camvid.zip"],
                                  ["imitate", "camvid", "--images", "1,1,1", "--size", "16x16"]],
                         ids=["prepare", "imitate"])
def test_a_dataset_made_inside_a_run_folder_is_refused(tmp_path, capsys, verb):
    """`--root RUN/eval/camvid` was made, and deleted with eval/ when the run was started over (`run --force`)."""
    run = tmp_path / "run"
    (run / "eval").mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    root = run / "eval" / "camvid"
    assert main(["datasets", *verb, "--root", str(root)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {root}: lies inside the run folder {run}, whose eval/ and predictions/ its own runs "
        "replace whole; give --root a folder of its own")
    assert not root.exists()


def test_a_full_disk_under_imitate_or_show_names_the_file_and_its_cause(small_disk, tmp_path, capsys):
    """Probe 21a cases 10 and 11: imitate on a full disk printed libpng's "Write Error", then named a file in its
    staging folder (removed since) that "could not be written", without the cause; `show --out` on a full disk said
    only "No space left on device", naming no file."""
    root = small_disk / "camvid"
    assert main(["datasets", "imitate", "camvid", "--root", str(root), "--images", "40,2,2", "--size", "96x128"]) == 2
    said = capsys.readouterr().err.strip()
    assert re.fullmatch(rf"segbench: error: {root}: No space left on device while writing train/image\d+\.png; "
                        "nothing was left there, imitate again once that is fixed", said), said
    assert not root.exists() and not list(small_disk.iterdir())
    data = tmp_path / "camvid"
    assert main(["datasets", "imitate", "camvid", "--root", str(data), "--images", "4,2,2", "--size", "96x128"]) == 0
    subprocess.run(["mount", "-o", "remount,size=8k", str(small_disk)], check=True)
    out = small_disk / "grid.png"
    capsys.readouterr()
    assert main(["datasets", "show", "camvid", "--root", str(data), "--split", "train", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"segbench: error: {out}: No space left on device"
    assert not list(small_disk.iterdir())
