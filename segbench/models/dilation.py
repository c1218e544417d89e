"""Output stride by dilation: a backbone's last stride-2 steps traded for dilated convolutions on the weights' own
layers (as DeepLab does), so that it stops at 1/16 or 1/8 of the input with its pretrained weights kept: no kernel
changes shape, only how far apart it samples. Each layer samples the positions it sampled before, so the finer map,
taken at every ``2**k``-th position, is the strided backbone's map (tests/models/test_stride.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class Stage:
    """The layers of the stage that takes a backbone from ``stride // 2`` to ``stride``: ``strided`` those whose
    stride 2 becomes 1; ``first`` the 3x3 layers that strided themselves, which keep the rate of the map they read;
    ``rest`` the 3x3 layers that read the finer map, dilated by the stage's new rate; ``pads`` the explicit zero
    paddings before a strided 'valid' convolution (Keras pads only bottom and right there), widened so that the
    convolution keeps both the map's size and the positions it sampled."""

    stride: int
    strided: tuple[str, ...]
    first: tuple[str, ...] = ()
    rest: tuple[str, ...] = ()
    pads: tuple[str, ...] = ()


def plan(stages: tuple[Stage, ...], output_stride: int) -> dict[str, dict]:
    """The config changes, per layer name, that make a backbone with ``stages`` stop at ``output_stride``: each
    stage past it strides no more and dilates by ``stage.stride // output_stride`` (its ``first`` layers by half
    that, the rate of the map they read)."""
    changes: dict[str, dict] = {}
    for stage in stages:
        if stage.stride <= output_stride:
            continue
        rate = stage.stride // output_stride
        before = max(1, rate // 2)
        for name in stage.strided:
            changes.setdefault(name, {})["strides"] = (1, 1)
        for name in stage.first:
            changes.setdefault(name, {})["dilation_rate"] = (before, before)
        for name in stage.rest:
            changes.setdefault(name, {})["dilation_rate"] = (rate, rate)
        for name in stage.pads:
            changes.setdefault(name, {})["padding"] = ((0, 2 * before), (0, 2 * before))
    return changes


def dilate(backbone: keras.Model, changes: dict[str, dict]) -> keras.Model:
    """``backbone`` rebuilt on its own inputs with ``changes`` made to its layers' configs and its weights copied
    over. Every layer is a new one, called once, so that a feature map read from the result (``Encoder``) is the
    one of this graph; the old layers are left out of any model built on the result's outputs."""
    unknown = set(changes) - {layer.name for layer in backbone.layers}
    if unknown:
        raise ValueError(f"{backbone.name} has no layers {sorted(unknown)} to dilate")

    def rebuilt(layer):
        return layer.__class__.from_config({**layer.get_config(), **changes.get(layer.name, {})})

    result = keras.models.clone_model(backbone, input_tensors=backbone.inputs, clone_function=rebuilt)
    for layer in backbone.layers:
        if layer.weights:
            result.get_layer(layer.name).set_weights(layer.get_weights())
    return result
