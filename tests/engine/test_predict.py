"""segbench predict and segbench.load_run: a trained run's model on images of the user's own, at their own size."""

import numpy as np
import pytest
from PIL import Image

import segbench
from segbench.config import load_config
from segbench.data.loader import resize_image
from segbench.data.readers import read_rgb, write_image
from segbench.data.synthetic import draw_scene
from segbench.engine.evaluate import logits_at
from segbench.engine.run import execute
from segbench.errors import SegbenchError


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
    assert nothing.returncode == 2 and "nothing: no such file or folder, or no image in it" in nothing.stderr
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    (weightless / "config.yaml").write_text((trained / "config.yaml").read_text())
    done = cli("predict", weightless, images[0], "--out", tmp_path / "o")
    assert done.returncode == 2 and "no model.weights.h5 there" in done.stderr
    with pytest.raises(SegbenchError, match="not a run folder"):
        segbench.load_run(tmp_path)
