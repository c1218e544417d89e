"""How a model's logits for an image are made at the image's own size: once at the model's input size (what every
run scores), or averaged over test-time augmentations: horizontal flips, several scales, sliding windows.

Logits, not probabilities, are averaged, each view's logits first resized bilinearly to the native size, so that a
view at another scale counts pixel for pixel like the others.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import ops

from segbench.data.pairs import resize_image
from segbench.engine.views import SINGLE, Views

# Model input sides are kept at multiples of this when scaled: every segbench encoder pools down at most 32 times.
SIDE_MULTIPLE = 32




def scaled_side(side: int, scale: float) -> int:
    """``side * scale`` at the nearest multiple of ``SIDE_MULTIPLE`` (one at least), halves rounded up (Python's
    round() would take 144 to 128 but 208 to 224)."""
    return max(SIDE_MULTIPLE, SIDE_MULTIPLE * int(side * scale / SIDE_MULTIPLE + 0.5))


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Where windows of ``window`` start along a side of ``length`` (>= window), ``stride`` apart at most, the last
    ending at the edge: every position covered, the windows spread evenly."""
    if length <= window:
        return [0]
    steps = -(-(length - window) // stride)  # ceil
    return [round(step * (length - window) / steps) for step in range(steps + 1)]


def logits_at(logits, size: tuple[int, int]) -> np.ndarray:
    """One image's logits (h, w, C) resized bilinearly to ``size`` (height, width), as float32 numpy."""
    resized = ops.image.resize(ops.expand_dims(ops.cast(logits, "float32"), 0), size, interpolation="bilinear")
    return ops.convert_to_numpy(resized[0])


def batch_logits(model: keras.Model, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The logits of up to ``batch_size`` images at the model's input size. A short batch is padded to full size
    (one compiled shape on JAX, and a batch that divides over devices) and the padding's logits dropped."""
    count = len(images)
    if count < batch_size:
        images = np.concatenate([images, np.repeat(images[-1:], batch_size - count, axis=0)])
    return model.predict_on_batch(images)[:count]  # compiled, and no autograd tape on torch


class Inference:
    """``infer(images)``: each image's logits (float32, H x W x classes) at the image's own size, under ``views``.

    ``model_at(size)`` returns the run's model for inputs of (height, width): the model's own size is the usual
    one; scales and windows ask for others (``segbench.engine.loaded.LoadedRun.at`` builds them with the same
    weights)."""

    def __init__(self, model_at: Callable[[tuple[int, int]], keras.Model], input_size: tuple[int, int],
                 batch_size: int, views: Views = SINGLE):
        self.model_at, self.input_size, self.batch_size, self.views = model_at, tuple(input_size), batch_size, views

    def __call__(self, images: list[np.ndarray]) -> list[np.ndarray]:
        if self.views.window is not None:
            return [self._windowed(image) for image in images]
        summed = [None] * len(images)
        for scale in self.views.scales:
            size = tuple(scaled_side(side, scale) for side in self.input_size) if scale != 1 else self.input_size
            for flip in (False, True)[:1 + self.views.flip]:
                batch = np.stack([resize_image(image[:, ::-1] if flip else image, size) for image in images])
                logits = self._logits(size, batch)
                for index, (image, one) in enumerate(zip(images, logits)):
                    native = logits_at(one[:, ::-1] if flip else one, image.shape[:2])
                    summed[index] = native if summed[index] is None else summed[index] + native
        return [total / self.views.count for total in summed]

    def _logits(self, size: tuple[int, int], batch: np.ndarray) -> np.ndarray:
        model = self.model_at(size)
        return np.concatenate([batch_logits(model, batch[start:start + self.batch_size], self.batch_size)
                               for start in range(0, len(batch), self.batch_size)])

    def _windowed(self, image: np.ndarray) -> np.ndarray:
        native = image.shape[:2]
        total = None
        for scale in self.views.scales:
            size = native if scale == 1 else tuple(max(1, round(side * scale)) for side in native)
            for flip in (False, True)[:1 + self.views.flip]:
                view = resize_image(image[:, ::-1] if flip else image, size)
                logits = self._slide(view)
                native_logits = logits_at(logits[:, ::-1] if flip else logits, native)
                total = native_logits if total is None else total + native_logits
        return total / self.views.count

    def _slide(self, image: np.ndarray) -> np.ndarray:
        """Logits of ``image`` at its own size from windows of ``views.window`` blended where they overlap."""
        (height, width), (win_h, win_w) = image.shape[:2], self.views.window
        padded = np.pad(image, ((0, max(0, win_h - height)), (0, max(0, win_w - width)), (0, 0)), mode="reflect")
        corners = [(top, left) for top in window_starts(padded.shape[0], win_h, self.views.stride)
                   for left in window_starts(padded.shape[1], win_w, self.views.stride)]
        logits = self._logits((win_h, win_w), np.stack([padded[top:top + win_h, left:left + win_w]
                                                        for top, left in corners]))
        summed = np.zeros((*padded.shape[:2], logits.shape[-1]), np.float32)
        covered = np.zeros((*padded.shape[:2], 1), np.float32)
        for (top, left), one in zip(corners, logits):
            summed[top:top + win_h, left:left + win_w] += one
            covered[top:top + win_h, left:left + win_w] += 1
        return (summed / covered)[:height, :width]
