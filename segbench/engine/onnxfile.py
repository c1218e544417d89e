"""An exported ONNX file as segbench reads it back: its precision (float32, fp16 or int8), the record of where it
came from that ``segbench export`` writes into it, and onnxruntime running it in the shape evaluation asks of a
Keras model (``input_shape``, ``predict_on_batch``), so that ``segbench evaluate --onnx`` and ``segbench bench
latency`` feed it exactly what they feed Keras.

Imports neither Keras nor a framework: ``bench latency`` measures a file in a process that loads onnxruntime alone.
"""

from __future__ import annotations

import importlib.util
from functools import cached_property
from pathlib import Path

import numpy as np

from segbench.errors import SegbenchError, first_line
from segbench.io import not_a_file, sha256

# What --quantize writes beside float32 (the default): half-precision weights and arithmetic, or int8 weights and
# activations (static quantization, calibrated).
PRECISIONS = ("float32", "fp16", "int8")
# The file's own record of its source, in ONNX's metadata_props (key/value strings every runtime keeps and
# onnxruntime reads back through get_modelmeta): what evaluate checks a file against its run with.
METADATA = "segbench."
# Operators only a quantized graph holds: QDQ pairs, or the QOperator format's fused QLinear* kernels.
QUANTIZED_OPS = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear")


def require(*packages: str, extra: str = "export") -> None:
    """One line naming what is missing and the extra that installs it."""
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise SegbenchError(f"{', '.join(missing)} not installed: pip install 'segbench[{extra}]'")


def graph_precision(model) -> str:
    """``int8`` for a graph with quantized operators, ``fp16`` for one whose floating-point weights are float16,
    else ``float32``: told from the graph itself, so that a file from another tool is named right too."""
    from onnx import TensorProto

    if any(node.op_type in QUANTIZED_OPS or node.op_type.startswith("QLinear") for node in model.graph.node):
        return "int8"
    floats = [init.data_type for init in model.graph.initializer
              if init.data_type in (TensorProto.FLOAT, TensorProto.FLOAT16)]
    return "fp16" if floats and floats.count(TensorProto.FLOAT16) >= floats.count(TensorProto.FLOAT) else "float32"


def set_metadata(model, record: dict) -> None:
    """``record`` (str keys, values written as str) into the ONNX ``model``'s metadata_props under METADATA,
    replacing what segbench wrote there before and keeping the rest."""
    kept = [(prop.key, prop.value) for prop in model.metadata_props if not prop.key.startswith(METADATA)]
    del model.metadata_props[:]
    for key, value in [*kept, *((METADATA + key, str(value)) for key, value in record.items())]:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def session(path: str | Path, threads: int | None = None):
    """An onnxruntime session of ``path`` on the CPU, with ``threads`` intra-op threads (default: onnxruntime's, one
    per core), its own log silenced; onnxruntime's own exception where it refuses the file."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4  # its own log would repeat, in colour, the one line segbench says
    if threads is not None:
        # Intra-op threads include the calling one; inter-op threads serve only the parallel execution mode,
        # which a session does not use unless asked.
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def runtime() -> str:
    """The runtime and its version, as a scoring and a measurement record it: ``onnxruntime 1.32.0``."""
    import onnxruntime

    return f"onnxruntime {onnxruntime.__version__}"


class OnnxModel:
    """``path`` run by onnxruntime on the CPU, with ``threads`` intra-op threads (default: onnxruntime's, one per
    core). ``predict_on_batch`` takes uint8 images N x H x W x 3 at ``input_shape[1:3]`` and returns the file's
    first output as numpy, as a Keras model's does; a file with a fixed batch (JAX's export: 1) is fed that many at
    a time. ``cannot_run`` starts the line said when onnxruntime refuses the file."""

    def __init__(self, path: str | Path, threads: int | None = None, cannot_run: str = "onnxruntime cannot run it"):
        require("onnxruntime")
        self.path, self.threads, self._cannot_run = Path(path), threads, cannot_run
        if not self.path.is_file():
            raise SegbenchError(f"{self.path}: {not_a_file(self.path)}")
        try:
            self.session = session(self.path, threads)
        except Exception as exc:  # noqa: BLE001  (onnxruntime's InvalidGraph, NotImplemented, ... share no base)
            raise self._refused(exc) from None
        first = self.session.get_inputs()[0]
        self.input_name, self.output_name = first.name, self.session.get_outputs()[0].name
        self.input_shape = tuple(side if isinstance(side, int) else None for side in first.shape)
        self.fixed_batch = self.input_shape[0]
        self.metadata = {key.removeprefix(METADATA): value for key, value in
                         self.session.get_modelmeta().custom_metadata_map.items() if key.startswith(METADATA)}

    def _refused(self, exc: Exception) -> SegbenchError:
        return SegbenchError(f"{self.path}: {self._cannot_run} ({first_line(exc)})")

    @cached_property
    def precision(self) -> str:
        """What export recorded in the file, else what its graph shows."""
        if self.metadata.get("precision") in PRECISIONS:
            return self.metadata["precision"]
        require("onnx")
        import onnx

        return graph_precision(onnx.load(str(self.path), load_external_data=False))

    @cached_property
    def sha256(self) -> str:
        return sha256(self.path)

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.input_shape[1:3])

    def predict_on_batch(self, images: np.ndarray) -> np.ndarray:
        size = self.fixed_batch or len(images)
        try:
            return np.concatenate([self.session.run([self.output_name], {self.input_name: images[i:i + size]})[0]
                                   for i in range(0, len(images), size)])
        except Exception as exc:  # noqa: BLE001  (as above)
            raise self._refused(exc) from None

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.predict_on_batch(images)
