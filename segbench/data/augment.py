"""``train.augment``: albumentations transforms named in the config, applied alike to an image and its label.

Each item is ``{name: <albumentations class>, <its keyword arguments>...}``. Pixel-level transforms change the image
alone; spatial ones move the label with it, always nearest-neighbour so that labels stay class indices, and the
label pixels they invent (padding, the corners a rotation uncovers) get ``label_fill`` unless the item sets
``fill_mask`` itself.
"""

from __future__ import annotations

import inspect
import os
import threading
from functools import cache
from typing import Any

import cv2
import numpy as np
import pydantic

from segbench.errors import ConfigError
from segbench.registry import closest
from segbench.yamlsafe import echo

# albumentations asks PyPI for a newer release when it is imported: offline, a 2 s stall and a warning every run.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
import albumentations as A
from albumentations.core.transforms_interface import DualTransform, ImageOnlyTransform

# albumentations' subpackages whose transforms take a 2-D image and its label; the others mix in other images,
# need text or metadata, or are for volumes, spectrograms or tensors.
FAMILIES = ("pixel", "blur", "geometric", "crops", "dropout")
NEEDS_BOXES = "it needs bounding boxes, which segmentation samples do not have"
REFUSED = {
    "Normalize": "it turns the image into floats, and the model normalises its own input",
    "ToRGB": "images are RGB already",
    "MaskDropout": "it erases whole objects from the label as if class 0 were background",
    "Morphological": "it dilates or erodes the label as if class indices were intensities",
    "AtLeastOneBBoxRandomCrop": NEEDS_BOXES,
    "BBoxSafeRandomCrop": NEEDS_BOXES,
    "RandomCropNearBBox": NEEDS_BOXES,
    "RandomSizedBBoxSafeCrop": NEEDS_BOXES,
}


@cache
def transforms() -> dict[str, type]:
    """Every transform ``train.augment`` accepts, by class name."""
    modules = tuple(f"albumentations.augmentations.{family}." for family in FAMILIES)
    return {name: cls for name, cls in vars(A).items()
            if inspect.isclass(cls) and issubclass(cls, (ImageOnlyTransform, DualTransform))
            and cls.__module__.startswith(modules) and name not in REFUSED}


def check_transforms(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``specs`` unchanged if albumentations can build every item, else a ValueError naming the first bad one."""
    for position, spec in enumerate(specs, 1):
        try:
            make_transform(spec, label_fill=0)
        except ValueError as exc:
            raise ValueError(f"transform {position}: {exc}") from None
    return specs


def make_transform(spec: dict[str, Any], label_fill: int):
    """The transform one ``train.augment`` item declares, or a one-line ValueError saying what is wrong with it."""
    name = spec.get("name")
    if not isinstance(name, str):
        # A ValueError, not a TypeError: pydantic turns it into the config's one-line error.
        raise ValueError("each transform needs a name, e.g. {name: HorizontalFlip, p: 0.5}")  # noqa: TRY004
    cls = transforms().get(name)
    if cls is None:
        raise ValueError(_not_accepted(name))
    args = {key: value for key, value in spec.items() if key != "name"}
    params = {key: p for key, p in inspect.signature(cls).parameters.items() if key != "strict"}
    for key in args:
        if key not in params:
            hint = closest(key, params)
            raise ValueError(f"{name} has no argument '{key}' "
                             + (f"(did you mean '{hint}'?)" if hint else f"(it takes {', '.join(params)})"))
    if "mask_interpolation" in args:
        raise ValueError(f"{name}: mask_interpolation cannot be set: labels are always resized nearest-neighbour")
    if args.get("area_for_downscale") == "image_mask":
        raise ValueError(f"{name}: area_for_downscale 'image_mask' would average class indices; use 'image'")
    # Transforms whose fill_mask defaults to None (the dropouts) leave the label under a hole as it was.
    if "fill_mask" in params and params["fill_mask"].default is not None:
        args.setdefault("fill_mask", label_fill)
    try:
        return cls(**args)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: {_one_line(exc)}") from None


def fill_value(void: int | None) -> int:
    """The label of pixels that augmentation invents: the dataset's void label, which the loss skips by default (and
    the paper's recipe learns as a class); without one (SUIM, Sitting) the loss learns every label value, so the fill
    must be a class: 0, the background of both."""
    return void if void is not None else 0


TRIAL_DRAWS = 8  # pairs ``check_on_input_size`` augments


class Augmentation:
    """``train.augment`` as a picklable callable, so worker processes can take a copy."""

    def __init__(self, specs: list[dict[str, Any]], label_fill: int):
        self.specs, self.label_fill = list(specs), label_fill
        self._local = threading.local()

    def __getstate__(self) -> dict:
        return {"specs": self.specs, "label_fill": self.label_fill}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["specs"], state["label_fill"])

    def __call__(self, image: np.ndarray, label: np.ndarray, key: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The augmented pair; ``key`` (run seed, epoch, sample index) alone decides the random draws."""
        # Each thread keeps its own pipeline (building one costs more than a small image's augmentation), seeded
        # afresh from the key for every pair: threads share no random state, and a pair comes out the same in any
        # worker, process or thread, in any order.
        pipeline = getattr(self._local, "pipeline", None)
        if pipeline is None:
            pipeline = self._local.pipeline = A.Compose(
                [make_transform(spec, self.label_fill) for spec in self.specs], mask_interpolation=cv2.INTER_NEAREST)
        pipeline.set_random_seed(int(np.random.SeedSequence(key).generate_state(1)[0]))
        # uint8 labels stay uint8 where the fill fits (a quarter of the bytes to move); int32 where it does not (-1).
        fits = label.dtype == np.uint8 and 0 <= self.label_fill <= 255
        out = pipeline(image=image, mask=label if fits else label.astype(np.int32))
        image = out["image"]
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:  # ToGray(num_output_channels=1)
            raise ValueError(f"it made a {image.dtype} image of shape {image.shape}; batches need uint8 RGB")
        return image, out["mask"]


def check_on_input_size(specs: list[dict[str, Any]], input_size: list[int], label_fill: int, num_classes: int,
                        void: int | None) -> None:
    """Run ``train.augment`` on a blank pair of the model's input size, as the loader will: a transform that cannot
    work there (a crop larger than the input) failed only in the loader, blamed on the first training sample, after
    `--force` had deleted the finished run in the folder; and one whose label holds what is neither a class nor
    ``void`` (a ``fill_mask: 200``) failed in the loss, a framework's traceback, as late."""
    height, width = input_size
    for position, spec in enumerate(specs, 1):  # as given: OpenCV saturated -1 to class 0 on the uint8 label, unseen
        fills = spec.get("fill_mask")
        fills = fills if isinstance(fills, list | tuple) else [fills]
        # A whole number only: "3" was a TypeError traceback here, and 1.5 or true trained as some class.
        odd = [fill for fill in fills if fill is not None and not (
            isinstance(fill, int) and not isinstance(fill, bool) and (0 <= fill < num_classes or fill == void))]
        if odd:
            raise ConfigError(f"train.augment: transform {position}: {spec.get('name')}: fill_mask {echo(odd[0])} is neither "
                              f"one of the {num_classes} classes nor the void label ({echo(void)}); a fill_mask is a "
                              "class index or the void label")
    # Each transform applied (p: 1), a few draws of its own random ranges: a crop too large at p 0.5 passed a trial
    # that skipped it, and the run failed in the loader all the same.
    always = Augmentation([{**spec, "p": 1.0} for spec in specs], label_fill)
    try:
        labels = [always(np.zeros((height, width, 3), np.uint8), np.zeros((height, width), np.uint8), key=(draw,))[1]
                  for draw in range(TRIAL_DRAWS)]
    except Exception as exc:  # noqa: BLE001 (albumentations' errors share no base)
        raise ConfigError(f"train.augment: fails on images of the model's input size {height}x{width} "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    made = np.unique(np.concatenate([label.ravel() for label in labels]))
    bad = [int(value) for value in made if not (0 <= value < num_classes or value == void)]
    if bad:
        raise ConfigError(f"train.augment: makes label values {', '.join(map(str, bad[:5]))}, which are neither one of "
                          f"the {num_classes} classes nor the void label ({echo(void)}); a fill_mask is a class index "
                          "or the void label")


def _not_accepted(name: str) -> str:
    if name in REFUSED:
        return f"{name} is not accepted: {REFUSED[name]}"
    if inspect.isclass(getattr(A, name, None)):
        return f"{name} is not accepted: train.augment takes pixel-level and spatial transforms of an image and label"
    hint = closest(name, transforms())
    also = f"did you mean '{hint}'?" if hint else "names are albumentations classes, e.g. HorizontalFlip"
    return f"unknown transform '{name}' ({also})"


def _one_line(exc: Exception) -> str:
    """albumentations' complaint in one line: it reports pydantic's multi-line report as a ValueError."""
    cause = exc.__cause__
    if not isinstance(cause, pydantic.ValidationError):
        return str(exc).splitlines()[0]
    first = cause.errors()[0]
    where = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "missing":
        return f"missing argument '{where}'"
    message = first["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:] + (f" (got {first['input']!r:.80})" if "input" in first else "")
    return f"{where}: {message}" if where else message
