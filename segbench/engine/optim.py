"""Optimisers and learning-rate schedules from the config, stepped per batch."""

from __future__ import annotations

import keras
from keras import ops

from segbench.schema import TrainConfig

OPTIMIZERS = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "sgd": keras.optimizers.SGD}


@keras.saving.register_keras_serializable(package="segbench")
class Warmup(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``peak`` over ``warmup_steps``, then ``after`` counted from the end of the warm-up."""

    def __init__(self, peak: float, warmup_steps: int, after):
        self.peak, self.warmup_steps, self.after = peak, warmup_steps, after

    def __call__(self, step):
        step = ops.cast(step, "float32")
        rise = self.peak * step / max(self.warmup_steps, 1)
        later = self.after(ops.maximum(step - self.warmup_steps, 0.0)) if callable(self.after) else self.after
        return ops.where(step < self.warmup_steps, rise, later)

    def get_config(self) -> dict:
        after = keras.saving.serialize_keras_object(self.after) if callable(self.after) else self.after
        return {"peak": self.peak, "warmup_steps": self.warmup_steps, "after": after}

    @classmethod
    def from_config(cls, config):
        after = config["after"]
        return cls(config["peak"], config["warmup_steps"],
                   keras.saving.deserialize_keras_object(after) if isinstance(after, dict) else after)


def learning_rate(train: TrainConfig, steps_per_epoch: int):
    """The schedule of ``train.schedule`` over the whole run, after ``train.warmup_epochs`` of linear warm-up."""
    peak = train.learning_rate
    warmup = round(train.warmup_epochs * steps_per_epoch)
    decay_steps = max(train.epochs * steps_per_epoch - warmup, 1)
    after = {
        "constant": lambda: peak,
        "poly": lambda: keras.optimizers.schedules.PolynomialDecay(peak, decay_steps, 0.0, power=train.poly_power),
        "cosine": lambda: keras.optimizers.schedules.CosineDecay(peak, decay_steps),
    }[train.schedule]()
    return Warmup(peak, warmup, after) if warmup else after


def make_optimizer(train: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    return OPTIMIZERS[train.optimizer](learning_rate=learning_rate(train, steps_per_epoch))
