"""``segbench export``: a run's model as a file other runtimes load, through Keras' own ``model.export``, then
checked: the exported file is run (onnxruntime for ONNX, TensorFlow for a SavedModel) on images and its class maps
compared with Keras'.

The exported graph takes RGB uint8 images at the model's input size, NHWC, and normalises them itself (the models
carry their preprocessing); it returns float32 logits, or with ``classes`` the class map (int32), both at the input
size; in an ONNX file the output is named after it (``logits``, ``classes``) rather than the converter's
``Identity:0``. It computes in
float32 whatever precision the run trained in: ONNX Runtime's CPU kernels have no bfloat16, and the weights are
float32 either way. An ONNX file may then be made fp16 or int8 (:mod:`segbench.engine.quantize`), from that float32
file, which is not kept. Every ONNX file records its source (model, run, weights and their SHA-256, output,
precision) in its metadata, which ``segbench evaluate --onnx`` checks against the run."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np

from segbench.data.pairs import read_pair, resize_image
from segbench.engine.loaded import LoadedRun, load_run, own_precision
from segbench.engine.onnxfile import OnnxModel, require, set_metadata
from segbench.engine.quantize import (
    CALIBRATE,
    CALIBRATION_METHOD,
    SPLIT,
    calibration_set,
    forget_calibration,
    quantize,
)
from segbench.errors import SegbenchError, first_line
from segbench.io import atomic_path, os_reason, remove_stale_temporaries, staging_folder, temporary_prefix

FORMATS = {"onnx": "onnx", "saved_model": "tf_saved_model"}  # ours -> Keras' name
# What Keras converts a backend's graph to ONNX with (PyTorch's own torch.onnx needs nothing more), and the extra
# that installs it.
CONVERTERS = {"tensorflow": ("tf2onnx",), "jax": ("jax2onnx",)}
EXTRAS = {"jax": "export-jax"}
OUTPUTS = ("logits", "classes")
EXPORT_POLICY = "float32"


def exportable(run: LoadedRun, output: str) -> keras.Model:
    """The run's model (float32), ending in its logits or, for ``classes``, their argmax; called once, as Keras'
    exporter needs a model that has seen an input."""
    model = run.model
    if output == "classes":
        # top_k rather than argmax (same index, the lower one on ties): Keras' TensorFlow argmax bitcasts its input
        # to treat -0.0, and ONNX has no Bitcast.
        classes = keras.ops.top_k(model.output, 1)[1][..., 0]
        model = keras.Model(model.input, classes, name=f"{model.name}_classes")
    model(np.zeros((1, *model.input_shape[1:]), np.uint8))
    return model


def export(run_dir: Path, fmt: str, out: Path, output: str = "logits", checkpoint: str = "best",
           precision: str = EXPORT_POLICY, calibrate: int = CALIBRATE) -> LoadedRun:
    """Write the run's model to ``out`` (a file for ONNX, a folder for a SavedModel), atomically, in ``precision``
    (fp16 and int8: ONNX only; int8 calibrated on ``calibrate`` train images); returns the run loaded in float32,
    the exported model's source."""
    if precision != EXPORT_POLICY and fmt != "onnx":
        raise SegbenchError(f"--quantize {precision}: ONNX files only (--format onnx)")
    if fmt == "saved_model" and keras.backend.backend() != "tensorflow":
        raise SegbenchError(f"--format saved_model needs KERAS_BACKEND=tensorflow (this is {keras.backend.backend()})")
    if fmt == "onnx":
        backend = keras.backend.backend()
        require("onnx", *CONVERTERS.get(backend, ()), extra=EXTRAS.get(backend, "export"))
    check_out(fmt, out)
    run = load_run(run_dir, checkpoint, policy=EXPORT_POLICY)
    remove_stale_temporaries([out])  # a killed export's .<name>.<random>.onnx, beside the user's own files
    record = {"model": run.config.model.name, "run": run.path.name, "weights": run.weights.name,
              "weights_sha256": run.weights_sha256, "output": output}
    images = calibration = None
    if precision == "int8":  # drawn first: a run whose train data is not at hand stops before the conversion
        seed = run.config.train.seed
        names, images = calibration_set(run.adapter, run.adapter.samples(SPLIT), run.input_size, calibrate, seed)
        calibration = {"method": CALIBRATION_METHOD, "split": SPLIT, "seed": seed, "asked": calibrate,
                       "images": names}
    model = exportable(run, output)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:  # before the conversion: an unwritable folder failed after it, naming segbench's temporary file
        with tempfile.TemporaryFile(dir=out.parent, prefix=temporary_prefix(out)):
            pass
    except OSError as exc:
        raise SegbenchError(f"{out}: cannot be written in {out.parent} ({os_reason(exc)})") from None
    if precision == EXPORT_POLICY:
        _converted(run, model, fmt, out, output, record)
        if fmt == "onnx":  # an int8 export's record of this name still said int8 of the float32 file now there
            forget_calibration(out)
        return run
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=temporary_prefix(out)) as work:
        source = Path(work) / "float32.onnx"
        _converted(run, model, fmt, source, output, record)
        quantize(source, out, precision, record, images, calibration)
    return run


SAVED_MODEL_NAMES = {"saved_model.pb", "saved_model.pbtxt", "fingerprint.pb", "variables", "assets", "assets.extra",
                     "keras_metadata.pb"}


def check_out(fmt: str, out: Path) -> None:
    """Refuse an ``--out`` that export would write through: for an ONNX file a folder (or a name not ending in
    ``.onnx``), and for a SavedModel a file or a folder that holds something else (a SavedModel replaces its folder
    whole: a run folder or a folder of photos given by mistake would be deleted)."""
    if fmt == "onnx" and out.is_dir():
        raise SegbenchError(f"{out}: is a folder; --out names the .onnx file to write")
    if fmt == "onnx" and out.suffix != ".onnx":  # what `bench latency` and a user's eye tell an ONNX file by
        raise SegbenchError(f"{out}: not an .onnx file name; --out names the .onnx file to write")
    if fmt == "onnx" and out.is_file() and not _an_onnx_model(out):
        # As a SavedModel's folder holding a user's files is: notes.onnx of the user's was replaced without a word.
        raise SegbenchError(f"{out}: is a file but no ONNX model, which export would replace; move it, or give --out "
                            "another name")
    if fmt == "saved_model" and out.is_symlink():
        # The folder is replaced by a rename, which a link (to an earlier export, or to nothing) refused only after
        # the whole export, in the words of the staging folder's name.
        raise SegbenchError(f"{out}: is a symbolic link (to {os.readlink(out)}); --out names the SavedModel's "
                            "folder itself")
    if fmt == "saved_model" and out.exists() and not out.is_dir():
        raise SegbenchError(f"{out}: is a file; --out names the SavedModel's folder")
    if fmt == "saved_model" and out.is_dir():
        # What TensorFlow writes into a SavedModel's folder; anything else there (a README beside an earlier export)
        # is the user's, and went with the folder when it was replaced whole.
        others = sorted(path.name for path in out.iterdir() if path.name not in SAVED_MODEL_NAMES)
        # Inside too: export writes no assets, and variables/ holds its index and data shards only.
        others += sorted(f"{path.parent.name}/{path.name}" for folder in ("assets", "assets.extra", "variables")
                         if (out / folder).is_dir() for path in (out / folder).iterdir()
                         if folder != "variables" or not re.fullmatch(r"variables\.(index|data-\d+-of-\d+)",
                                                                       path.name))
        if others or (any(out.iterdir()) and not (out / "saved_model.pb").is_file()):
            named = f" ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})" if others else ""
            raise SegbenchError(f"{out}: holds files that are not a SavedModel's{named}, which export would replace "
                                "with the folder; give a new or empty folder, or an earlier export's")


def _an_onnx_model(path: Path) -> bool:
    """Whether ``path`` parses as an ONNX model with a graph (an earlier export, anyone's), its weights unread."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 (protobuf's DecodeError, or any other parse failure: not a model)
        return False
    return model.ir_version > 0 and len(model.graph.node) > 0


def _converted(run: LoadedRun, model: keras.Model, fmt: str, out: Path, output: str, record: dict) -> None:
    try:
        _write(model, fmt, out, output, record)
    except (SegbenchError, OSError):
        raise
    except Exception as exc:  # noqa: BLE001  (tf2onnx, torch.onnx, TensorFlow: each raises its own types)
        raise SegbenchError(f"{out}: {run.config.model.name} could not be exported as {fmt} ({first_line(exc)})") \
            from None


def _write(model: keras.Model, fmt: str, out: Path, output: str, record: dict) -> None:
    # Keras' bundled tf2onnx glue warns about numpy's np.object on import: not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if fmt == "onnx":
            with atomic_path(out) as tmp:
                model.export(str(tmp), format=FORMATS[fmt], verbose=False, input_signature=_signature(model))
                _name_output(tmp, output, {**record, "precision": EXPORT_POLICY})
        else:  # a folder: written beside its place, then swapped in
            with staging_folder(out.with_name(f".{out.name}.exporting")) as staging:
                model.export(str(staging), format=FORMATS[fmt], verbose=False)
                shutil.rmtree(out, ignore_errors=True)
                staging.rename(out)


def _name_output(path: Path, name: str, record: dict) -> None:
    """The ONNX graph's one input named ``image`` and its one output ``name``: each converter names them its own way
    (tf2onnx ``Identity:0``, jax2onnx ``input_0``), and a client asks for them by name; and ``record``, the file's
    source, in its metadata. Done on the file, after conversion, so that the file of every backend's converter has
    the same names."""
    import onnx

    graph_file = onnx.load(str(path))
    graph = graph_file.graph
    _rename(graph, graph.input[0].name, "image")
    _rename(graph, graph.output[0].name, name)
    set_metadata(graph_file, record)
    onnx.save(graph_file, str(path))


def _rename(graph, old: str, new: str) -> None:
    """Every reference to the graph value ``old`` (the graph's inputs and outputs, the nodes that make or read it,
    its shape record) renamed ``new``."""
    if old == new:
        return
    for node in graph.node:
        node.output[:] = [new if value == old else value for value in node.output]
        node.input[:] = [new if value == old else value for value in node.input]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new


def _signature(model: keras.Model) -> list[keras.InputSpec] | None:
    """Keras' own (any batch size), except on JAX: jax2onnx traces the batch as a symbol, and the models' final
    resize cannot compare a symbolic size with a number, so there the file takes one image at a time."""
    if keras.backend.backend() != "jax":
        return None
    return [keras.InputSpec(shape=(1, *model.input_shape[1:]), dtype="uint8")]


def runner(fmt: str, path: Path):
    """A function from a uint8 batch (N x H x W x 3) to what the exported file returns, as numpy."""
    if fmt == "onnx":
        return OnnxModel(path, cannot_run="written, but onnxruntime cannot run it")
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # held by the function below: its variables live as long as it does
    return lambda images: loaded.serve(tf.constant(images)).numpy()


def agreement(run: LoadedRun, exported, output: str, images: list[np.ndarray], batch_size: int = 8) -> dict:
    """The share of pixels whose class the exported model gives as Keras' float32 model does (its source), and as
    the run's model in the run's own precision does, over ``images`` resized to the input size."""
    input_size = tuple(run.model.input_shape[1:3])
    # The run's model in its own precision, where that is not float32 (else it is the source itself).
    own = None if own_precision(run.config, run.metrics) == EXPORT_POLICY else load_run(run.path, str(run.weights))
    same_source = same_own = pixels = 0
    for start in range(0, len(images), batch_size):
        batch = np.stack([resize_image(image, input_size) for image in images[start:start + batch_size]])
        theirs = np.asarray(exported(batch))
        theirs = theirs if output == "classes" else theirs.argmax(axis=-1)
        same_source += int((theirs == run.model.predict_on_batch(batch).argmax(axis=-1)).sum())
        if own is not None:
            same_own += int((theirs == own.model.predict_on_batch(batch).argmax(axis=-1)).sum())
        pixels += theirs.size
    return {"images": len(images), "pixels": pixels, EXPORT_POLICY: same_source / pixels,
            **({own.precision: same_own / pixels} if own is not None else {})}


def check_images(run: LoadedRun, count: int) -> tuple[list[np.ndarray], str]:
    """Up to ``count`` images of the run's eval split, evenly spaced, where its data is at hand; else as many
    random images (the agreement then says less about real inputs, and the report says which it was)."""
    from segbench.data.base import evenly_spaced

    try:
        samples = run.adapter.samples(run.config.eval.split)
    except SegbenchError:
        samples = []
    if samples:
        chosen = evenly_spaced(samples, count)
        return [read_pair(run.adapter, sample)[0] for sample in chosen], \
            f"{len(chosen)} {run.config.eval.split} images of {run.config.dataset.name}"
    height, width = run.model.input_shape[1:3]
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)], \
        f"{count} random images (the run's data is not at hand)"
