"""ADE20K as the MIT Scene Parsing benchmark releases it (ADEChallengeData2016): ``images/{training,validation}``
of JPEGs beside ``annotations/{training,validation}`` of PNGs whose value 0 is "other" and 1..150 the classes.
The usual reduce-zero-label convention (mmsegmentation's, the benchmark's own scoring): 0 is void (255) and value k
is class k - 1. The validation split is scored as ``test`` (test labels are withheld); there is no val split.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from segbench.data.folder import Folder
from segbench.data.prepare import folders_with
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig

# objectInfo150's names (the first of each entry's synonyms), in label order 1..150
CLASSES = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass", "cabinet", "sidewalk",
    "person", "earth", "door", "table", "mountain", "plant", "curtain", "chair", "car", "water", "painting", "sofa",
    "shelf", "house", "sea", "mirror", "rug", "field", "armchair", "seat", "fence", "desk", "rock", "wardrobe",
    "lamp", "bathtub", "railing", "cushion", "base", "box", "column", "signboard", "chest of drawers", "counter",
    "sand", "sink", "skyscraper", "fireplace", "refrigerator", "grandstand", "path", "stairs", "runway", "case",
    "pool table", "pillow", "screen door", "stairway", "river", "bridge", "bookcase", "blind", "coffee table",
    "toilet", "flower", "book", "hill", "bench", "countertop", "stove", "palm", "kitchen island", "computer",
    "swivel chair", "boat", "bar", "arcade machine", "hovel", "bus", "towel", "light", "truck", "tower",
    "chandelier", "awning", "streetlight", "booth", "television receiver", "airplane", "dirt track", "apparel",
    "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet", "poster", "stage", "van", "ship",
    "fountain", "conveyer belt", "canopy", "washer", "plaything", "swimming pool", "stool", "barrel", "basket",
    "waterfall", "tent", "bag", "minibike", "cradle", "oven", "ball", "food", "step", "tank", "trade name",
    "microwave", "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket", "sculpture", "hood",
    "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen", "plate", "monitor",
    "bulletin board", "shower", "radiator", "glass", "clock", "flag")


@DATASETS.register("ade20k", options=DatasetConfig)
class ADE20K(Folder):
    description: ClassVar[dict] = {
        "classes": list(CLASSES), "void": 255, "mapping": {k + 1: k for k in range(len(CLASSES))},
        "train": {"images": "images/training", "labels": "annotations/training"},
        "test": {"images": "images/validation", "labels": "annotations/validation"},
    }
    layout = "images/{training,validation}/*.jpg + annotations/{training,validation}/*.png (validation scored as test)"
    credit = ("ADE20K (Zhou et al., 2017), the MIT Scene Parsing benchmark release (ADEChallengeData2016), BSD "
              "3-Clause for the annotations; images from their sources, for research use")
    source = ("ADEChallengeData2016.zip of the MIT Scene Parsing benchmark (sceneparsing.csail.mit.edu)")
    url = "http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip"  # no published hash

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        found = [d for d in folders_with(unpacked, "images", "annotations") if (d / "images" / "training").is_dir()]
        return [(folder, ".") for folder in found]
