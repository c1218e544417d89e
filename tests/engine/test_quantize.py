"""Quantized export (fp16, int8) and the scoring of exported files: `segbench export --quantize`, `segbench evaluate
--onnx` against known answers, `segbench bench latency` on the files, and `segbench bench deploy` over them."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest

import segbench
from segbench.cli import main
from segbench.config import load_config
from segbench.data.pairs import read_pair, resize_image
from segbench.engine.export import check_images, export
from segbench.engine.onnxfile import OnnxModel, graph_precision, set_metadata
from segbench.engine.quantize import _what_failed, calibration_path, calibration_set
from segbench.engine.rescore import rescore
from segbench.engine.run import execute
from segbench.errors import SegbenchError
from segbench.rundir import read_eval, read_metrics, read_per_image


@pytest.fixture(scope="module")
def files(export_run, tmp_path_factory):
    """The smoke run exported once in each precision (int8 calibrated on 3 train images)."""
    folder = tmp_path_factory.mktemp("exported")
    made = {}
    for precision in ("float32", "fp16", "int8"):
        made[precision] = folder / f"model-{precision}.onnx"
        export(export_run, "onnx", made[precision], precision=precision, calibrate=3)
    return made


def batch_of(run, count=4):
    images, _ = check_images(run, count)
    return np.stack([resize_image(image, run.model.input_shape[1:3]) for image in images])


def classes_agree(a, b) -> float:
    return float((a.argmax(-1) == b.argmax(-1)).mean())


def test_int8_has_quantized_operators_runs_and_records_its_calibration(export_run, files):
    graph = onnx.load(str(files["int8"]))
    ops = {node.op_type for node in graph.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops and graph_precision(graph) == "int8"
    assert any(init.data_type == onnx.TensorProto.INT8 for init in graph.graph.initializer)  # the weights
    run = segbench.load_run(export_run, policy="float32")
    batch = batch_of(run)
    int8 = OnnxModel(files["int8"])
    logits = int8.predict_on_batch(batch)
    assert logits.shape == run.model.predict_on_batch(batch).shape and logits.dtype == np.float32
    assert classes_agree(logits, run.model.predict_on_batch(batch)) > 0.9
    assert int8.precision == "int8" and int8.metadata["weights_sha256"] == run.weights_sha256
    record = json.loads(calibration_path(files["int8"]).read_text())
    calibration = record["calibration"]
    assert record["file"] == "model-int8.onnx" and calibration["method"] == "MinMax" and calibration["seed"] == 0
    train = [sample.name for sample in run.adapter.samples("train")]
    assert len(calibration["images"]) == 3 and calibration["images"] == [n for n in train if n in calibration["images"]]
    assert int8.metadata["calibration_images"] == "3"


def test_calibration_images_are_drawn_by_the_seed_and_prepared_as_evaluation_feeds_them(export_run):
    run = segbench.load_run(export_run)
    samples = run.adapter.samples("train")
    names, images = calibration_set(run.adapter, samples, run.input_size, 3, seed=0)
    again, _ = calibration_set(run.adapter, samples, run.input_size, 3, seed=0)
    other, _ = calibration_set(run.adapter, samples, run.input_size, 3, seed=1)
    assert names == again and names != other
    by_name = {sample.name: sample for sample in samples}
    for name, image in zip(names, images):
        native = read_pair(run.adapter, by_name[name])[0]
        assert native.shape[:2] != run.input_size and image.shape == (*run.input_size, 3)  # resized, as evaluation does
        assert np.array_equal(image, resize_image(native, run.input_size))
    everything, _ = calibration_set(run.adapter, samples, run.input_size, 100, seed=0)
    assert len(everything) == len(samples)


def test_fp16_has_float16_weights_and_runs(export_run, files):
    graph = onnx.load(str(files["fp16"]))
    assert graph_precision(graph) == "fp16"
    assert sum(init.data_type == onnx.TensorProto.FLOAT16 for init in graph.graph.initializer) > 5
    assert graph.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8  # still uint8 images in
    run = segbench.load_run(export_run, policy="float32")
    batch = batch_of(run)
    logits = OnnxModel(files["fp16"]).predict_on_batch(batch)
    assert logits.dtype == np.float32 and np.allclose(logits, run.model.predict_on_batch(batch), atol=0.05)
    assert not calibration_path(files["fp16"]).exists()


def resize_by_sizes(path):
    """A graph as tf2onnx writes a resize to a computed size (SegFormer's, DeepLabV3+'s): Resize given ``sizes``, its
    ``roi`` and ``scales`` one shared empty float initializer; a float weight before it, for fp16 to convert."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("Cast", ["image"], ["x"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["x", "w"], ["y"]),
             helper.make_node("Transpose", ["y"], ["nchw"], perm=[0, 3, 1, 2]),
             helper.make_node("Resize", ["nchw", "empty", "empty", "sizes"], ["big"], mode="linear"),
             helper.make_node("Transpose", ["big"], ["logits"], perm=[0, 2, 3, 1])]
    initializers = [numpy_helper.from_array(np.full(3, 0.5, np.float32), "w"),
                    numpy_helper.from_array(np.zeros(0, np.float32), "empty"),
                    numpy_helper.from_array(np.array([1, 3, 8, 8], np.int64), "sizes")]
    graph = helper.make_graph(nodes, "resize", [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 4, 4, 3])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 8, 8, 3])], initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def test_fp16_of_a_resize_to_a_computed_size_runs_as_its_float32_source(tmp_path):
    from segbench.engine.quantize import quantize

    resize_by_sizes(tmp_path / "float32.onnx")
    quantize(tmp_path / "float32.onnx", tmp_path / "fp16.onnx", "fp16", {"model": "resize"})
    image = np.random.default_rng(0).integers(0, 256, (1, 4, 4, 3), dtype=np.uint8)
    want = OnnxModel(tmp_path / "float32.onnx").predict_on_batch(image)
    got = OnnxModel(tmp_path / "fp16.onnx").predict_on_batch(image)
    assert got.shape == (1, 8, 8, 3) and np.allclose(got, want, rtol=1e-3, atol=0.1)


def test_a_converted_file_onnxruntime_cannot_load_is_one_line_and_left_nowhere(tmp_path, monkeypatch):
    from segbench.engine import quantize as module

    resize_by_sizes(tmp_path / "float32.onnx")
    monkeypatch.setattr(module, "absent_empty_inputs", lambda model: model)  # the converter's own graph, as it was
    out = tmp_path / "out" / "fp16.onnx"
    out.parent.mkdir()
    with pytest.raises(SegbenchError) as raised:
        module.quantize(tmp_path / "float32.onnx", out, "fp16", {"model": "resize"})
    assert str(raised.value).startswith(f"{out}: fp16 conversion failed at Resize node ")
    assert "\n" not in str(raised.value) and list(out.parent.iterdir()) == []


def test_a_quantization_failure_is_one_line_naming_the_operator_and_leaves_no_file(export_run, tmp_path,
                                                                                   monkeypatch, capsys):
    import onnxruntime.quantization

    def broken(*args, **kwargs):
        node = onnx.helper.make_node("Conv", ["x", "w"], ["y"], name="conv2d_7")  # what the quantizer walks
        assert node
        raise ValueError("per-channel axis 5 is out of range\nand a second line")

    monkeypatch.setattr(onnxruntime.quantization, "quantize_static", broken)
    out = tmp_path / "out" / "m-int8.onnx"
    assert main(["export", str(export_run), "--format", "onnx", "--out", str(out), "--quantize", "int8",
                 "--calibrate", "2"]) == 2
    error = capsys.readouterr().err
    assert error == (f"segbench: error: {out}: int8 conversion failed at Conv node conv2d_7: ValueError: per-channel "
                     "axis 5 is out of range\n")
    assert list(out.parent.iterdir()) == []  # neither the file, its record, nor a temporary


def test_an_onnxruntime_message_names_the_operator_when_no_node_is_at_hand():
    found = _what_failed(RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Node (resize_3) Op (Resize) bad scales"))
    assert found.startswith("conversion failed at Resize node resize_3: RuntimeError: [ONNXRuntimeError]")
    assert _what_failed(KeyError("x")) == "conversion failed (the library names no operator): KeyError: 'x'"


def test_a_quantized_file_that_changes_pixels_is_reported_not_refused(export_run, files, tmp_path, monkeypatch,
                                                                       capsys):
    from segbench.commands import export as command
    from segbench.engine import export as engine

    monkeypatch.setattr(engine, "agreement", lambda *args: {"images": 4, "pixels": 100, "float32": 0.6})
    args = type("Args", (), {"run_dir": export_run, "fmt": "onnx", "out": tmp_path / "m.onnx", "output": "logits",
                             "checkpoint": "best", "check": 4, "quantize": "fp16", "calibrate": None})
    assert command.run(args) == 0
    out = capsys.readouterr().out
    assert "60.000 % (float32, the source of this fp16 file" in out and "reported, not refused" in out
    assert OnnxModel(tmp_path / "m.onnx").precision == "fp16"
    args.calibrate = 4
    with pytest.raises(SegbenchError, match="--calibrate goes with --quantize int8"):
        command.run(args)


def test_evaluate_onnx_scores_the_file_into_eval_and_compares_with_the_run(export_run, files, cli):
    done = cli("evaluate", export_run, "--onnx", files["int8"])
    assert done.returncode == 0, done.stderr
    assert f"{export_run / 'eval' / 'onnx-int8.json'}: mIoU" in done.stdout and "int8, onnxruntime" in done.stdout
    found = read_eval(export_run, "onnx-int8")
    assert found["mode"]["onnx"]["precision"] == "int8" and found["precision"] == "int8"
    assert found["mode"]["onnx"]["sha256"] == OnnxModel(files["int8"]).sha256
    assert read_per_image(export_run, "onnx-int8")["ids"] == read_per_image(export_run)["ids"]
    compared = cli("compare", export_run / "eval" / "onnx-int8.json", export_run, "--json", "--resamples", "100")
    assert compared.returncode == 0, compared.stderr
    paired = json.loads(compared.stdout)
    assert paired["images"] == 4 and paired["paper"]["miou"]["difference"] == pytest.approx(
        found["miou"] - read_metrics(export_run)["miou"])


def test_evaluate_onnx_refuses_what_it_cannot_score_as_the_run_would(export_run, files, tmp_path, capsys):
    other = tmp_path / "other-weights.onnx"
    graph = onnx.load(str(files["float32"]))
    set_metadata(graph, {"weights": "model.weights.h5", "weights_sha256": "0" * 64})
    onnx.save(graph, str(other))
    another = tmp_path / "another-model.onnx"
    set_metadata(graph, {"model": "deeplab", "run": "deeplab-seed1", "weights_sha256": "0" * 64})
    onnx.save(graph, str(another))
    classes = tmp_path / "classes.onnx"
    export(export_run, "onnx", classes, output="classes")
    bare = tmp_path / "bare.onnx"  # as a graph optimiser writes it back: another run's file passed as this one's
    del graph.metadata_props[:]
    onnx.save(graph, str(bare))
    for args, expected in (([other], "exported from other weights (model.weights.h5, SHA-256 000000000000...)"),
                           ([bare], "records no weights it was exported from"),
                           ([another], "a file of another model (deeplab, from the run deeplab-seed1) than"),
                           ([classes], "not the 5 classes' logits"),
                           ([files["int8"], "--tta", "flip"], "leave out --tta, --scales, --window and --robustness"),
                           ([tmp_path / "none.onnx"], "none.onnx: no such file")):
        assert main(["evaluate", str(export_run), "--onnx", *map(str, args)]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and expected in error, (args, error)


# A dataset whose images say their classes by colour, and a model whose logits are a fixed function of the colour
# with a wide margin (0.14 at the least; int8's step on these logits is about 1/255): int8 cannot change a class.
# The images are at the model's input size, so that no resize blends two classes into a near tie.
PRIMARIES = '''\
import keras
import numpy as np

from segbench.data.base import DatasetAdapter, Sample
from segbench.registry import DATASETS, MODELS
from segbench.schema import DatasetConfig

SIZE = (24, 32)


@DATASETS.register("primaries", options=DatasetConfig)
class Primaries(DatasetAdapter):
    classes = ("dark", "red", "green", "blue")
    palette = ((0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255))

    def list_pairs(self, split):
        return [Sample(id=f"primaries/{split}/{i:03d}.png") for i in range(4)]

    def load(self, sample):
        _, split, name = sample.id.split("/")
        rng = np.random.default_rng([len(split), int(name[:3])])
        label = np.kron(rng.integers(0, 4, (SIZE[0] // 4, SIZE[1] // 4)), np.ones((4, 4), int)).astype(np.uint8)
        image = rng.integers(0, 61, (*SIZE, 3))
        for c in range(3):
            lit = label == c + 1
            image[..., c][lit] = rng.integers(150, 256, lit.sum())
        # A quarter of the blocks labelled one class on from their colour: the model is wrong there, so the
        # confusion matrix has cells off its diagonal for the two runtimes to agree on.
        shifted = np.kron(rng.random((SIZE[0] // 4, SIZE[1] // 4)) < 0.25, np.ones((4, 4), bool))
        return image.astype(np.uint8), np.where(shifted, (label + 1) % 4, label).astype(np.uint8)


def build(config, num_classes):
    image = keras.Input((*config.input_size, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255)(image)
    kernel = np.zeros((1, 1, 3, num_classes), np.float32)
    kernel[0, 0, [0, 1, 2], [1, 2, 3]] = 1.0  # red, green, blue: their own channel; dark: 0.45 whatever the pixel
    bias = np.array([0.45, 0, 0, 0], np.float32)
    logits = keras.layers.Conv2D(num_classes, 1, dtype="float32", name="logits", trainable=False,
                                 kernel_initializer=keras.initializers.Constant(kernel),
                                 bias_initializer=keras.initializers.Constant(bias))(x)
    return keras.Model(image, logits, name=config.name)


build.default_classes = 4
MODELS.register("primary_logits")(build)
'''


@pytest.fixture(scope="module")
def primaries(tmp_path_factory):
    folder = tmp_path_factory.mktemp("primaries")
    (folder / "primaries.py").write_text(PRIMARIES)
    (folder / "run.yaml").write_text("imports: [primaries.py]\ndataset: {name: primaries}\n"
                                     "model: {name: primary_logits, input_size: [24, 32]}\n"
                                     "train: {epochs: 1, batch_size: 2, precision: float32}\neval: {figure_images: 0}\n")
    out = folder / "run"
    with warnings.catch_warnings():  # Keras says the model has no trainable weights: by design here
        warnings.simplefilter("ignore", UserWarning)
        execute(load_config(folder / "run.yaml", [f"output.dir={out}"]))
    return out


def test_an_int8_file_whose_classes_cannot_change_scores_the_keras_confusion_matrix_exactly(primaries, tmp_path):
    keras_scored = read_metrics(primaries)
    cm = np.asarray(keras_scored["confusion_matrix"])
    assert (np.diag(cm) > 0).all() and (cm - np.diag(np.diag(cm))).sum() > 0  # every class, and mistakes
    int8 = tmp_path / "int8.onnx"
    export(primaries, "onnx", int8, precision="int8", calibrate=4)
    assert graph_precision(onnx.load(str(int8))) == "int8"
    run = segbench.load_run(primaries)
    found = rescore(run, onnx=OnnxModel(int8), progress=False)
    assert found["mode"]["name"] == "onnx-int8"
    assert found["confusion_matrix"] == keras_scored["confusion_matrix"]
    assert np.array_equal(read_per_image(primaries, "onnx-int8")["matrices"], read_per_image(primaries)["matrices"])
    # The file is what was scored: red's and blue's logits swapped in it swap the predicted columns, and nothing
    # else.
    export(primaries, "onnx", tmp_path / "float32.onnx")
    graph, swapped = onnx.load(str(tmp_path / "float32.onnx")), tmp_path / "swapped.onnx"
    for init in graph.graph.initializer:
        array = onnx.numpy_helper.to_array(init)
        if array.shape and array.shape[0] == 4 and array.ndim in (1, 4):  # the 1x1 kernel (OIHW) and its bias
            init.CopyFrom(onnx.numpy_helper.from_array(array[[0, 3, 2, 1]], init.name))
    onnx.save(graph, str(swapped))
    moved = rescore(run, onnx=OnnxModel(swapped), progress=False)
    assert np.array_equal(np.asarray(moved["confusion_matrix"]), cm[:, [0, 3, 2, 1]])


def test_latency_of_a_run_and_its_files_names_the_machine_and_feeds_the_deploy_table(export_run, files, tmp_path,
                                                                                     cli, capsys):
    from segbench.backend import cpu

    out = tmp_path / "latency.json"
    done = cli("bench", "latency", export_run, files["float32"], files["int8"], "--threads", "1", "--budget", "0.5",
               "--min-calls", "5", "--warmup", "1", "--out", out)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    results = document["results"]
    assert [(r["kind"], r["precision"]) for r in results] == [("keras", "mixed_bfloat16"), ("onnx", "float32"),
                                                              ("onnx", "int8")]
    machine = cpu()
    assert document["machine"] == machine and all(r["machine"] == machine for r in results)
    assert done.stdout.count(machine) >= 4  # the heading and every row
    for r in results:
        latency = r["latency_ms"]
        assert r["threads"] == 1 and len(r["cores"]) == 1 and latency["calls"] >= 5 and latency["warmup"] == 1
        assert latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
        assert r["throughput"]["images_per_s"] > 0 and r["batch"] == 8
    assert results[2]["sha256"] == OnnxModel(files["int8"]).sha256 and results[0]["bytes"] > 0

    run = segbench.load_run(export_run)
    for precision in ("float32", "int8"):
        rescore(run, onnx=OnnxModel(files[precision]), progress=False)
    table = tmp_path / "deploy" / "deploy-cpu.md"
    assert main(["bench", "deploy", str(export_run), "--latency", str(out), "--out", str(table),
                 "--resamples", "100"]) == 0
    capsys.readouterr()
    text = table.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| segnet")]
    assert [row.split("|")[3].strip() for row in rows] == ["mixed_bfloat16", "float32", "int8"]
    assert "reference" in rows[1] and machine in rows[2] and "1 thr." in text
    int8 = read_eval(export_run, "onnx-int8")["miou"] - read_eval(export_run, "onnx-float32")["miou"]
    assert f"{100 * int8:+.2f} [" in rows[2]
    assert (tmp_path / "deploy" / "deploy-cpu.png").stat().st_size > 10_000 and "(deploy-cpu.png)" in text

    # Kept beside the table without weights, the run's figures write the same table again; a run kept later joins.
    kept, again = tmp_path / "kept", tmp_path / "again" / "deploy-cpu.md"
    assert main(["bench", "deploy", str(export_run), "--keep", str(kept), "--latency", str(out), "--out", str(again),
                 "--resamples", "100"]) == 0
    assert not list(kept.rglob("*.h5")) and (kept / export_run.name / "eval" / "onnx-int8.npz").is_file()
    assert again.read_text() == text
    other = kept.parent / "elsewhere" / "other"
    shutil.copytree(kept / export_run.name, other)
    assert main(["bench", "deploy", str(other), "--keep", str(kept), "--latency", str(out), "--out", str(again),
                 "--resamples", "100"]) == 0
    capsys.readouterr()
    rows = [line.split("|") for line in again.read_text().splitlines() if line.startswith("| ")][1:]
    assert [row[1].strip() for row in rows] == ["segnet (other)"] * 3 + ["segnet"] * 3
    assert rows[0][6].strip() == "-" and rows[3][6].strip() != "-"  # the Keras model timed is the segnet folder's


def test_a_float32_export_over_an_int8_one_takes_its_calibration_record_away(export_run, files, tmp_path):
    """The int8 record stayed beside the float32 file now at its name, and said int8 of it (probe 16a case 8); a
    file of that name that no export wrote stays."""
    import shutil

    out = tmp_path / "m.onnx"
    shutil.copy(files["int8"], out)
    shutil.copy(calibration_path(files["int8"]), calibration_path(out))
    export(export_run, "onnx", out)
    assert graph_precision(onnx.load(str(out))) == "float32" and not calibration_path(out).exists()
    calibration_path(out).write_text("my notes")
    export(export_run, "onnx", out)
    assert calibration_path(out).read_text() == "my notes"


def test_the_quantizers_work_folder_is_inside_the_exports_own(export_run, tmp_path, monkeypatch):
    """A SIGKILL while onnxruntime quantized left .quantize.<random>/ (a copy of the model) beside --out for good:
    the next export clears only temporaries of its own names (probe 16a case 14)."""
    from onnxruntime.quantization import shape_inference

    from segbench.io import temporary_prefix

    seen = []

    def killed(source, prepared, **kwargs):
        seen.append(Path(prepared).parent)
        raise KeyboardInterrupt  # where a SIGKILL stops it, but TemporaryDirectory still cleans up behind it

    monkeypatch.setattr(shape_inference, "quant_pre_process", killed)
    out = tmp_path / "k.onnx"
    with pytest.raises(KeyboardInterrupt):
        export(export_run, "onnx", out, precision="int8", calibrate=2)
    assert seen and seen[0].parent.parent == tmp_path and seen[0].parent.name.startswith(temporary_prefix(out))
