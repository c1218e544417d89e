"""Cityscapes (fine annotations), in its official layout: ``leftImg8bit/<split>/<city>/<name>_leftImg8bit.png``
beside ``gtFine/<split>/<city>/<name>_gtFine_labelIds.png``. The 34 label ids map to the 19 train ids of the
benchmark (cityscapesScripts' ``labels.py``); every other id is void, 255, left out of the loss and the metrics.
The official val split is scored as ``test`` (test labels are withheld); there is no val split of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from segbench.data.folder import Folder
from segbench.data.prepare import folders_with
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig

# (train id order) name, colour, label id
CLASSES = (("road", (128, 64, 128), 7), ("sidewalk", (244, 35, 232), 8), ("building", (70, 70, 70), 11),
           ("wall", (102, 102, 156), 12), ("fence", (190, 153, 153), 13), ("pole", (153, 153, 153), 17),
           ("traffic light", (250, 170, 30), 19), ("traffic sign", (220, 220, 0), 20),
           ("vegetation", (107, 142, 35), 21), ("terrain", (152, 251, 152), 22), ("sky", (70, 130, 180), 23),
           ("person", (220, 20, 60), 24), ("rider", (255, 0, 0), 25), ("car", (0, 0, 142), 26),
           ("truck", (0, 0, 70), 27), ("bus", (0, 60, 100), 28), ("train", (0, 80, 100), 31),
           ("motorcycle", (0, 0, 230), 32), ("bicycle", (119, 11, 32), 33))


@DATASETS.register("cityscapes", options=DatasetConfig)
class Cityscapes(Folder):
    description: ClassVar[dict] = {
        "classes": [name for name, _, _ in CLASSES], "palette": [list(colour) for _, colour, _ in CLASSES],
        "void": 255, "mapping": {label_id: train_id for train_id, (_, _, label_id) in enumerate(CLASSES)},
        "image_suffix": "_leftImg8bit.png", "label_suffix": "_gtFine_labelIds.png",
        "train": {"images": "leftImg8bit/train", "labels": "gtFine/train"},
        "test": {"images": "leftImg8bit/val", "labels": "gtFine/val"},
    }
    layout = ("leftImg8bit/{train,val}/<city>/*_leftImg8bit.png + gtFine/{train,val}/<city>/*_gtFine_labelIds.png "
              "(val scored as test)")
    credit = ("Cityscapes (Cordts et al., 2016), cityscapes-dataset.com, under its own terms: non-commercial "
              "research and teaching, no redistribution")
    source = ("Cityscapes needs an account at cityscapes-dataset.com: download leftImg8bit_trainvaltest.zip and "
              "gtFine_trainvaltest.zip by hand, and prepare each")

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        # Each archive holds one of the two trees (and a licence and a README beside it).
        return [(found, found.name) for found in folders_with(unpacked, "train")
                if found.name in ("leftImg8bit", "gtFine")]
