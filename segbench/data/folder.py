"""A dataset of one's own, described in data (``segbench.data.description``): a class file beside it or the
config's ``dataset`` keys say its classes, palette, void label, label encoding and layout; no code is written.

Subclasses with a fixed ``description`` are the bundled datasets that follow a common layout (Cityscapes, ADE20K,
Pascal VOC): a few lines each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from segbench.data import pairing
from segbench.data.base import DatasetAdapter, Sample, require_folder, spread_colours
from segbench.data.decoding import apply_mapping, decode_colours, encode_colours
from segbench.data.description import CLASS_FILE, Description, DescriptionKeys, load
from segbench.data.prepare import folders_with
from segbench.data.readers import read_colour_label, read_index_png, write_image
from segbench.errors import DataError
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig, PathText, Split

# The class file's keys that decide which class a label pixel is.
DECODING_KEYS = ("labels", "mapping", "palette", "void_colour", "off_palette")


class FolderConfig(DatasetConfig, DescriptionKeys):
    class_file: PathText | None = Field(None, description=f"the dataset's class file (default: <root>/{CLASS_FILE})")
    num_classes: int | None = Field(None, ge=1, description="shorthand for classes named 'class 0', 'class 1', ...")

    @model_validator(mode="after")
    def _consistent(self):
        if self.num_classes is not None and self.classes is not None and len(self.classes) != self.num_classes:
            raise ValueError(f"classes has {len(self.classes)} names for num_classes {self.num_classes}")
        return self


@DATASETS.register("folder", options=FolderConfig)
class Folder(DatasetAdapter):
    layout = (f"the layout its class file (<root>/{CLASS_FILE}) or dataset keys describe; by default <root>/images/ "
              "+ <root>/annotations/ paired by name")
    # A bundled dataset's own description (as a class file would hold it); None: read from the data and the config.
    description: ClassVar[dict[str, Any] | None] = None
    config: FolderConfig

    def __init__(self, config: DatasetConfig):
        super().__init__(config)
        if self.description is not None:
            self.described = Description.model_validate(self.description)
            self.class_file = None
        else:
            # null is "the class file says": a run's config.yaml records every key, null for those it left to the
            # class file, and reading them as given made every finished folder run refuse evaluate, predict, export
            # and --resume (and would have dropped the class file's void without a word).
            given = {key: value for key in DescriptionKeys.model_fields if (value := getattr(config, key)) is not None}
            if config.num_classes is not None and "classes" not in given:
                given["classes"] = [f"class {i}" for i in range(config.num_classes)]
            self.described, self.class_file = load(Path(config.class_file) if config.class_file else None, given,
                                                   self.root / CLASS_FILE)
        described = self.described
        self.classes = tuple(described.classes)
        self.palette = tuple(tuple(c) for c in described.palette) if described.palette \
            else spread_colours(len(described.classes))
        self.ignore_index = described.void

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        # The user's own data, wherever it lies in the archive: the folder of its class file, else the default
        # layout's images/ + annotations/ (`prepare folder --from` refused every archive and folder before).
        found = [path.parent for path in sorted(unpacked.rglob(CLASS_FILE)) if path.is_file()] \
            or folders_with(unpacked, "images", "annotations")
        return [(folder, ".") for folder in found]

    def data_record(self) -> dict:
        # The class file the run read, absolute: a relative dataset.class_file is read from the current folder, and
        # from another one named another file, whose test split was scored as the run's (probe 22a case 9).
        return {**super().data_record(), "class_file": str(self.class_file.resolve()) if self.class_file else None}

    def decoding(self) -> dict:
        described = self.described.model_dump(mode="json")
        kept = {key: described.get(key) for key in DECODING_KEYS}
        if described.get("labels") != "rgb":  # index labels: the palette colours figures only
            kept.pop("palette")
        return {**super().decoding(), **kept}

    @property
    def image_suffix(self) -> str:  # what `datasets imitate` writes
        return self.described.image_suffix or ".jpg"

    @property
    def label_suffix(self) -> str:
        return self.described.label_suffix or ".png"

    def has_split(self, split: Split) -> bool:
        return getattr(self.described, split) is not None

    def folders(self, split: Split) -> tuple[Path, Path] | None:
        layout = getattr(self.described, split)
        if layout is None or layout.images is None:
            return None
        return self.root / layout.images, self.root / layout.labels

    def list_pairs(self, split: Split) -> list[Sample]:
        require_folder(self)
        layout, described = getattr(self.described, split), self.described
        if layout is None:
            return []
        if layout.list is not None:
            return pairing.listed(self.root / layout.list, self.root, self.folders(split), described.image_suffix,
                                  described.label_suffix)
        images, labels = self.folders(split)
        told_apart = described.image_suffix and described.label_suffix and \
            described.image_suffix != described.label_suffix
        if images.resolve() == labels.resolve() and not told_apart:
            # Else a.jpg and its label a.png are "two files of one name", whose advice, keep one, lost a label.
            # ... and one suffix for both paired every label with itself, trained on as its own image.
            raise DataError(f"{images}: {split}'s images and labels are one folder; give an image_suffix and another "
                            "label_suffix (such as image_suffix: .jpg, label_suffix: .png) to tell its files apart")
        if labels.resolve().is_relative_to(images.resolve()) and not told_apart:
            # Images are read with their subfolders: each label was an image too, "two images of one name ...
            # rename one", which lost a pair.
            raise DataError(f"{labels}: {split}'s labels folder lies inside its images folder {images}, which is read "
                            "with its subfolders, so each label would be read as an image too; keep the labels beside "
                            "the images folder, or give an image_suffix and another label_suffix")
        return pairing.paired(images, labels, described.image_suffix, described.label_suffix, self.label_suffix)

    def unclaimed_labels(self, split: Split) -> list[Path]:
        layout = getattr(self.described, split)
        if layout is None or layout.list is not None:  # a list names its pairs: other files are not orphans
            return []
        images, labels = self.folders(split)
        return pairing.unclaimed(images, labels, self.described.image_suffix, self.described.label_suffix)

    def lists(self, split: Split) -> Path | None:
        layout = getattr(self.described, split)
        return self.root / layout.list if layout is not None and layout.list is not None else None

    def read_label(self, path: Path) -> np.ndarray:
        if path.suffix.lower() == ".mat":  # paired, so that it is named: read as an image it was "damaged" (probe 22a)
            raise DataError(f"{path}: a MATLAB file; a folder dataset reads its labels from images, not .mat files "
                            "(only the sitting adapter reads its own): save the labels as PNG")
        described = self.described
        try:
            if described.labels == "rgb":
                return decode_colours(read_colour_label(path), described.palette, described.void, described.void_colour,
                                      described.off_palette)
            raw = read_index_png(path)
            return raw if described.mapping is None else apply_mapping(raw, described.mapping, described.void)
        except ValueError as exc:
            raise DataError(f"{path}: {exc}") from None

    def write_label(self, path: Path, label: np.ndarray) -> None:
        """``label`` (class indices) as this dataset stores labels: colours, mapped values, or indices."""
        described = self.described
        if described.labels == "rgb":
            write_image(path, encode_colours(label, described.palette, described.void, described.void_colour))
        elif described.mapping is not None:
            write_image(path, unmapped(label, described.mapping, described.void))
        else:
            write_image(path, label.astype(np.uint8 if described.label_values <= 256 else np.uint16))


def unmapped(label: np.ndarray, mapping: dict[int, int], void: int | None) -> np.ndarray:
    """Class indices back to label values: each class's first value in ``mapping``; void to a value the mapping
    leaves out (or sends to void)."""
    inverse = {}
    for value, target in sorted(mapping.items()):
        inverse.setdefault(target, value)
    if void is not None and void not in inverse:
        inverse[void] = next(value for value in range(max(mapping) + 2) if value not in mapping)
    table = np.zeros(max(inverse) + 1, np.int64)
    table[list(inverse)] = list(inverse.values())
    values = table[label]
    return values.astype(np.uint8 if values.max(initial=0) < 256 else np.uint16)
