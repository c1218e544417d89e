"""Decoding image and label files into numpy arrays (every failure names the file), and writing them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from segbench.errors import DataError
from segbench.io import atomic_path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
LABEL_SUFFIXES = IMAGE_SUFFIXES + (".mat",)


def read_rgb(path: Path) -> np.ndarray:
    """An RGB uint8 image of shape HxWx3."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: {'missing' if not Path(path).exists() else 'not a readable image'}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_image(path: Path, array: np.ndarray) -> None:
    """An RGB image (HxWx3) or a map of class indices (HxW, uint8), atomically, in the format of the suffix."""
    pixels = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if array.ndim == 3 else array
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), pixels):
            raise DataError(f"{path}: could not be written")


def read_index_png(path: Path) -> np.ndarray:
    """A label of class indices stored as pixel values (grayscale, or the same value in every channel)."""
    label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if label is None:
        raise DataError(f"{path}: {'missing' if not Path(path).exists() else 'not a readable label image'}")
    # The older Keras library's "prepped" labels are sometimes saved as 3-channel copies of the index.
    return label[..., 0] if label.ndim == 3 else label


def check_intact(path: Path) -> str | None:
    """Why ``path`` is not a complete image file, or None. OpenCV decodes a truncated JPEG without complaint
    (grey below the cut), so the file is decoded in full by Pillow, which does complain."""
    try:
        with Image.open(path) as image:
            image.load()
    except FileNotFoundError:
        return "missing"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"damaged ({exc})"
    return None


def find_image(path: Path) -> Path:
    """``path``, or a file of the same stem with another image suffix (lists written for .png, data in .jpg)."""
    if path.exists():
        return path
    for suffix in IMAGE_SUFFIXES:
        other = path.with_suffix(suffix)
        if other.exists():
            return other
    return path


def files_by_stem(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """Files of ``folder`` with one of ``suffixes``, keyed by stem (empty when the folder is absent)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in suffixes}
