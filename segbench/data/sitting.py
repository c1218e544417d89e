"""Freiburg Sitting People: 200 images of 6 people, 14 body parts + background, labels in MATLAB files.

Layout: ``Sitting/img/imageN.jpg`` + ``Sitting/masks/imageN.mat`` (variable ``M``, values 0..14); the dataset root
may be the folder holding ``Sitting/`` or ``Sitting/`` itself. The standard protocol trains on 2 subjects and
tests on 4, but no subject-to-file mapping is published; the default split therefore cuts the images in order of
their number (frames of one person are assumed to be numbered together, and a random split would put near copies of
a frame on both sides): the first third is train, its last tenth val, the rest test. It is written to
``segbench-split.json`` in the root; replace that file with your own lists to use another split.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from pydantic import Field

from segbench.data import splits
from segbench.data.base import DatasetAdapter, Problem, Sample, require_folder
from segbench.data.pairs import out_of_range_message
from segbench.data.prepare import folders_with
from segbench.data.readers import regular_file
from segbench.errors import DataError
from segbench.io import atomic_path
from segbench.registry import DATASETS
from segbench.schema import Split

# The paper's Table 2 column order. A third-party loader names the sides the other way round (its 3..8 are the
# left arm first); which is right is unconfirmed, and this tuple is the only place that would change.
CLASSES = ("background", "head", "torso", "right lower arm", "right upper arm", "right hand", "left lower arm",
           "left upper arm", "left hand", "right lower leg", "right upper leg", "right foot", "left lower leg",
           "left upper leg", "left foot")


class SittingConfig(splits.SplitFileConfig):
    train_fraction: float = Field(1 / 3, gt=0, lt=1, description="share of images, in number order, for train+val")
    val_fraction: float = Field(0.1, ge=0, lt=1, description="share of the train block held out as val")


@DATASETS.register("sitting", options=SittingConfig)
class Sitting(DatasetAdapter):
    classes = CLASSES
    palette = ((0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
               (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128),
               (220, 190, 255), (170, 110, 40), (128, 0, 0))
    ignore_index = None
    layout = "Sitting/img/imageN.jpg + Sitting/masks/imageN.mat (variable M)"
    label_suffix = ".mat"
    credit = ("Freiburg Sitting People (Oliveira et al., 2016), from the Freiburg LMB part-segmentation page; its "
              "terms: research use")
    source = ("Freiburg Sitting People is Sitting.tar.gz on the Freiburg LMB human part segmentation page "
              "(research use): download it by hand")
    config: SittingConfig

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        found = folders_with(unpacked, "img", "masks")
        return [(folder, "Sitting") for folder in found]

    @property
    def data_dir(self) -> Path:
        # The root may be Sitting/ itself (it holds img/); otherwise, and for a root still to be filled (imitate,
        # the messages of a missing one), the documented layout: <root>/Sitting/.
        return self.root if (self.root / "img").is_dir() and not (self.root / "Sitting").is_dir() \
            else self.root / "Sitting"

    def folders(self, split: Split) -> tuple[Path, Path]:
        return self.data_dir / "img", self.data_dir / "masks"

    def list_pairs(self, split: Split) -> list[Sample]:
        require_folder(self)
        pairs = super().list_pairs(split)
        if not pairs:
            return []
        return splits.select(pairs, self._split([sample.image.stem for sample in pairs])[split], splits.path_of(self),
                             split)

    def left_out(self) -> list[Problem]:
        pairs = super().list_pairs("train")  # every pair: the split file divides one folder
        return splits.left_out(pairs, self._split([sample.image.stem for sample in pairs]),
                               splits.path_of(self)) if pairs else []

    def _split(self, stems: list[str]) -> dict[str, list[str]]:
        def make():
            ordered = sorted(stems, key=_number)
            cut = round(self.config.train_fraction * len(ordered))
            held_out = max(1, round(self.config.val_fraction * cut)) if self.config.val_fraction and cut > 1 else 0
            return {"train": ordered[:cut - held_out], "val": ordered[cut - held_out:cut], "test": ordered[cut:]}

        return splits.load_or_make(splits.path_of(self), make)

    def read_label(self, path: Path) -> np.ndarray:
        import scipy.io  # here, not above: every verb that lists the datasets imports this module

        try:
            mat = scipy.io.loadmat(regular_file(path))
        except (ValueError, TypeError, OSError, scipy.io.matlab.MatReadError) as exc:
            raise DataError(f"{path}: not a readable MATLAB file ({exc})") from None
        except NotImplementedError:  # scipy's word for a v7.3 file (HDF5 inside: MATLAB's -v7.3, its large-data setting)
            raise DataError(f"{path}: a MATLAB v7.3 (HDF5) file, which cannot be read here; save it with -v7 or "
                            "earlier") from None
        if "M" not in mat:
            raise DataError(f"{path}: no variable M (has {', '.join(k for k in mat if not k.startswith('__'))})")
        label = np.asarray(mat["M"])
        if label.dtype.kind not in "biuf":  # a cell, struct, text or complex M: no numbers to compare (a traceback)
            held = {"c": "complex numbers", "U": "text", "S": "text"}.get(label.dtype.kind, "a cell array or struct")
            raise DataError(f"{path}: M is not a 2-D map of class indices (it holds {held})")
        if label.ndim != 2 or label.size == 0:
            raise DataError(f"{path}: M is not a 2-D map of class indices (shape {label.shape})")
        if label.min() < 0 or label.max() > 255:  # no uint8 holds it: named as the readers name a value off the classes
            bad = [value for value in np.unique(label) if not 0 <= value <= 255]
            raise DataError(f"{path}: {out_of_range_message([f'{value:g}' for value in bad], self.num_classes)}")
        # MATLAB saves doubles: whole ones are indices; a fraction (a mask resized or scaled) is no class, and was
        # truncated into another one.
        fractional = label[label != np.round(label)] if label.dtype.kind == "f" else label[:0]
        if fractional.size:
            raise DataError(f"{path}: M holds {fractional.flat[0]:g}, not a class index (a mask resized or scaled "
                            "other than by nearest neighbour?)")
        return label.astype(np.uint8)

    def write_label(self, path: Path, label: np.ndarray) -> None:
        import scipy.io

        with atomic_path(path) as tmp:
            scipy.io.savemat(tmp, {"M": label})


def _number(stem: str) -> tuple[int, str]:
    match = re.search(r"(\d+)$", stem)
    return (int(match.group(1)) if match else -1, stem)
