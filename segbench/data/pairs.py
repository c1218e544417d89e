"""Reading one (image, label) pair and resizing it: the step every verb that reads data shares, framework-free so
that `datasets stats` and `datasets show` answer without importing Keras."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from segbench.data.base import DatasetAdapter, Sample, loads_itself, raised_at
from segbench.data.readers import IMAGE_SUFFIXES, LABEL_SUFFIXES, unread_beside
from segbench.errors import DataError, first_line


def read_pair(adapter: DatasetAdapter, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """The adapter's (image, label), with any failure turned into an error that names the sample, and a label
    value that is neither a class nor the void label refused (it would otherwise wrap to another class in uint8,
    or reach the loss as a framework error that names no file)."""
    own = not loads_itself(adapter)
    try:
        loaded = adapter.load(sample)
    except DataError:
        if own:  # in verify's words: "X.png: missing" named a file never there, and not the X.gif that is
            for what, path in (("image", sample.image), ("label", sample.label)):
                if path is not None and not os.path.lexists(path):
                    raise DataError(f"{path}: {missing_said(what, path)}") from None
        raise
    except (Exception, SystemExit) as exc:  # a codec's failure deep inside OpenCV, scipy, ..., or a plugin's own
        if own:
            raise DataError(f"{sample.id}: cannot be read ({exc})") from exc
        # "image7.jpg: cannot be read (bad decode)" blamed a sound image for the plugin's error.
        raise DataError(f"{sample.id}: {type(adapter).__name__}.load raised {type(exc).__name__}: {first_line(exc)} "
                        f"({raised_at(exc, type(adapter))})") from exc
    if not isinstance(loaded, tuple | list) or len(loaded) != 2:
        found = f"{len(loaded)} values" if isinstance(loaded, tuple | list) else type(loaded).__name__
        raise DataError(f"{sample.id}: {type(adapter).__name__}.load returned {found}, not an (image, label) pair")
    image, label = loaded
    # A plugin's load off this contract ended in Keras' tracebacks (grey or RGBA images, float labels) or trained on
    # float images cast to black without a word.
    for what, array, wanted, good in (
            ("image", image, "HxWx3 uint8 (RGB)", lambda a: a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8),
            ("label", label, "HxW of integer class indices",
             lambda a: a.ndim == 2 and (np.issubdtype(a.dtype, np.integer) or a.dtype == bool))):
        if isinstance(array, np.ma.MaskedArray):  # its masked pixels hold values all the same, which were read
            raise DataError(f"{sample.id}: {type(adapter).__name__}.load returned a masked array as its {what}; return "
                            "a plain array" + (", the masked pixels set to the void label" if what == "label" else ""))
        if not isinstance(array, np.ndarray) or not good(array):
            found = f"{array.dtype} of shape {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
            # A bundled adapter's reader is no code of the user's: the file it read is what to look at.
            said = f"{sample.image if what == 'image' else sample.label}: read as" if own else \
                f"{sample.id}: {type(adapter).__name__}.load returned"
            raise DataError(f"{said} {'an' if what == 'image' else 'a'} {what} of {found}, not {wanted}")
    if label.dtype == bool:  # a binary mask (`mask > 0`): classes 0 and 1, as indices, not a mask to index with
        label = label.astype(np.uint8)
    if not image.size:  # an image of 0 rows: stats counted nothing and a run ended in OpenCV's resize assertion
        raise DataError(f"{sample.id}: {type(adapter).__name__}.load returned an image of {image.shape[0]}x"
                        f"{image.shape[1]} pixels, none to read")
    if image.shape[:2] != label.shape[:2]:  # the label file named, as verify names it; a plugin's load, the sample
        raise DataError(f"{sample.label if own and sample.label else sample.id}: {sizes_differ(image, label)}"
                        f"{'' if own else f' (as {type(adapter).__name__}.load returned them)'}")
    num_classes = adapter.num_classes
    if label.size and (label.min() < 0 or label.max() >= num_classes):  # cheap test first; unique() only if needed
        bad = out_of_range(label, num_classes, adapter.ignore_index)
        if bad:
            returned = "" if own else f" (as {type(adapter).__name__}.load returned it)"  # not what the file holds
            raise DataError(f"{sample.label or sample.id}: {out_of_range_message(bad, num_classes)}{returned}")
    return image, label


def missing_said(what: str, path: Path) -> str:
    """The words for a missing image or label, with a file of its name in a suffix not read, where one is there."""
    return f"{what} missing" + unread_beside(path, *((IMAGE_SUFFIXES, "images") if what == "image" else
                                                     (LABEL_SUFFIXES, "labels")))


def sizes_differ(image: np.ndarray, label: np.ndarray) -> str:
    """Height x width, as every size segbench takes or prints (--size HxW, input_size, "native 360x480")."""
    return f"label is {label.shape[0]}x{label.shape[1]} but its image is {image.shape[0]}x{image.shape[1]}"


def out_of_range(label: np.ndarray, num_classes: int, ignore_index: int | None) -> list[int]:
    """The label values that are neither a class nor the void label."""
    values = np.unique(label)
    return [int(v) for v in values if not (0 <= v < num_classes or v == ignore_index)]


def out_of_range_message(bad: list[int], num_classes: int) -> str:
    return f"label values {', '.join(map(str, bad[:5])) + (', ...' if len(bad) > 5 else '')} outside [0, {num_classes})"


def resize_pair(image: np.ndarray, label: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Image bilinear, label nearest-neighbour (label values must stay class indices), to (height, width)."""
    height, width = size
    if image.shape[:2] == (height, width):
        return image, label
    return resize_image(image, size), cv2.resize(label, (width, height), interpolation=cv2.INTER_NEAREST)


def resize_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An image (not a label) bilinear to (height, width), as the model sees it in training and evaluation."""
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
