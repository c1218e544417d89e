"""The test-time views an evaluation averages, as a value: checked, named and counted without Keras, so that
`segbench evaluate` refuses a request that cannot be met before it loads a framework."""

from __future__ import annotations

from dataclasses import dataclass

# The multi-scale set of the "ms+flip" column, as mmsegmentation and the PSPNet/DeepLab papers use it.
MS_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
# The most times a side of a run's input size that a view may ask of its model (64 times the pixels): a larger one
# could only run out of memory once the model had loaded, and `--window 8192x8192` of a 64x64 run was killed by the
# system at 23 GB without a word (probe 20b case 9).
MAX_SCALE = 8


@dataclass(frozen=True)
class Views:
    """The test-time views of an image whose logits are averaged.

    ``scales`` multiply the size the model sees the image at: its input size where the image is resized to it, the
    image's own size with a ``window``. A ``window`` (height, width) slides over the (scaled) image with ``stride``
    pixels between windows, at most, in both directions, each window's logits added where windows overlap and the
    sum divided by the windows that cover each pixel; an image smaller than the window is padded by reflection."""

    flip: bool = False
    scales: tuple[float, ...] = (1.0,)
    window: tuple[int, int] | None = None
    stride: int | None = None

    def __post_init__(self):
        if not self.scales or any(scale <= 0 for scale in self.scales):
            raise ValueError("scales must be positive")
        if (self.window is None) != (self.stride is None):
            raise ValueError("a window needs a stride, and a stride a window")
        if self.window is not None and (self.stride <= 0 or self.stride > min(self.window)):
            raise ValueError(f"the stride must be in 1..{min(self.window)} (the window's shorter side), so that "
                             "windows leave no gap")

    @property
    def name(self) -> str:
        """A name for files and table columns: ``single``, ``flip``, ``ms``, ``ms+flip``, ``scales0.75-1.25``,
        ``window352x480s240+flip``..."""
        parts = []
        if self.window is not None:
            parts.append(f"window{self.window[0]}x{self.window[1]}s{self.stride}")
        if self.scales == MS_SCALES:
            parts.append("ms")
        elif self.scales != (1.0,):
            parts.append("scales" + "-".join(f"{scale:g}" for scale in self.scales))
        if self.flip:
            parts.append("flip")
        return "+".join(parts) or "single"

    @property
    def count(self) -> int:
        """Model inputs per image, windows aside."""
        return len(self.scales) * (2 if self.flip else 1)


SINGLE = Views()  # what every run scores: one view at the model's input size
