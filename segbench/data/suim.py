"""SUIM: underwater scenes, 8 classes coded by the colour bits of RGB BMP masks.

Layout: ``train_val/{images,masks}`` and ``TEST/{images,masks}``. The release has no val split, so one is drawn
from ``train_val`` once (seeded) and kept in ``segbench-split.json`` in the dataset root. Known defects of the
full set, both repaired on load and reported by ``verify`` as warnings: masks with off-palette colours (decoded by
their colour bits anyway) and masks whose size differs from their image (resized to it, nearest neighbour).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from segbench.data import splits
from segbench.data.base import DatasetAdapter, Problem, Sample, require_folder
from segbench.data.prepare import folders_with
from segbench.data.readers import read_colour_label, write_image
from segbench.errors import DataError
from segbench.registry import DATASETS
from segbench.schema import Split

# Class index = 4*R + 2*G + B, each channel counting 1 above 127: (0,0,0) is 0, (0,0,255) is 1, ..., white is 7.
CHANNEL_WEIGHTS = np.array([4, 2, 1], np.uint8)


class SUIMConfig(splits.SplitFileConfig):
    val_fraction: float = Field(0.1, gt=0, lt=1, description="share of train_val held out as val")
    split_seed: int = Field(0, ge=0)  # numpy's generators take no negative seed (a traceback once)


@DATASETS.register("suim", options=SUIMConfig)
class SUIM(DatasetAdapter):
    classes = ("Background/waterbody", "Human divers", "Plants/sea-grass", "Wrecks/ruins", "Robots/instruments",
               "Reefs/invertebrates", "Fish/vertebrates", "Sea-floor/rocks")
    palette = tuple((255 * (i >> 2 & 1), 255 * (i >> 1 & 1), 255 * (i & 1)) for i in range(8))
    ignore_index = None
    layout = "train_val/{images,masks}/ and TEST/{images,masks}/ (jpg images, bmp masks)"
    label_suffix = ".bmp"
    resizes_mismatched_labels = True
    credit = "SUIM (Islam et al., 2020), from the SUIM dataset page (xahidbuffon/SUIM, MIT)"
    source = ("SUIM is published as TEST.zip and train_val.zip on the SUIM dataset page (xahidbuffon/SUIM, MIT), "
              "behind a Google Drive link: download them by hand")
    config: SUIMConfig

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        parts = []
        for found in folders_with(unpacked, "images", "masks"):
            # By the name each release unpacks to: any other was placed as train_val, so that a TEST folder given
            # by itself (or zipped from inside) trained on the test images.
            part = {"test": "TEST", "train_val": "train_val"}.get(found.name.lower())
            if part is None:
                raise DataError(f"SUIM's images/ and masks/ are in {found.name}/, named neither TEST nor train_val, "
                                "so which split they are cannot be told; name that folder (or the archive zipped "
                                "from inside it) TEST or train_val, as SUIM's TEST.zip and train_val.zip unpack")
            parts.append((found, part))
        return parts

    def folders(self, split: Split) -> tuple[Path, Path]:
        part = self.root / ("TEST" if split == "test" else "train_val")
        return part / "images", part / "masks"

    def list_pairs(self, split: Split) -> list[Sample]:
        require_folder(self)
        pairs = super().list_pairs(split)
        if split == "test" or not pairs:
            return pairs
        return splits.select(pairs, self._split(pairs)[split], splits.path_of(self), split)

    def left_out(self) -> list[Problem]:
        pairs = super().list_pairs("train")  # all of train_val
        return splits.left_out(pairs, self._split(pairs), splits.path_of(self)) if pairs else []

    def _split(self, train_val: list[Sample]) -> dict[str, list[str]]:
        def make():
            stems = [sample.image.stem for sample in train_val]
            order = np.random.default_rng(self.config.split_seed).permutation(len(stems))
            held_out = max(1, round(self.config.val_fraction * len(stems)))
            return {"train": sorted(stems[i] for i in order[held_out:]),
                    "val": sorted(stems[i] for i in order[:held_out]), "test": []}

        return splits.load_or_make(splits.path_of(self), make)

    def read_label(self, path: Path) -> np.ndarray:
        return decode_mask(read_colour_label(path))

    def write_label(self, path: Path, label: np.ndarray) -> None:
        write_image(path, np.asarray(self.palette, np.uint8)[label])

    def align(self, image: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if label.shape != image.shape[:2]:
            label = cv2.resize(label, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
        return image, label

    def label_problems(self, sample: Sample) -> list[Problem]:
        try:
            off = off_palette_pixels(read_colour_label(sample.label))
        except DataError:
            return []  # the generic checks report unreadable files
        if not off:
            return []
        return [Problem(str(sample.label), f"{off} pixels of off-palette colours, decoded by their colour bits",
                        "warning")]


def decode_mask(rgb: np.ndarray) -> np.ndarray:
    """RGB mask (HxWx3) -> class indices (HxW) by the colour bits."""
    return ((rgb > 127).astype(np.uint8) * CHANNEL_WEIGHTS).sum(axis=-1, dtype=np.uint8)


def off_palette_pixels(rgb: np.ndarray) -> int:
    """How many pixels have a channel that is neither 0 nor 255."""
    return int(((rgb != 0) & (rgb != 255)).any(axis=-1).sum())
