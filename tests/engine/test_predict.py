"""segbench predict and segbench.load_run: a trained run's model on images of the user's own, at their own size."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import stripes, write_pair
from PIL import Image

import segbench
from segbench.config import load_config
from segbench.data.pairs import resize_image
from segbench.data.readers import read_rgb, write_image
from segbench.data.synthetic import draw_scene
from segbench.engine.inference import logits_at
from segbench.engine.run import execute
from segbench.errors import SegbenchError
from segbench.io import temporary_prefix
from segbench.report.figures import overlay as blend


@pytest.fixture(scope="module")
def trained(tmp_path_factory, smoke_config):
    out = tmp_path_factory.mktemp("run") / "segnet"
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1"]))
    return out


@pytest.fixture
def images(tmp_path):
    """Three scenes at sizes other than the model's input, one in a subfolder, and a file that is not an image."""
    folder = tmp_path / "mine"
    sizes = {"a.png": (50, 70), "deeper/b.jpg": (41, 33), "c.png": (32, 48)}
    for index, (name, size) in enumerate(sizes.items()):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_image(folder / name, draw_scene(size, (0, 2, index))[0])
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    return folder, sizes


def test_load_run_predicts_as_evaluation_does(trained, images):
    run = segbench.load_run(trained)
    folder, _ = images
    image = read_rgb(folder / "a.png")
    [classes] = run.predict([image])
    # Evaluation's path: the image resized to the input (bilinear), the logits back to the image's size, the argmax.
    logits = run.model.predict_on_batch(np.stack([resize_image(image, (32, 48))] * 8))[0]
    assert classes.shape == (50, 70) and classes.dtype == np.uint8
    assert (classes == logits_at(logits, (50, 70)).argmax(axis=-1)).all()
    assert run.classes == ("background", "disc", "box", "triangle", "void") and run.weights.name == "best.weights.h5"


def test_predict_writes_palette_pngs_at_native_size(trained, images, tmp_path, cli):
    folder, sizes = images
    out = tmp_path / "out"
    done = cli("predict", trained, folder, "--out", out, "--overlay", "--batch", "2")
    assert done.returncode == 1  # the broken file, named in one line; the others written
    [line] = [line for line in done.stderr.splitlines() if line.startswith("segbench: error: ")]
    assert "broken.jpg" in line and "damaged" in line
    assert "3 class maps in" in done.stdout
    run = segbench.load_run(trained)
    for name, (height, width) in sizes.items():
        stem = name.rsplit(".", 1)[0]  # a folder's subfolders are kept
        written = Image.open(out / f"{stem}.png")
        assert written.mode == "P" and written.size == (width, height)
        assert (np.asarray(written) == run.predict([read_rgb(folder / name)])[0]).all()
        assert written.getpalette()[:6] == [value for colour in run.palette[:2] for value in colour]
        assert read_rgb(out / f"{stem}.overlay.jpg").shape == (height, width, 3)


def test_predict_refuses_what_it_cannot_do(trained, images, tmp_path, cli):
    nothing = cli("predict", trained, tmp_path / "nothing", "--out", tmp_path / "o")
    assert nothing.returncode == 2 and "nothing: no such file or folder, or no image or video in it" in nothing.stderr
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    (weightless / "config.yaml").write_text((trained / "config.yaml").read_text())
    done = cli("predict", weightless, images[0], "--out", tmp_path / "o")
    assert done.returncode == 2 and "no model.weights.h5 there" in done.stderr
    with pytest.raises(SegbenchError, match="not a run folder"):
        segbench.load_run(tmp_path)


def test_a_video_becomes_an_overlay_video_of_its_frames(trained, tmp_path, capfd):
    import cv2

    from segbench.engine.predict import expand, predict_files

    frames = [draw_scene((48, 64), (0, 3, index))[0] for index in range(11)]  # 11: one batch of 4 left short
    clip = tmp_path / "in" / "clip.mp4"
    clip.parent.mkdir()
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 7, (64, 48))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    (tmp_path / "in" / "broken.avi").write_bytes(b"not a video")
    (tmp_path / "in" / "damaged.mp4").write_bytes(b"not a video")
    jobs, missing = expand([str(tmp_path / "in")], tmp_path / "out")
    assert not missing and sorted(file.name for file, _ in jobs) == ["broken.avi", "clip.mp4", "damaged.mp4"]
    run = segbench.load_run(trained)
    capfd.readouterr()
    written, failures = predict_files(run, jobs, tmp_path / "out", batch_size=4)
    assert written == [tmp_path / "out" / "clip.overlay.mp4"]
    said = "cannot be read as a video (damaged, or a codec this OpenCV build lacks)"
    assert [failure.split(": ", 1)[1] for failure in failures] == [said, said]
    assert "moov atom" not in capfd.readouterr().err  # FFmpeg's own line, before ours: two lines for one problem
    capture = cv2.VideoCapture(str(written[0]))
    assert capture.get(cv2.CAP_PROP_FPS) == 7 and capture.get(cv2.CAP_PROP_FRAME_COUNT) == 11
    ok, first = capture.read()
    capture.release()
    assert ok and first.shape == (48, 64, 3)
    # The frame under its classes, as a still image's overlay would be, within the video codec's loss.
    expected = cv2.cvtColor(blend(frames[0], run.predict([frames[0]])[0], run.palette), cv2.COLOR_RGB2BGR)
    assert np.abs(first.astype(int) - expected).mean() < 12
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind
    # An overlay video there already cannot be told from the user's own clip of that name: kept, refused.
    kept = written[0].read_bytes()
    with pytest.raises(SegbenchError, match="out/clip.overlay.mp4: there already, and predict cannot tell"):
        predict_files(run, jobs, tmp_path / "out", batch_size=4)
    assert written[0].read_bytes() == kept


def test_a_video_cut_short_is_an_error_and_the_others_go_on(trained, tmp_path):
    """An MJPG AVI cut in half (a copy stopped half-way) decodes to its end without an error: its overlay held 16 of
    its 40 frames, exit 0, without a word (probe 12 case 17)."""
    import cv2

    from segbench.engine.predict import expand, predict_files

    whole = tmp_path / "in" / "whole.avi"
    whole.parent.mkdir()
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 10, (56, 40))
    for index in range(40):
        writer.write(cv2.cvtColor(draw_scene((40, 56), (0, 3, index))[0], cv2.COLOR_RGB2BGR))
    writer.release()
    cut = whole.with_name("cut.avi")
    cut.write_bytes(whole.read_bytes()[:whole.stat().st_size // 2])
    jobs, _ = expand([str(whole.parent)], tmp_path / "out")
    written, failures = predict_files(segbench.load_run(trained), jobs, tmp_path / "out", batch_size=8)
    assert written == [tmp_path / "out" / "whole.overlay.mp4"]  # a whole AVI, its count checked too, goes on
    assert len(failures) == 1 and re.fullmatch(
        rf"{cut}: damaged \(cut short\?\): \d+ of the 40 frames it states could be read; no overlay written",
        failures[0]), failures
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["whole.overlay.mp4"]


def test_dotted_names_keep_their_stem_and_an_out_inside_the_input_is_left_out(trained, tmp_path):
    from segbench.engine.predict import expand, predict_files

    folder = tmp_path / "photos"
    for index, name in enumerate(["street.day.jpg", "street.night.jpg"]):
        write_image(folder / name, draw_scene((40, 56), (0, 2, index))[0])
    out = folder / "predicted"
    run = segbench.load_run(trained)
    for _ in range(2):  # the second call meets the first one's class maps and overlays inside the folder
        jobs, missing = expand([str(folder), str(folder / "**" / "*.jpg")], out)
        assert not missing and sorted(file.name for file, _ in jobs) == ["street.day.jpg", "street.night.jpg"]
        written, failures = predict_files(run, jobs, out, overlay=True)
        assert not failures and sorted(path.name for path in written) == ["street.day.png", "street.night.png"]
    assert sorted(path.name for path in out.rglob("*")) == [
        "street.day.overlay.jpg", "street.day.png", "street.night.overlay.jpg", "street.night.png"]
    # What is left are true collisions, refused before anything runs: two files of one stem, a map over its input.
    write_image(folder / "street.day.png", draw_scene((40, 56), (0, 2, 3))[0])
    with pytest.raises(SegbenchError, match="would both write street.day.png"):
        expand([str(folder)], out)
    with pytest.raises(SegbenchError, match="street.day.png: its output would overwrite it"):
        expand([str(folder / "street.day.png")], folder)
    jobs, [line] = expand([str(out)], out)
    assert not jobs and line == (f"{out}: every image and video in it lies inside --out {out}, which is left out "
                                 "(it holds predict's own outputs)")


def test_an_image_and_a_video_of_one_stem_are_both_predicted_two_videos_are_not(tmp_path):
    from segbench.engine.predict import expand

    for name in ["clip.jpg", "clip.mp4", "other.mp4", "other.avi"]:  # expand reads names, not contents
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(b"")
    jobs, missing = expand([str(tmp_path / "in" / "clip.*")], tmp_path / "out")
    assert not missing and sorted(file.name for file, _ in jobs) == ["clip.jpg", "clip.mp4"]
    assert {target for _, target in jobs} == {Path("clip")}  # clip.png and clip.overlay.mp4, apart
    with pytest.raises(SegbenchError, match="would both write other.overlay.mp4"):
        expand([str(tmp_path / "in" / "other.*")], tmp_path / "out")


def test_a_photo_is_predicted_upright_as_its_exif_orientation_says(trained, tmp_path):
    from segbench.engine.predict import expand, predict_files

    photo, out = tmp_path / "phone.jpg", tmp_path / "out"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation 6: stored on its side, viewers turn it 90 degrees clockwise
    Image.fromarray(draw_scene((40, 56), (0, 2, 5))[0]).save(photo, exif=exif, quality=95)
    stored = read_rgb(photo)  # as datasets read it: the pixel grid their labels are drawn on
    upright = read_rgb(photo, upright=True)
    assert stored.shape == (40, 56, 3) and (upright == np.rot90(stored, k=-1)).all()
    run = segbench.load_run(trained)
    jobs, _ = expand([str(photo)], out)
    predict_files(run, jobs, out, overlay=True)
    classes = np.asarray(Image.open(out / "phone.png"))
    assert classes.shape == (56, 40) and (classes == run.predict([upright])[0]).all()  # as the photo is seen
    overlay = Image.open(out / "phone.overlay.jpg")
    assert overlay.size == (40, 56) and 0x0112 not in overlay.getexif()  # upright pixels, no tag to turn them again


def test_an_animation_is_predicted_by_its_first_frame_and_says_so(trained, tmp_path, capsys):
    """A 3-frame GIF got one class map, of its first frame, without a word (probe 16a case 10)."""
    from segbench.engine.predict import expand, predict_files

    frames = [Image.fromarray(draw_scene((40, 56), (0, 2, k))[0]) for k in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "still.gif")
    jobs, _ = expand([str(tmp_path / "anim.gif"), str(tmp_path / "still.gif")], tmp_path / "out")
    written, failures = predict_files(segbench.load_run(trained), jobs, tmp_path / "out")
    assert len(written) == 2 and failures == []
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [(f"note: {tmp_path / 'anim.gif'} holds 3 frames (an animation, or pages); its class map is of the "
                     "first: a clip is predicted frame by frame as a video (.mp4, .avi, ...)")]


def test_a_folder_gives_every_photo_and_a_killed_calls_temporaries_are_cleared(trained, tmp_path):
    """A .tif, .webp or .gif in a folder was left out without a word (named, each was predicted); a killed predict's
    hidden temporary stayed in --out for good, and was read as a damaged photo when that folder was an input."""
    from segbench.engine.predict import expand, predict_files

    folder, out = tmp_path / "photos", tmp_path / "maps"
    scene = draw_scene((40, 56), (0, 2, 1))[0]
    folder.mkdir()
    for name in ["a.tif", "b.webp", "c.gif", "d.png"]:
        Image.fromarray(scene).save(folder / name)
    (folder / "notes.txt").write_text("not a photo")
    out.mkdir()
    stale = out / f"{temporary_prefix('a.overlay.jpg')}k3j9x_2q.overlay.jpg"  # a killed write's of a.overlay.jpg
    stale.write_bytes(b"\xff\xd8")
    theirs = out / f"{temporary_prefix('b.json')}12345678.json"  # a temporary of no output of this call: left alone
    theirs.write_text("{}")
    users = out / ".a.original.png"  # a user's hidden file of a temporary's shape, without segbench's mark
    users.write_text("mine")
    jobs, missing = expand([str(folder)], out)
    assert not missing and sorted(file.name for file, _ in jobs) == ["a.tif", "b.webp", "c.gif", "d.png"]
    written, failures = predict_files(segbench.load_run(trained), jobs, out, overlay=True)
    assert not failures and sorted(path.name for path in written) == ["a.png", "b.png", "c.png", "d.png"]
    assert not stale.exists() and theirs.exists() and users.exists()
    stale.write_bytes(b"\xff\xd8")
    jobs, missing = expand([str(out)], tmp_path / "elsewhere")
    assert not missing and stale.name not in {file.name for file, _ in jobs}


def test_an_out_in_a_run_folder_is_refused_before_keras_loads(trained, tmp_path, capsys):
    """Pictures named like a run's files (predictions/img0.pred.png, curves.png) were written over the run's own."""
    from segbench.cli import main

    image = tmp_path / "street.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(image)
    for out, said in ((trained, "is"), (trained / "predictions", "lies inside")):
        before = sorted(p.name for p in trained.rglob("*"))
        assert main(["predict", str(trained), str(image), "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"segbench: error: {out}: {said} the run folder {trained}, whose files predict would write over; give "
            "--out a folder of its own")
        assert sorted(p.name for p in trained.rglob("*")) == before


def test_an_out_that_is_a_file_is_refused_in_words_before_keras_loads(tmp_path, capsys, monkeypatch):
    """`--out afile` said only "afile: File exists", once the model was loaded (probe 19b case 6)."""
    from segbench.cli import main

    monkeypatch.setattr("segbench.commands.predict.run", lambda args: pytest.fail("ran"))
    (tmp_path / "afile").write_text("mine")
    assert main(["predict", str(tmp_path / "run"), str(tmp_path), "--out", str(tmp_path / "afile")]) == 2
    assert capsys.readouterr().err.strip() == (f"segbench: error: {tmp_path / 'afile'}: not a folder; --out names the "
                                               "folder (new or not) for the class maps")
    assert (tmp_path / "afile").read_text() == "mine"


def test_an_input_subfolder_named_like_a_run_under_out_is_refused(trained, tmp_path, capsys):
    """--out a parent of runs, with an input folder whose subfolder is named like one of them: predict keeps the
    subfolders, and wrote over that run's kept prediction (runP/predictions/img0.pred.png) and curves.png."""
    from segbench.cli import main

    runs, inputs = tmp_path / "runs", tmp_path / "inputs"
    shutil.copytree(trained, runs / "runP")
    (inputs / "runP" / "predictions").mkdir(parents=True)
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(inputs / "runP" / "curves.jpg")
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(inputs / "elsewhere.jpg")
    before = {p: p.read_bytes() for p in (runs / "runP").rglob("*") if p.is_file()}
    assert main(["predict", str(trained), str(inputs), "--out", str(runs)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {inputs / 'runP' / 'curves.jpg'}: its outputs would go into {runs / 'runP'}, inside the "
        f"run folder {runs / 'runP'}, whose files predict would write over; give --out a folder of its own")
    assert {p: p.read_bytes() for p in (runs / "runP").rglob("*") if p.is_file()} == before
    assert not (runs / "elsewhere.png").exists()  # refused before anything was written


def test_a_picture_in_out_that_is_no_class_map_is_not_replaced(trained, tmp_path):
    """street.jpg predicted into its own folder replaced the user's other photo street.png with its class map;
    an earlier call's class map there is replaced as before."""
    from segbench.engine.predict import expand, predict_files

    folder = tmp_path / "photos"
    folder.mkdir()
    scene = draw_scene((40, 56), (0, 2, 1))[0]
    Image.fromarray(scene).save(folder / "street.jpg")
    Image.fromarray(np.full((30, 40, 3), 90, np.uint8)).save(folder / "street.png")
    theirs = (folder / "street.png").read_bytes()
    with pytest.raises(SegbenchError, match=r"photos/street.png: there already and not a class map predict wrote "
                                            r"\(another picture of street.jpg's name\?\)"):
        expand([str(folder / "street.jpg")], folder)
    assert (folder / "street.png").read_bytes() == theirs
    # A palette PNG of the user's (a VOC label beside its photo) is no class map of predict's either.
    voc = Image.fromarray(np.zeros((30, 40), np.uint8), mode="P")
    voc.putpalette([0, 0, 0, 128, 0, 0])
    voc.save(folder / "street.png")
    with pytest.raises(SegbenchError, match="photos/street.png: there already and not a class map predict wrote"):
        expand([str(folder / "street.jpg")], folder)
    out = tmp_path / "maps"
    run = segbench.load_run(trained)
    jobs, _ = expand([str(folder / "street.jpg")], out)
    predict_files(run, jobs, out, overlay=True)
    jobs, _ = expand([str(folder / "street.jpg")], out)  # its own earlier class map: replaced
    assert [target for _, target in jobs] == [Path("street")]
    predict_files(run, jobs, out, overlay=True)  # and its overlay beside it
    # A user's overlay-named photo, with no class map of predict's beside it, is kept.
    (out / "street.png").unlink()
    theirs = (out / "street.overlay.jpg").read_bytes()
    jobs, _ = expand([str(folder / "street.jpg")], out)
    with pytest.raises(SegbenchError, match="maps/street.overlay.jpg: there already and not an overlay predict wrote"):
        predict_files(run, jobs, out, overlay=True)
    assert (out / "street.overlay.jpg").read_bytes() == theirs and not (out / "street.png").exists()


def test_an_out_inside_the_runs_dataset_is_refused(tmp_path, capsys, monkeypatch):
    """`predict --out dsA/train` put class maps among the train images, where verify then found labels missing
    (probe 16a case 22)."""
    from types import SimpleNamespace

    from segbench.cli import main
    from segbench.config import dataset_config
    from segbench.engine import loaded
    from segbench.registry import DATASETS

    root = tmp_path / "dsA"
    write_pair(root / "train", root / "trainannot", "a", stripes(8, 8, [0, 1]))
    adapter = DATASETS.get("camvid")(dataset_config("camvid", str(root), []))
    monkeypatch.setattr(loaded, "load_run", lambda *args: SimpleNamespace(adapter=adapter))
    photo = tmp_path / "photo.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo)
    assert main(["predict", str(tmp_path / "run"), str(photo), "--out", str(root / "train")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {root / 'train'}: lies inside the data folder {root / 'train'} of camvid, whose files "
        "predict would join or write over; give --out a place outside the data")
    assert sorted(p.name for p in (root / "train").iterdir()) == ["a.jpg"]


def test_a_fifo_or_device_of_a_photos_name_is_named_not_left_out(tmp_path):
    """In a folder input they were left out without a word, rc 0; named, they were "no such file or folder" (probe
    17a case 18)."""
    import os

    from segbench.engine.predict import expand

    photos = tmp_path / "in"
    photos.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photos / "ok.jpg")
    os.mkfifo(photos / "fifo.jpg")
    (photos / "zero.jpg").symlink_to("/dev/zero")
    jobs, missing = expand([str(photos)], tmp_path / "out")
    assert [file.name for file, _ in jobs] == ["ok.jpg"]
    assert missing == [f"{photos / 'fifo.jpg'}: is a FIFO (a named pipe), not a file",
                       f"{photos / 'zero.jpg'}: is a device, not a file"]
    jobs, missing = expand([str(photos / "fifo.jpg")], tmp_path / "out")
    assert not jobs and missing == [f"{photos / 'fifo.jpg'}: is a FIFO (a named pipe), not a file"]


def test_the_summary_line_is_one_line_whatever_the_out_folder_is_called(trained, images, tmp_path, cli):
    """Probe 22b case 11: a newline in --out split the success line in two (error lines escaped it already)."""
    folder, _ = images
    out = tmp_path / "a\nb"
    done = cli("predict", trained, folder / "a.png", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith(f"1 class map in {tmp_path}/a\\nb (best.weights.h5, ")
