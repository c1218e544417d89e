"""``segbench export --quantize``: a float32 ONNX file made fp16 or int8 with the tools made for it, both shipped
with onnxruntime: its float16 converter (``onnxruntime.transformers.float16``) and its static quantization
(``onnxruntime.quantization.quantize_static``: QDQ format, int8 weights per output channel, int8 activations whose
ranges are calibrated on training images).

The calibration images are drawn from the run's train split by the run's seed and prepared as evaluation prepares
every image for the model (read, resized bilinearly to the input size, uint8: the graph normalises them itself), so
the ranges are those of what the model sees when it is used. What was drawn is recorded beside the file.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from segbench.data.pairs import read_pair, resize_image
from segbench.engine.onnxfile import graph_precision, require, session, set_metadata
from segbench.errors import DataError, SegbenchError, first_line
from segbench.io import atomic_path, read_record, write_json

CALIBRATE = 64  # images, by default; ORT's examples use tens to hundreds
# MinMax: each activation's range is the least and greatest value it took over the calibration images (ORT's
# default; entropy and percentile keep a histogram of every activation, far heavier, and were not measured here).
CALIBRATION_METHOD = "MinMax"
SPLIT = "train"  # never the split the file is scored on


def calibration_path(out: Path) -> Path:
    """The record beside an int8 file: ``model-int8.onnx`` -> ``model-int8.calibration.json``."""
    return out.with_name(f"{out.stem}.calibration.json")


def foreign_calibration(out: Path) -> Path | None:
    """The file at ``calibration_path(out)`` where it is not a calibration record an export wrote (a user's notes of
    that name were replaced by an int8 export, and deleted by an fp16 one); None where there is none, or ours."""
    path = calibration_path(out)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        found = json.loads(read_record(path))
    except (OSError, ValueError, SegbenchError):
        return path
    return None if isinstance(found, dict) and {"file", "calibration"} <= set(found) else path


def forget_calibration(out: Path) -> None:
    """Remove the calibration record an earlier int8 export to ``out`` left beside it, which would describe the
    file written there now (an fp16 or float32 one); a file of that name that no export wrote is left as it is."""
    if foreign_calibration(out) is None:
        calibration_path(out).unlink(missing_ok=True)


def calibration_set(adapter, split_samples: list, input_size: tuple[int, int], count: int,
                    seed: int) -> tuple[list[str], list[np.ndarray]]:
    """``count`` samples of ``split_samples`` (all of them where there are fewer) drawn without replacement by
    ``seed``, in split order, and their images as the model is fed them."""
    if not split_samples:
        raise DataError(f"{adapter.root}: {adapter.config.name} has no {SPLIT} pairs there to calibrate int8 on")
    chosen = sorted(np.random.default_rng(seed).choice(len(split_samples), min(count, len(split_samples)),
                                                       replace=False).tolist())
    samples = [split_samples[i] for i in chosen]
    return [sample.name for sample in samples], [resize_image(read_pair(adapter, sample)[0], input_size)
                                                 for sample in samples]


def quantize(source: Path, out: Path, precision: str, record: dict, images: list[np.ndarray] | None = None,
             calibration: dict | None = None) -> None:
    """Write ``source`` (float32 ONNX) as ``precision`` (fp16, or int8 calibrated on ``images``) to ``out``,
    atomically: on failure nothing is left at ``out``, and the error is one line naming the operator where the
    library's error lets it be found. ``record`` (where the file comes from) goes into the file's metadata; for
    int8 it is written with ``calibration`` (how, on which images) to ``calibration_path(out)`` too, and the
    calibration's method and image count into the metadata."""
    require("onnx", "onnxruntime")
    import onnx

    record = {**record, "precision": precision}
    summary = {"calibration_method": calibration["method"], "calibration_images": len(calibration["images"])} \
        if precision == "int8" else {}
    with atomic_path(out) as tmp:
        try:
            with _library_quiet():
                if precision == "fp16":
                    _fp16(source, tmp)
                else:
                    # Its work beside the float32 source, in the export's temporary folder: a killed export's is
                    # cleared with that (a .quantize.<random>/ of its own beside --out stayed for good).
                    _int8(source, tmp, images, source.parent)
        except (SegbenchError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001  (onnx's, onnxruntime's and numpy's errors share no base)
            raise SegbenchError(f"{out}: {precision} {_what_failed(exc)}") from None
        _loads(tmp, out, precision)
        model = onnx.load(str(tmp))
        if graph_precision(model) != precision:  # a converter that changed nothing must not pass for one that did
            raise SegbenchError(f"{out}: the {precision} conversion left the graph {graph_precision(model)} (no "
                                "operator it converts)")
        set_metadata(model, {**record, **summary})
        onnx.save(model, str(tmp))
        if precision == "int8":
            write_json(calibration_path(out), {"file": out.name, **record, "calibration": calibration})
        else:
            forget_calibration(out)


def _fp16(source: Path, tmp: Path) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    # keep_io_types: the file still takes uint8 images and returns float32 logits, as every segbench file does; the
    # converter leaves the operators without a float16 kernel in float32, with casts around them.
    onnx.save(convert_float_to_float16(absent_empty_inputs(onnx.load(str(source))), keep_io_types=True), str(tmp))


def absent_empty_inputs(model):
    """``model`` with every optional input of a Resize that names an empty initializer left out (``""``), as ONNX
    says an absent input is written. tf2onnx fills Resize's ``roi`` and ``scales`` with one shared empty float tensor
    when it gives ``sizes``; onnxruntime reads an empty initializer as absent, but the float16 converter puts a Cast
    in front of ``scales`` (a float input it must keep float32), whose output onnxruntime cannot see is empty, and
    then refuses the file: "Either `sizes` or `scales` must be provided, but not both"."""
    from onnx import numpy_helper

    empty = {init.name for init in model.graph.initializer if numpy_helper.to_array(init).size == 0}
    for node in model.graph.node:
        if node.op_type == "Resize":
            for i in (1, 2):  # roi, scales; sizes (3) is what the graph resizes by
                if i < len(node.input) and node.input[i] in empty:
                    node.input[i] = ""
    return model


def _loads(tmp: Path, out: Path, precision: str) -> None:
    """One line, and no file at ``out``, where onnxruntime refuses the converted graph: a converter can write a
    graph the runtime cannot load, and a file that cannot run must not be left where a user would take it."""
    try:
        session(tmp)
    except Exception as exc:  # noqa: BLE001  (onnxruntime's InvalidGraph, NotImplemented, ... share no base)
        raise SegbenchError(f"{out}: {precision} {_what_failed(exc)}") from None


def _int8(source: Path, tmp: Path, images: list[np.ndarray], work_dir: Path) -> None:
    import tempfile

    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Images(CalibrationDataReader):
        """One image a batch: a file exported on JAX takes one at a time."""

        def __init__(self, name: str):
            self.batches = iter([{name: image[np.newaxis]} for image in images])

        def get_next(self):
            return next(self.batches, None)

    name = onnx.load(str(source), load_external_data=False).graph.input[0].name
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".quantize.") as work:
        prepared = Path(work) / "prepared.onnx"
        # ORT's recommended first step: its graph optimisations and ONNX shape inference, so that every tensor's
        # type and shape is known to the quantizer. Symbolic shape inference is for transformers' dynamic shapes,
        # which these convolutional graphs do not have (and it costs seconds a file).
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(tmp), Images(name), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod, CALIBRATION_METHOD))


def _what_failed(exc: Exception) -> str:
    """'conversion failed at Conv node conv2d_3 (why)': the node the library was working on, found in its
    traceback (the quantizer and the float16 converter walk the graph node by node, each frame holding it as
    ``node``), else in onnxruntime's message ("Node (name) Op (type)"), else just why."""
    node = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        candidate = frame.f_locals.get("node")
        if hasattr(candidate, "op_type") and hasattr(candidate, "name"):
            node = candidate  # the innermost wins: the one being worked on when it failed
    if node is not None:
        where = f" at {node.op_type} node {node.name}" if node.name else f" at a {node.op_type} node"
    else:
        found = re.search(r"Node \(([^)]*)\) Op \(([^)]*)\)", str(exc))
        where = f" at {found.group(2)} node {found.group(1)}" if found else " (the library names no operator)"
    return f"conversion failed{where}: {type(exc).__name__}: {first_line(exc)}"


@contextmanager
def _library_quiet():
    """The quantizer's advice and progress go to Python's root logger, and its sessions' to onnxruntime's own:
    neither is the user's concern when all goes well, and a failure is said in one line of ours."""
    import onnxruntime

    logging.disable(logging.WARNING)
    onnxruntime.set_default_logger_severity(3)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        onnxruntime.set_default_logger_severity(2)
