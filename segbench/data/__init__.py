"""Dataset adapters; importing this package registers every bundled one."""

from segbench.data import ade20k, camvid, cityscapes, folder, sitting, suim, synthetic, voc  # noqa: F401
from segbench.data.base import DatasetAdapter, Sample
from segbench.schema import SPLITS

__all__ = ["SPLITS", "DatasetAdapter", "Sample"]
