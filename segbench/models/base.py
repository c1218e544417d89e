"""What a model builder is: the contract every entry of ``MODELS`` keeps, and the descriptions it may add.

A run, ``models list``, ``models summary`` and ``bench model`` rely on ``ModelBuilder`` alone, so any object that
keeps it may register (``MODELS.register(name, options)``), not only the encoder x decoder grid's.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import keras

    from segbench.config import ModelConfig


@runtime_checkable
class ModelBuilder(Protocol):
    """Called with its validated config section (the class registered as its options, else ``ModelConfig``) and
    a class count, it returns a ``keras.Model`` from uint8 images (batch, height, width, 3) at
    ``config.input_size`` to float32 logits (batch, height, width, num_classes) at the same size, normalising
    inside the model. ``default_classes`` is the class count it is built with where none is given (``models list``
    and ``models summary``)."""

    default_classes: int

    def __call__(self, config: ModelConfig, num_classes: int) -> keras.Model: ...


class Described(Protocol):
    """What a builder may add, each attribute on its own, for ``models list`` and ``models summary``: the names of
    its encoder and decoder, and the name of the layer whose output is the encoder's deepest feature map (the
    encoder's parameters are those from the input up to it). A builder without them is listed with "-" there."""

    encoder_name: str
    decoder_name: str
    encoder_output_layer: str


def description(builder: ModelBuilder) -> dict[str, str | None]:
    """``Described``'s attributes of ``builder``, None for each it lacks."""
    return {key: getattr(builder, key, None) for key in Described.__annotations__}


def build(config: ModelConfig, num_classes: int) -> keras.Model:
    """The registered builder's model, held to the contract above: a plugin's that returns something else, logits
    of another size or class count, or fails, is one line naming it (each was a traceback, or an error blamed on a
    validation image an epoch later)."""
    import keras

    from segbench.errors import ConfigError, SegbenchError, first_line
    from segbench.plugins import bundled, origin
    from segbench.registry import MODELS

    builder = MODELS.get(config.name)
    where = f"model {config.name!r} ({origin(builder)})"
    here = os.getcwd()
    try:
        model = builder(config, num_classes)
    except SegbenchError:
        raise
    except (Exception, SystemExit) as exc:  # a plugin's sys.exit(0) ended `run` at rc 0 without a word (probe 22b)
        if bundled(builder):
            raise  # ours: a bug to see whole
        raise ConfigError(f"{where}: its builder failed ({type(exc).__name__}: {first_line(exc)})") from None
    if os.getcwd() != here:  # the run's relative paths (its folder, its data) then named other places (probe 22b)
        moved = os.getcwd()
        os.chdir(here)
        raise ConfigError(f"{where}: its builder changed the current folder (to {moved}), where the run's relative "
                          "paths are read from; a builder leaves it as it was")
    wanted = (None, *config.input_size, num_classes)
    if not isinstance(model, keras.Model):
        raise ConfigError(f"{where}: its builder returned {type(model).__name__}, not a keras.Model")
    try:  # a functional model says its shapes; a subclassed one shows them when called
        taken, found, output = model.input_shape, model.output_shape, model.output
    except AttributeError:
        import numpy as np

        try:
            output = model(np.zeros((1, *config.input_size, 3), np.uint8))
            taken = (None, *config.input_size, 3)
            found = (None, *keras.ops.shape(output)[1:]) if hasattr(output, "shape") else \
                [tuple(keras.ops.shape(one)) for one in output] if isinstance(output, list | tuple) else None
        except Exception as exc:  # noqa: BLE001 (a plugin's model may fail in any way: one line naming it)
            raise ConfigError(f"{where}: fails on a batch of uint8 images {tuple(config.input_size)} "
                              f"({type(exc).__name__}: {first_line(exc)})") from None
    if isinstance(taken, list) or tuple(taken)[1:] != (*config.input_size, 3):
        raise ConfigError(f"{where}: takes {taken}, not the (batch, {', '.join(map(str, config.input_size))}, 3) "
                          "images of model.input_size")
    # One tensor of floats: a dict of one output passed as its shape and broke inference; int32 logits passed and
    # ended training in "No gradients provided".
    if isinstance(output, dict):
        raise ConfigError(f"{where}: returns a mapping of outputs ({', '.join(map(str, output))}); a model's logits "
                          "are one tensor")
    if hasattr(output, "dtype") and not keras.backend.is_float_dtype(keras.backend.standardize_dtype(output.dtype)):
        raise ConfigError(f"{where}: returns {keras.backend.standardize_dtype(output.dtype)} values; a model's "
                          "logits are floating point")
    shape = tuple(found) if found is not None and not isinstance(found, list) else None
    if shape is None or shape[1:] != wanted[1:]:
        raise ConfigError(f"{where}: returns {found} for inputs of {tuple(config.input_size)}; "
                          f"a model's logits are (batch, {', '.join(map(str, wanted[1:]))}): one per class, at the "
                          "input's size")
    squashed = _squashed(model, config.input_size) \
        if not bundled(builder) and num_classes > 1 else None
    if squashed:
        # Trained as logits, a softmax's (or a sigmoid's) output is softmaxed again: training stalls, or (TensorFlow
        # reaching behind it) the calibration figures are of the second softmax, rc 0.
        found, final = squashed
        raise ConfigError(f"{where}: returns {found}, not logits; leave out its final {final}: segbench's loss, "
                          "calibration and --output classes apply their own")
    return model


def probe_image(input_size: list[int]):
    """One random uint8 image of ``input_size``, the same every time: what a plugin model is tried on."""
    import numpy as np

    return np.random.default_rng(0).integers(0, 256, (1, *input_size, 3), dtype=np.uint8)


def _squashed(model: keras.Model, input_size: list[int]) -> tuple[str, str] | None:
    """What ``model``'s output for a random image is, and the final layer that made it, where it is no logits: a
    distribution over the classes at every pixel, as a softmax's, or values between 0 and 1 everywhere, as a
    sigmoid's: strictly between, or saturated (float32's sigmoid is exactly 1.0 past 17, which a model without a
    Rescaling reaches at many pixels); None for logits (of any sign, summing to anything; a final ReLU's exact zeros
    included, and a linear layer's of pixels in [0, 1], exactly 1.0 only where a channel is 255). A functional
    model's final layer is named where its activation says so."""
    import keras
    import numpy as np

    final = _final_activation(model)
    if final in ("softmax", "sigmoid"):
        return f"the output of a final {final} (probabilities)", final
    found = keras.ops.convert_to_numpy(keras.ops.cast(model(probe_image(input_size), training=False), "float32"))
    if (found >= 0).all() and np.allclose(found.sum(axis=-1), 1, atol=0.02):
        return "probabilities (at every pixel, values >= 0 that sum to 1 over the classes)", "softmax"
    if ((found >= 0) & (found <= 1)).all() and (((found > 0) & (found < 1)).all() or (found == 1).mean() > 0.1):
        return "values between 0 and 1 at every pixel (a sigmoid's)", "sigmoid"
    return None


def _final_activation(model: keras.Model) -> str | None:
    """The name of the activation the layer making a functional model's output ends in (a Dense or Conv2D's own, an
    Activation or Softmax layer), or None (a subclassed model, or a layer of no such activation)."""
    import keras

    try:
        layer = model.outputs[0]._keras_history.operation
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) if callable(activation) else None
