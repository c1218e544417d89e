"""Any pair of folders of images and class-index label images matched by file stem (the older Keras library's
format), with the number of classes and, optionally, their names given in the config."""

from __future__ import annotations

import colorsys
from pathlib import Path

from pydantic import Field, model_validator

from segbench.data.base import DatasetAdapter, require_folder
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig, Split


class FolderConfig(DatasetConfig):
    num_classes: int = Field(ge=1)
    class_names: list[str] | None = None
    ignore_index: int | None = Field(None, description="a void label: a class index, or a value such as 255")
    train: list[str] = Field(default_factory=lambda: ["images", "annotations"],
                             description="[images folder, labels folder] under the root")
    val: list[str] | None = None
    test: list[str] | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise ValueError(f"class_names has {len(self.class_names)} names for {self.num_classes} classes")
        for split in ("train", "val", "test"):
            folders = getattr(self, split)
            if folders is not None and len(folders) != 2:
                raise ValueError(f"{split} must be [images folder, labels folder]")
        return self


@DATASETS.register("folder", options=FolderConfig)
class Folder(DatasetAdapter):
    layout = "<root>/images/ + <root>/annotations/ by default; dataset.train/val/test name other folder pairs"
    config: FolderConfig

    def __init__(self, config: FolderConfig):
        super().__init__(config)
        self.classes = tuple(config.class_names or (f"class {i}" for i in range(config.num_classes)))
        self.palette = spread_colours(config.num_classes)
        self.ignore_index = config.ignore_index

    def folders(self, split: Split) -> tuple[Path, Path] | None:
        names = getattr(self.config, split)
        return (self.root / names[0], self.root / names[1]) if names else None

    def list_pairs(self, split: Split):
        require_folder(self)
        return super().list_pairs(split) if self.folders(split) else []


def spread_colours(count: int) -> tuple[tuple[int, int, int], ...]:
    """``count`` distinct, saturated colours around the hue circle."""
    return tuple(tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / count, 0.75, 0.95)) for i in range(count))
