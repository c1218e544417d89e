"""Dataset adapters; importing this package registers every bundled one."""

from segbench.data import camvid, folder, sitting, suim, synthetic  # noqa: F401
from segbench.data.base import DatasetAdapter, Sample
from segbench.schema import SPLITS

__all__ = ["SPLITS", "DatasetAdapter", "Sample"]
