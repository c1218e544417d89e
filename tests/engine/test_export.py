"""segbench export: the run's model as ONNX (run by onnxruntime) and as a TensorFlow SavedModel, each checked
against Keras on images; ONNX on each Keras backend (make test-torch and test-jax run this file again)."""

import importlib.util
from pathlib import Path

import keras
import numpy as np
import pytest

from segbench.config import load_config
from segbench.data.pairs import resize_image
from segbench.engine.export import CONVERTERS, agreement, check_images, export, runner
from segbench.engine.run import execute
from segbench.errors import SegbenchError
from segbench.io import temporary_prefix, write_yaml
from segbench.registry import DATASETS, MODELS
from segbench.rundir import CONFIG, LAST_WEIGHTS

BACKEND = keras.backend.backend()
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in CONVERTERS.get(BACKEND, ())),
    reason=f"Keras exports ONNX on {BACKEND} through {', '.join(CONVERTERS.get(BACKEND, ()))}: not installed")
FORMATS = [("onnx", "logits"), ("onnx", "classes"),
           pytest.param("saved_model", "logits", marks=pytest.mark.skipif(
               BACKEND != "tensorflow", reason="a TensorFlow SavedModel: the TensorFlow backend's"))]


@pytest.fixture
def trained(export_run):
    return export_run  # tests/engine/conftest.py: trained once for this file and test_quantize.py


@pytest.mark.parametrize("fmt, output", FORMATS)
def test_the_exported_model_gives_keras_classes(trained, tmp_path, fmt, output):
    out = tmp_path / ("model.onnx" if fmt == "onnx" else "saved")
    run = export(trained, fmt, out, output)
    assert run.precision == "float32" and out.exists() and not list(tmp_path.glob(".*exporting*"))
    images, where = check_images(run, 4)
    assert where == "4 test images of synthetic"
    exported = runner(fmt, out)
    batch = np.stack([resize_image(image, run.model.input_shape[1:3]) for image in images])
    result = np.asarray(exported(batch))
    keras_logits = run.model.predict_on_batch(batch)
    if output == "classes":
        assert result.shape == batch.shape[:3] and (result == keras_logits.argmax(axis=-1)).all()
    else:
        assert result.shape == keras_logits.shape and np.allclose(result, keras_logits, atol=1e-3)
    if fmt == "onnx":  # a client asks for them by name
        import onnx

        graph = onnx.load(str(out)).graph
        assert [value.name for value in graph.input] == ["image"] and [value.name for value in graph.output] == [output]
    found = agreement(run, exported, output, images)
    assert found["float32"] == 1.0 and found["pixels"] == batch.shape[0] * batch.shape[1] * batch.shape[2]
    assert 0.99 <= found["mixed_bfloat16"] <= 1.0  # the run trained in bf16: a few pixels may differ there


def test_batch_normalisation_after_a_resize_is_exported_in_inference_mode(tmp_path, smoke_config):
    """PSPNet's decoder normalises after resizing its pooled maps: once, the exported file normalised each batch by
    its own statistics there (Keras' Resizing layer did it), and gave other classes on a third of the pixels."""
    out = untrained_run(tmp_path / "pspnet", load_config(smoke_config, [
        "model.name=mobilenet_pspnet", "model.input_size=[64,64]", "model.width=0.25"]))
    run = export(out, "onnx", tmp_path / "model.onnx")
    images, _ = check_images(run, 4)
    batch = np.stack([resize_image(image, run.model.input_shape[1:3]) for image in images])
    np.testing.assert_allclose(runner("onnx", tmp_path / "model.onnx")(batch), run.model.predict_on_batch(batch),
                               atol=1e-3)


def untrained_run(folder, config):
    """A run folder as export reads it (config.yaml, model.weights.h5) of a model built and never trained, its
    batch normalisations' moving statistics drawn apart from any batch's own, so that normalising by a batch's own
    statistics shows (training one epoch for them cost this test most of its minute)."""
    adapter = DATASETS.get(config.dataset.name)(config.dataset)
    model = MODELS.get(config.model.name)(config.model, adapter.num_classes)
    rng = np.random.default_rng(0)
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape))
    folder.mkdir(parents=True)
    model.save_weights(folder / LAST_WEIGHTS)
    write_yaml(folder / CONFIG, config.model_dump(mode="json"))
    return folder


def test_a_file_that_disagrees_with_its_source_fails_the_export(trained, tmp_path, monkeypatch, capsys):
    from segbench.commands import export as command
    from segbench.engine import export as engine

    monkeypatch.setattr(engine, "agreement", lambda *args: {"images": 4, "pixels": 100, "float32": 0.6})
    args = type("Args", (), {"run_dir": trained, "fmt": "onnx", "out": tmp_path / "m.onnx", "output": "logits",
                             "checkpoint": "best", "check": 4, "quantize": None, "calibrate": None})
    assert command.run(args) == 1
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "another class than its source" in error and "on 40.00 % of the pixels" in error


def test_export_from_the_command_line(trained, tmp_path, cli):
    # What killed exports left beside the file (atomic_path's temporary, a quantization's work folder) is cleared;
    # a temporary of another name is not, nor a user's hidden file of that shape without segbench's mark.
    prefix = temporary_prefix(tmp_path / "m.onnx")
    stale, work, theirs = tmp_path / f"{prefix}0p4c0v5p.onnx", tmp_path / f"{prefix}if_emkip", \
        tmp_path / f"{prefix}12345678.txt"
    users, users_folder = tmp_path / ".m.0p4c0v5p.onnx", tmp_path / ".m.personal"  # a folder was deleted whole
    stale.write_bytes(b"")
    work.mkdir()
    theirs.write_text("mine")
    users.write_text("mine")
    users_folder.mkdir()
    (users_folder / "thesis.txt").write_text("mine")
    done = cli("export", trained, "--format", "onnx", "--out", tmp_path / "m.onnx", "--check", "2")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and not work.exists() and theirs.exists() and users.exists()
    assert (users_folder / "thesis.txt").read_text() == "mine"
    assert "100.000 % (float32, the exported model's source)" in done.stdout
    assert "FutureWarning" not in done.stderr
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    (weightless / "config.yaml").write_text((trained / "config.yaml").read_text())
    refused = cli("export", weightless, "--format", "onnx", "--out", tmp_path / "w.onnx")
    assert refused.returncode == 2 and "no model.weights.h5 there" in refused.stderr
    assert not (tmp_path / "w.onnx").exists()


def test_a_weights_file_that_is_not_there_is_one_line(trained):
    with pytest.raises(SegbenchError, match="nothing.h5: no such weights file"):
        export(trained, "onnx", trained / "x.onnx", checkpoint="nothing.h5")
    assert not (trained / "x.onnx").exists()


@pytest.mark.skipif(BACKEND != "jax", reason="jax2onnx's max pooling")
def test_a_file_onnxruntime_cannot_run_is_one_line(tmp_path, smoke_config, cli):
    out = tmp_path / "segnet"
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1"]))
    done = cli("export", out, "--format", "onnx", "--out", tmp_path / "s.onnx", "--check", "1")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "s.onnx: written, but onnxruntime cannot run it" in done.stderr and "MaxPool" in done.stderr


def test_an_out_that_export_would_write_through_is_refused(tmp_path):
    """A SavedModel replaces its folder whole: `--out` naming a folder of the user's (a run folder, photos) once
    deleted everything in it; an ONNX file's --out naming a folder was refused by a temporary file's name."""
    from segbench.engine.export import check_out

    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    # A SavedModel is TensorFlow's: on the other backends export refuses the format first, so the rule is asked here.
    saved_model = export if keras.backend.backend() == "tensorflow" else lambda run, fmt, out: check_out(fmt, out)
    with pytest.raises(SegbenchError, match="photos: holds files that are not a SavedModel"):
        saved_model(tmp_path / "no-run", "saved_model", precious)
    assert (precious / "notes.txt").read_text() == "mine"
    # An earlier export with the user's README beside it: replaced whole, the README went with it.
    (precious / "saved_model.pb").write_bytes(b"junk")
    (precious / "variables").mkdir()
    with pytest.raises(SegbenchError, match=r"photos: holds files that are not a SavedModel's \(notes.txt\)"):
        check_out("saved_model", precious)
    (precious / "notes.txt").rename(tmp_path / "notes.txt")
    (precious / "variables" / "variables.index").write_bytes(b"")
    (precious / "variables" / "variables.data-00000-of-00001").write_bytes(b"")
    check_out("saved_model", precious)  # an earlier export alone is replaced
    (precious / "variables" / "my.backup").write_text("mine")  # inside it too
    with pytest.raises(SegbenchError, match=r"photos: holds files that are not a SavedModel's \(variables/my.backup\)"):
        check_out("saved_model", precious)
    (precious / "variables" / "my.backup").unlink()
    (tmp_path / "notes.txt").rename(precious / "notes.txt")
    with pytest.raises(SegbenchError, match="notes.txt: is a file; --out names the SavedModel's folder"):
        saved_model(tmp_path / "no-run", "saved_model", precious / "notes.txt")
    # A link, to an earlier export or to nothing: the rename into place failed after the whole export, naming the
    # staging folder (probe 12 case 20).
    (tmp_path / "link").symlink_to(precious)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for link, target in (("link", precious), ("dangling", tmp_path / "nowhere")):
        with pytest.raises(SegbenchError, match=rf"^{tmp_path / link}: is a symbolic link \(to {target}\); --out "
                                                r"names the SavedModel's folder itself$"):
            saved_model(tmp_path / "no-run", "saved_model", tmp_path / link)
        (tmp_path / link).unlink()
    with pytest.raises(SegbenchError, match=r"photos: is a folder; --out names the \.onnx file"):
        export(tmp_path / "no-run", "onnx", precious)
    with pytest.raises(SegbenchError, match=r"model.txt: not an \.onnx file name"):
        export(tmp_path / "no-run", "onnx", tmp_path / "model.txt")
    # A user's file named .onnx that is no model was replaced without a word (probe 19b case 12a).
    (tmp_path / "notes.onnx").write_text("my notes, not a model")
    with pytest.raises(SegbenchError, match=r"^.*notes.onnx: is a file but no ONNX model, which export would replace"):
        export(tmp_path / "no-run", "onnx", tmp_path / "notes.onnx")
    assert (tmp_path / "notes.onnx").read_text() == "my notes, not a model"
    (tmp_path / "notes.onnx").unlink()
    assert [p.name for p in tmp_path.iterdir()] == ["photos"]


def test_an_out_in_a_folder_that_cannot_be_written_is_named_before_the_conversion(trained, monkeypatch):
    """`--out /sys/x.onnx` failed after the whole export, naming segbench's temporary file (probe 19b case 12b)."""
    import segbench.engine.export as exporting

    monkeypatch.setattr(exporting, "_converted", lambda *a: pytest.fail("converted"))
    with pytest.raises(SegbenchError, match=r"^/proc/segbench-test\.onnx: cannot be written in /proc \("):
        export(trained, "onnx", Path("/proc/segbench-test.onnx"))


@pytest.mark.parametrize("fmt, name, kind", [("onnx", "eval/m.onnx", "file"), ("saved_model", "predictions", "folder")])
def test_an_out_in_a_run_folder_is_refused_before_keras_loads(tmp_path, capsys, fmt, name, kind):
    """An export inside a run's eval/ went with it when the run started over, and a SavedModel replaced an empty
    predictions/ of the run's (probe 12 case 15: bench's --out wrote over a run's files; one check for every verb)."""
    from segbench.cli import main

    run = tmp_path / "runE"
    for folder in ("eval", "predictions"):
        (run / folder).mkdir(parents=True)
    for file in ("config.yaml", "metrics.json"):
        (run / file).write_text("{}")
    assert main(["export", str(run), "--format", fmt, "--out", str(run / name)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run / name}: lies inside the run folder {run}, whose files export would write over; give "
        f"--out a {kind} of its own")
    assert sorted(str(path.relative_to(run)) for path in run.rglob("*")) == \
        ["config.yaml", "eval", "metrics.json", "predictions"]


@pytest.mark.parametrize("quantize", ["int8", "fp16"])
def test_a_users_file_where_the_calibration_record_goes_is_refused_before_keras_loads(tmp_path, capsys, quantize):
    """`export --quantize int8 --out q.onnx` replaced a user's q.calibration.json, and an fp16 export deleted it
    (probe 15 case 21)."""
    from segbench.cli import main

    run = tmp_path / "runE"
    run.mkdir()
    (tmp_path / "q.calibration.json").write_text('{"my": "notes"}')
    assert main(["export", str(run), "--format", "onnx", "--quantize", quantize, "--out", str(tmp_path / "q.onnx")]) \
        == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {tmp_path / 'q.calibration.json'}: not a calibration record of segbench's, and an "
        f"{quantize} export to {tmp_path / 'q.onnx'} would replace it; move it, or give --out another name")
    assert (tmp_path / "q.calibration.json").read_text() == '{"my": "notes"}'
