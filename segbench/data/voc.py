"""Pascal VOC 2012 segmentation, in the devkit's layout (the inside of ``VOCdevkit/VOC2012``): ``JPEGImages/``,
``SegmentationClass/`` palette PNGs of 21 classes (background + 20) with 255 on object boundaries and hard
regions (void, left out of the loss and the metrics), and the ``ImageSets/Segmentation/{train,val}.txt`` lists.
The official val list (1,449 images) is scored as ``test``; there is no val split of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from segbench.data.folder import Folder
from segbench.data.prepare import folders_with
from segbench.data.readers import write_palette_png
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig

CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
           "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")


def voc_colours(count: int = 256) -> list[list[int]]:
    """The devkit's colour map: the bits of the index spread over the high bits of R, G and B."""
    colours = []
    for index in range(count):
        r = g = b = 0
        value = index
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= (value >> 1 & 1) << shift
            b |= (value >> 2 & 1) << shift
            value >>= 3
        colours.append([r, g, b])
    return colours


@DATASETS.register("voc", options=DatasetConfig)
class VOC(Folder):
    description: ClassVar[dict] = {
        "classes": list(CLASSES), "palette": voc_colours(len(CLASSES)), "void": 255,
        "train": {"images": "JPEGImages", "labels": "SegmentationClass", "list": "ImageSets/Segmentation/train.txt"},
        "test": {"images": "JPEGImages", "labels": "SegmentationClass", "list": "ImageSets/Segmentation/val.txt"},
    }
    layout = "JPEGImages/ + SegmentationClass/ (palette PNGs) named by ImageSets/Segmentation/{train,val}.txt"
    credit = ("PASCAL VOC 2012 (Everingham et al.), host.robots.ox.ac.uk/pascal/VOC, images under their Flickr "
              "terms, for research use")
    source = "VOCtrainval_11-May-2012.tar of the PASCAL VOC 2012 challenge"
    url = "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar"  # hash not pinned here

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        found = folders_with(unpacked, "JPEGImages", "SegmentationClass")
        return [(folder, ".") for folder in found]

    def write_label(self, path: Path, label: np.ndarray) -> None:
        write_palette_png(path, label, voc_colours())  # as the devkit stores them: 255 shows as its cream colour
