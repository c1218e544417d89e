"""``segbench bench model``: training and inference speed of one model on the current backend and device.

The model is built with random weights and fed random uint8 images and labels made once and placed on the device
before the clock starts (speed does not depend on pixel values; the input pipeline is ``bench loader``'s part).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from segbench import backend
from segbench.bench.peaks import TRAIN_FLOPS_FACTOR, known_peak, utilisation
from segbench.bench.timing import REPEATS, STEPS, WARMUP, latency, throughput
from segbench.engine.losses import SegmentationCrossEntropy
from segbench.models.catalog import build, count_macs
from segbench.precision import policy

PROTOCOL = {
    "train": "images/s of train_on_batch (forward, pixel-wise cross-entropy, backward, Adam update), each step "
             "synchronised by reading its loss back to the host",
    "infer": "images/s of predict_on_batch at the batch size: uint8 images in, class maps (argmax on the device) "
             "back on the host",
    "latency": "milliseconds of the same call at batch 1",
    "flops": "FLOPs per image = 2 x the multiply-accumulates of the convolutions and dense layers (forward pass); "
             f"a training step counts {TRAIN_FLOPS_FACTOR} x that",
    "utilisation": "achieved FLOP/s / the device's peak dense FLOP/s at the run's precision",
}


def bench_model(name: str, input_size=None, batch: int = 8, precision: str = "auto",
                num_classes: int | None = None, steps: int = STEPS, repeats: int = REPEATS, warmup: int = WARMUP,
                peak_tflops: float | None = None) -> dict:
    """Everything ``bench model`` reports for model ``name`` (default size and classes: the model's own).

    ``precision`` ``auto`` is resolved as a run resolves it, and the result names the policy used.
    ``peak_tflops`` overrides the table of known device peaks that the utilisation is computed against."""
    with policy(precision) as used:
        model = trainable(name, input_size, num_classes)
        return {"model": name, "input_size": list(model.input_shape[1:3]), "batch": batch,
                "num_classes": model.output.shape[-1], "precision": used,
                **measure(model, batch, used, steps, repeats, warmup, peak_tflops)}


def trainable(name: str, input_size=None, num_classes: int | None = None) -> keras.Model:
    """Model ``name`` with seeded random weights, compiled with Adam and the runner's loss."""
    keras.utils.set_random_seed(0)
    model, _ = build(name, input_size, num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=SegmentationCrossEntropy())
    return model


def measure(model: keras.Model, batch: int, precision: str, steps: int, repeats: int, warmup: int,
            peak_tflops: float | None) -> dict:
    """The figures of a compiled ``model``: training, then inference at ``batch``, then latency at batch 1."""
    height, width = model.input_shape[1:3]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (batch, height, width, 3), dtype=np.uint8)
    labels = rng.integers(0, model.output.shape[-1], (batch, height, width), dtype=np.int32)
    x, y, one = (ops.convert_to_tensor(a) for a in (images, labels, images[:1]))

    backend.reset_peak_memory()
    train = throughput(lambda: model.train_on_batch(x, y), batch, steps, repeats, warmup)
    predictor = keras.Model(model.input, ops.argmax(model.output, axis=-1))
    infer = throughput(lambda: predictor.predict_on_batch(x), batch, steps, repeats, warmup)
    single = latency(lambda: predictor.predict_on_batch(one), steps * repeats, warmup)

    where = backend.device()
    peak, source = peak_tflops, "--peak-tflops"
    if peak is None:
        peak = known_peak(where["name"], precision) if where["kind"] == "gpu" else None
        source = "table" if peak is not None else None
    flops = 2 * count_macs(model)
    train_rate, infer_rate = train.pop("per_s"), infer.pop("per_s")
    return {
        "backend": backend.name(),
        "device": where,
        "versions": backend.versions(),
        "parameters": model.count_params(),
        "flops_per_image": flops,
        "train": {"images_per_s": train_rate, **train},
        "infer": {"images_per_s": infer_rate, **infer},
        "latency_ms": single,
        "peak_memory_bytes": backend.peak_memory(),
        "peak_tflops": peak,
        "peak_source": source,
        "utilisation": {"train": utilisation(flops, train_rate["median"], peak, TRAIN_FLOPS_FACTOR),
                        "infer": utilisation(flops, infer_rate["median"], peak)},
        "protocol": PROTOCOL,
    }
