"""What ``segbench models summary`` reports, and the figures ``models list`` shows: a registered model's size and
cost, measured on the model built with random weights (nothing is read from disk). ``models list`` reads the bundled
models' figures from the table ``scripts/model_catalog.py`` writes with ``figures`` (``segbench.models.listing``).
Only the builder contract (``segbench.models.base``) is relied on: a builder that does not describe its encoder and
decoder is listed without them."""

from __future__ import annotations

import math

import keras
from keras import layers
from pydantic import ValidationError

from segbench import plugins
from segbench.config import ModelConfig
from segbench.errors import ConfigError
from segbench.models.base import description
from segbench.registry import MODELS


def describe(name: str, input_size=None, num_classes: int | None = None, output_stride: int | None = None) -> dict:
    """The parameter counts, logits shape and multiply-accumulates per image of model ``name`` at ``input_size``
    ([height, width]; default: the model's own), ``num_classes`` (default: the model's own, e.g. 150 for
    pspnet_50) and ``output_stride`` (default: the model's own; None for a model without the key), with the output
    strides it runs at (None where it does not say). See ``count_macs`` for what is counted."""
    model, config = build(name, input_size, num_classes, output_stride)
    return {**parts(name), "input_size": list(model.input.shape[1:3]), "num_classes": model.output.shape[-1],
            "output_stride": getattr(config, "output_stride", None), "output_strides": output_strides(name),
            "parameters": model.count_params(), "encoder_parameters": encoder_parameters(model, name),
            "output_shape": list(model.output.shape[1:]), "macs": count_macs(model)}


def output_strides(name: str) -> list[int] | None:
    """The output strides model ``name`` runs at, its default first; None for a model without the key."""
    strides = getattr(MODELS.options(name), "output_strides", None)
    return None if strides is None else list(strides)


def bundled() -> list[str]:
    """The registered models that segbench itself registers, the rows of the table (not a plugin's)."""
    return [name for name in MODELS.names() if plugins.bundled(MODELS.get(name))]


def figures(name: str) -> dict:
    """What ``models list`` shows of model ``name``: ``describe`` at the model's own input size, class count and
    output stride (the first of its ``output_strides``), less the output shape that those make."""
    summary = describe(name)
    del summary["output_shape"], summary["output_stride"]
    return summary


def parts(name: str) -> dict:
    described = description(MODELS.get(name))
    return {"name": name, "encoder": described["encoder_name"], "decoder": described["decoder_name"]}


def build(name: str, input_size=None, num_classes: int | None = None, output_stride: int | None = None):
    """Model ``name`` with random weights, and its config section; a size or stride it rejects raises
    ConfigError."""
    builder, options = MODELS.get(name), MODELS.options(name) or ModelConfig  # as a run's config reads it
    raw = {"name": name}
    if input_size is not None:
        raw["input_size"] = list(input_size)
    if output_stride is not None:
        if "output_stride" not in options.model_fields:
            raise ConfigError(f"{name} has no output stride to choose")
        raw["output_stride"] = output_stride
    try:
        config = options.model_validate(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        at = [] if input_size is None else [f"input size {'x'.join(map(str, input_size))}"]
        at += [] if output_stride is None else [f"output stride {output_stride}"]
        raise ConfigError(f"{name}{' at ' + ', '.join(at) if at else ''}: {problem}") from None
    return builder(config, num_classes or builder.default_classes), config


def encoder_parameters(model: keras.Model, name: str) -> int | None:
    """Parameters from the input to the encoder's deepest feature map; None where the builder does not name it."""
    deepest = description(MODELS.get(name))["encoder_output_layer"]
    if deepest is None:
        return None
    return keras.Model(model.inputs, model.get_layer(deepest).output).count_params()


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates for one image, counted from the layers: Conv2D (per output pixel, kernel area times
    input channels per group, so strides and dilation enter through the output size), DepthwiseConv2D,
    Conv2DTranspose (per input pixel, kernel area times output channels) and Dense; a layer that does its work
    inside its own call (a transformer block: its dense layers, convolutions and attention products) counts itself
    with a ``macs()`` method. Biases, normalisation, activations, pooling and resizing are not counted."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_macs(layer)
        elif callable(getattr(layer, "macs", None)):
            total += layer.macs()
        elif isinstance(layer, COUNTED):
            total += layer_macs(layer, layer.input.shape, layer.output.shape)
    return total


COUNTED = (layers.Conv2D, layers.DepthwiseConv2D, layers.Conv2DTranspose, layers.Dense)


def layer_macs(layer, inputs: tuple, outputs: tuple) -> int:
    if isinstance(layer, layers.Conv2D):
        return math.prod(outputs[1:]) * math.prod(layer.kernel_size) * inputs[-1] // layer.groups
    if isinstance(layer, layers.DepthwiseConv2D):
        return math.prod(outputs[1:]) * math.prod(layer.kernel_size)
    if isinstance(layer, layers.Conv2DTranspose):
        return math.prod(inputs[1:]) * math.prod(layer.kernel_size) * layer.filters
    return math.prod(inputs[1:]) * layer.units


def render_summary(s: dict) -> str:
    height, width = s["input_size"]
    stride = [] if s["output_stride"] is None else [
        f"stride       {s['output_stride']}" + (f" (runs at {' or '.join(map(str, s['output_strides']))})"
                                                if len(s["output_strides"]) > 1 else "")]
    parts = ", ".join(f"{s[part]} {part}" for part in ("encoder", "decoder") if s[part] is not None)
    in_encoder = "" if s["encoder_parameters"] is None else f" ({s['encoder_parameters']:,} in the encoder)"
    return "\n".join([
        f"{s['name']}: {parts}" if parts else s["name"],
        f"input        {height}x{width}x3 (uint8)",
        f"output       {'x'.join(map(str, s['output_shape']))} (float32 logits)",
        *stride,
        f"parameters   {s['parameters']:,}{in_encoder}",
        f"MACs/image   {s['macs'] / 1e9:.2f} G ({2 * s['macs'] / 1e9:.2f} GFLOPs)",
    ])
