"""The paper's three tables as data (``results/paper/*.csv``) and how our runs map onto them: config stem ->
method name, our class name -> column header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from segbench.errors import DataError

PAPER_DIR = Path(__file__).resolve().parents[2] / "results" / "paper"
HEADLINE = ("mIoU", "fIoU")

# suites.PAPER_ROWS (the config stems) -> the paper's method names.
METHODS = {"mobilenet_unet": "MobileNet UNet", "vgg_unet": "VGG UNet", "resnet50_unet": "ResNet50 UNet",
           "segnet": "SegNet", "psp_pretrained": "PSP Pretrained", "resnet50_pspnet": "ResNet50 PSPNet"}

# The paper's rows that started from pretrained weights (ImageNet encoders; PSP Pretrained from ADE20K): a run of
# one of these from random weights is marked "from scratch" in our tables.
PRETRAINED = frozenset(METHODS) - {"segnet"}


@dataclass(frozen=True)
class PaperTable:
    number: int
    file: str
    title: str
    headers: dict[str, str]  # our class name (metrics.json `classes`) -> the paper's column header, in its order


TABLES = {
    "camvid": PaperTable(1, "table1_camvid.csv", "CamVid", {
        "Sky": "Sky", "Building": "Buildg", "Pole": "Pole", "Road": "Road", "Pavement": "Pav", "Tree": "Tree",
        "SignSymbol": "Signl", "Fence": "Fence", "Car": "Car", "Pedestrian": "Ped", "Bicyclist": "Bicyc",
        "Unlabelled": "misc"}),
    "sitting": PaperTable(2, "table2_sitting.csv", "Freiburg Sitting People", {
        "background": "BG", "head": "Head", "torso": "tor", "right lower arm": "R LW a", "right upper arm": "RU a",
        "right hand": "R h", "left lower arm": "L. LW a", "left upper arm": "L U a", "left hand": "L h",
        "right lower leg": "R LW l", "right upper leg": "RU l", "right foot": "R f", "left lower leg": "L LW l",
        "left upper leg": "LU l", "left foot": "L f"}),
    "suim": PaperTable(3, "table3_suim.csv", "SUIM", {
        "Background/waterbody": "Background", "Human divers": "Human", "Plants/sea-grass": "Plants",
        "Wrecks/ruins": "Wrecks", "Robots/instruments": "Robots", "Reefs/invertebrates": "Feefs",  # sic
        "Fish/vertebrates": "Fish", "Sea-floor/rocks": "Floor"}),
}


def read_paper(dataset: str, folder: Path = PAPER_DIR) -> pd.DataFrame:
    """The paper's table for ``dataset``: indexed by method in the paper's row order, columns mIoU, fIoU and its
    class headers, in percent."""
    table = TABLES[dataset]
    path = folder / table.file
    try:
        frame = pd.read_csv(path, index_col="Method")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    expected = [*HEADLINE, *table.headers.values()]
    if list(frame.columns) != expected or sorted(frame.index) != sorted(METHODS.values()):
        raise DataError(f"{path}: expected columns Method, {', '.join(expected)} and one row per method of "
                        f"{', '.join(METHODS.values())}")
    return frame
