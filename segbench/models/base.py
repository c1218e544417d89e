"""What a model builder is: the contract every entry of ``MODELS`` keeps, and the descriptions it may add.

A run, ``models list``, ``models summary`` and ``bench model`` rely on ``ModelBuilder`` alone, so any object that
keeps it may register (``MODELS.register(name, options)``), not only the encoder x decoder grid's.
"""

from __future__ import annotations

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
