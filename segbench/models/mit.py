"""SegFormer's encoder, the MiT (Mix Transformer), from keras-hub's own layers, and the loading of keras-hub's MiT
weights into it.

keras-hub 0.32's ``MiTBackbone`` runs on square inputs alone: its attention and Mix-FFN take a stage's height and
width as the square root of its token count (so 64x96 fails on every backend, on JAX and PyTorch already when the
backbone is built, and CamVid's frames are 3:4). Here the same stages are built from the same keras-hub layers, with
those two told their map's height and width; everything else, the variables included, is keras-hub's, so that a
keras-hub MiT's weights (a preset, or its ``.weights.h5``) copy over layer by layer.

This module imports keras-hub (about a second): only a SegFormer builder imports it, when it builds a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops
from keras_hub.models import MiTBackbone
from keras_hub.src.models.mit.mit_layers import (
    DropPath,
    MixFFN,
    OverlappingPatchingAndEmbedding,
    SegFormerMultiheadAttention,
)

from segbench.errors import ConfigError, first_line


@dataclass(frozen=True)
class MiT:
    """One MiT size: per stage, its embedding width and its number of transformer blocks; the rest is shared by
    B0-B5 (the SegFormer paper's Table 6, keras-hub's presets)."""

    hidden_dims: tuple[int, ...]
    depths: tuple[int, ...]
    num_heads: tuple[int, ...] = (1, 2, 5, 8)
    sr_ratios: tuple[int, ...] = (8, 4, 2, 1)  # each stage's attention reduces its keys' map by this, per side
    patch_sizes: tuple[int, ...] = (7, 3, 3, 3)
    strides: tuple[int, ...] = (4, 2, 2, 2)
    max_drop_path_rate: float = 0.1

    def keras_hub_config(self) -> dict:
        """The arguments of ``keras_hub.models.MiTBackbone`` for this size (less ``image_shape``)."""
        return {"num_layers": len(self.depths), "hidden_dims": list(self.hidden_dims),
                "layerwise_depths": list(self.depths), "layerwise_num_heads": list(self.num_heads),
                "layerwise_sr_ratios": list(self.sr_ratios), "layerwise_patch_sizes": list(self.patch_sizes),
                "layerwise_strides": list(self.strides), "max_drop_path_rate": self.max_drop_path_rate}


VARIANTS = {"mit_b0": MiT(hidden_dims=(32, 64, 160, 256), depths=(2, 2, 2, 2)),
            "mit_b2": MiT(hidden_dims=(64, 128, 320, 512), depths=(3, 4, 6, 3))}

# encoder_weights keywords: keras-hub's MiT presets of each size, downloaded from Kaggle by keras-hub. They are the
# encoders of SegFormer fine-tuned on ADE20K (512x512) or Cityscapes (1024x1024); keras-hub has no ImageNet-only MiT.
PRESETS = {"ade20k": "{variant}_ade20k_512", "cityscapes": "{variant}_cityscapes_1024"}


class MapAttention(SegFormerMultiheadAttention):
    """keras-hub's efficient self-attention (keys and values from the map reduced ``sr_ratio`` times per side),
    given the map's height and width."""

    def __init__(self, project_dim: int, num_heads: int, sr_ratio: int, height: int, width: int):
        super().__init__(project_dim, num_heads, sr_ratio)
        self.height, self.width = height, width

    def reduced_tokens(self) -> int:
        return (self.height // self.sr_ratio) * (self.width // self.sr_ratio)

    def call(self, x):
        tokens, channels = self.height * self.width, x.shape[-1]
        heads, depth = self.num_heads, channels // self.num_heads

        def split_heads(y, length):
            return ops.transpose(ops.reshape(y, (-1, length, heads, depth)), (0, 2, 1, 3))

        q = split_heads(self.q(x), tokens)
        if self.sr_ratio > 1:
            x = self.sr(ops.reshape(x, (-1, self.height, self.width, channels)))
            x = self.norm(ops.reshape(x, (-1, self.reduced_tokens(), channels)))
        k, v = split_heads(self.k(x), x.shape[1]), split_heads(self.v(x), x.shape[1])
        attention = self.dropout(ops.softmax(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * self.scale, axis=-1))
        x = ops.reshape(ops.transpose(ops.matmul(attention, v), (0, 2, 1, 3)), (-1, tokens, channels))
        return self.proj_drop(self.proj(x))


class MapMixFFN(MixFFN):
    """keras-hub's Mix-FFN (dense, 3x3 depthwise convolution on the map, GELU, dense), given the map's height and
    width."""

    def __init__(self, channels: int, mid_channels: int, height: int, width: int):
        super().__init__(channels, mid_channels)
        self.height, self.width = height, width

    def call(self, x):
        x = self.fc1(x)
        mid = x.shape[-1]
        x = self.dwconv(ops.reshape(x, (-1, self.height, self.width, mid)))
        return self.fc2(ops.nn.gelu(ops.reshape(x, (-1, self.height * self.width, mid))))


class MiTBlock(layers.Layer):
    """keras-hub's ``HierarchicalTransformerEncoder`` (pre-norm attention and Mix-FFN, each a residual with drop
    path), its sublayers in the same order, so that its weights are that block's."""

    def __init__(self, project_dim: int, num_heads: int, sr_ratio: int, drop_prob: float, height: int, width: int,
                 **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = MapAttention(project_dim, num_heads, sr_ratio, height, width)
        self.drop_path = DropPath(drop_prob)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.mlp = MapMixFFN(project_dim, 4 * project_dim, height, width)

    def build(self, input_shape):
        # Every sublayer built from the shapes it meets, so that Keras need not trace ``call`` to build them (it
        # did, twice per block: most of the time a SegFormer took to build).
        batch, tokens, channels = input_shape
        attn, mlp = self.attn, self.mlp
        for layer in (self.norm1, self.norm2, attn.q, attn.k, attn.v, attn.proj, mlp.fc1):
            layer.build(input_shape)
        if attn.sr_ratio > 1:
            attn.sr.build((batch, attn.height, attn.width, channels))
            attn.norm.build((batch, attn.reduced_tokens(), channels))
        mlp.dwconv.build((batch, mlp.height, mlp.width, mlp.fc1.units))
        mlp.fc2.build((batch, tokens, mlp.fc1.units))
        for layer in (attn, mlp, self.drop_path):
            layer.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def macs(self) -> int:
        """Multiply-accumulates for one image (``segbench.models.catalog.count_macs`` asks): the dense layers and
        convolutions, and the attention's two products (queries by keys, weights by values)."""
        attn, mlp = self.attn, self.mlp
        tokens, channels = attn.height * attn.width, attn.q.units
        reduced = attn.reduced_tokens() if attn.sr_ratio > 1 else tokens

        def size(layer) -> int:
            return math.prod(layer.kernel.shape)

        total = tokens * (size(attn.q) + size(attn.proj) + size(mlp.fc1) + size(mlp.dwconv) + size(mlp.fc2))
        total += reduced * (size(attn.k) + size(attn.v) + (size(attn.sr) if attn.sr_ratio > 1 else 0))
        return total + 2 * tokens * reduced * channels


class PatchEmbedding(OverlappingPatchingAndEmbedding):
    """keras-hub's overlapping patch embedding (a strided convolution, tokens, layer normalisation), which runs at
    any size; only its count of multiply-accumulates is added."""

    def macs(self) -> int:
        return self.output.shape[1] * math.prod(self.proj.kernel.shape)


def mit_encoder(x, variant: str):
    """The MiT stages on the normalised image ``x`` (height and width multiples of 32): the feature maps at output
    strides 4, 8, 16 and 32, the deepest from the layer named ``output_level_3``. The layers are named as in
    keras-hub's ``MiTBackbone`` (``patch_and_embed_0``, ``hierarchical_encoder_0_1``, ``output_level_0``, ...),
    the stages' final normalisations ``output_norm_<stage>``."""
    mit = VARIANTS[variant]
    rates = np.linspace(0.0, mit.max_drop_path_rate, sum(mit.depths))
    height, width = x.shape[1:3]
    features, block = [], 0
    for stage, (dim, depth) in enumerate(zip(mit.hidden_dims, mit.depths)):
        height, width = height // mit.strides[stage], width // mit.strides[stage]
        x = PatchEmbedding(dim, mit.patch_sizes[stage], mit.strides[stage], name=f"patch_and_embed_{stage}")(x)
        for k in range(depth):
            x = MiTBlock(dim, mit.num_heads[stage], mit.sr_ratios[stage], float(rates[block]), height, width,
                         name=f"hierarchical_encoder_{stage}_{k}")(x)
            block += 1
        x = layers.LayerNormalization(epsilon=1e-5, name=f"output_norm_{stage}")(x)
        x = layers.Reshape((height, width, dim), name=f"output_level_{stage}")(x)
        features.append(x)
    return features


def keras_hub_backbone(variant: str, side: int = 64) -> MiTBackbone:
    """keras-hub's own MiT of this size with random weights, square (``side`` x ``side``) as it must be."""
    return MiTBackbone(**VARIANTS[variant].keras_hub_config(), image_shape=(side, side, 3))


def copy_weights(source: MiTBackbone, model: keras.Model, variant: str) -> None:
    """A keras-hub MiT's weights into the encoder layers of ``model``, layer by layer."""
    mit = VARIANTS[variant]
    norms = [layer for layer in source.layers if isinstance(layer, layers.LayerNormalization)]
    for stage, depth in enumerate(mit.depths):
        pairs = [(f"patch_and_embed_{stage}", source.get_layer(f"patch_and_embed_{stage}")),
                 *((f"hierarchical_encoder_{stage}_{k}", source.get_layer(f"hierarchical_encoder_{stage}_{k}"))
                   for k in range(depth)),
                 (f"output_norm_{stage}", norms[stage])]
        for name, layer in pairs:
            model.get_layer(name).set_weights(layer.get_weights())


def load_encoder_weights(model: keras.Model, variant: str, value: str) -> None:
    """``model.encoder_weights`` into the encoder of ``model``: ade20k or cityscapes (keras-hub's MiT preset of this
    size, from Kaggle: a network is needed), a keras-hub preset folder, or a ``.weights.h5`` file of keras-hub's
    MiT of this size. Any failure is one ConfigError line."""
    key = "model.encoder_weights"
    nothing_else = f"or set {key}: null"
    if value in PRESETS:
        preset = PRESETS[value].format(variant=variant)
        try:
            source = MiTBackbone.from_preset(preset)
        except Exception as exc:  # noqa: BLE001  keras-hub and kagglehub raise many kinds; each is the same to the user
            raise ConfigError(f"{key}: {value}: keras-hub could not load its preset {preset} ({first_line(exc)}); "
                              f"it is downloaded from Kaggle, which needs a network: give the preset's folder "
                              f"instead, {nothing_else}") from None
    elif Path(value).is_dir():
        try:
            source = MiTBackbone.from_preset(value)
        except Exception as exc:  # noqa: BLE001  as above
            raise ConfigError(f"{key}: {value}: not a keras-hub MiT preset folder ({first_line(exc)})") from None
    elif Path(value).is_file() and value.endswith(".weights.h5"):
        source = keras_hub_backbone(variant)
        try:
            source.load_weights(value)
        except Exception as exc:  # noqa: BLE001  as above
            raise ConfigError(f"{key}: {value}: not the weights of keras-hub's {variant} ({first_line(exc)})") \
                from None
    else:
        problem = "does not exist" if not Path(value).exists() else "is neither a folder nor a .weights.h5 file"
        raise ConfigError(f"{key}: {value} {problem} (give {', '.join(PRESETS)}, a keras-hub MiT preset folder, a "
                          f".weights.h5 file of keras-hub's {variant}, {nothing_else})")
    mit = VARIANTS[variant]
    found = (tuple(source.hidden_dims), tuple(source.layerwise_depths))
    if found != (mit.hidden_dims, mit.depths):
        raise ConfigError(f"{key}: {value} is a MiT of hidden_dims {list(found[0])} and depths {list(found[1])}, "
                          f"not {variant} ({list(mit.hidden_dims)}, {list(mit.depths)})")
    copy_weights(source, model, variant)
