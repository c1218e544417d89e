"""The paper's suites: which configs make which table, in the paper's row order. Light on purpose (no Keras), so
that the command line can offer the suite names without loading a backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# The paper's row order within each table, then the tables in the paper's order.
PAPER_ROWS = ("mobilenet_unet", "vgg_unet", "resnet50_unet", "segnet", "psp_pretrained", "resnet50_pspnet")


@dataclass(frozen=True)
class SuiteTable:
    """One table of a suite: a folder under configs/ with one config per paper row, and the dataset whose paper
    table those rows are set beside."""

    configs: str
    dataset: str

    @property
    def name(self) -> str:
        """The folder the table's runs go in under the results folder (``plan`` names it after the configs')."""
        return Path(self.configs).name


_TABLES = {dataset: SuiteTable(dataset, dataset) for dataset in ("camvid", "sitting", "suim")}
SUITES = {**{dataset: (table,) for dataset, table in _TABLES.items()}, "paper": tuple(_TABLES.values()),
          # Table 1 at the CPU recipe of results/reference/camvid-cpu (`make reference-cpu`).
          "camvid-cpu": (SuiteTable("reference/camvid-cpu", "camvid"),),
          # Table 1 at the paper's recipe on a lent GPU, from scratch (scripts/device/table1.sh).
          "camvid-gpu": (SuiteTable("reference/camvid-gpu", "camvid"),)}


def suite_configs(suite: str) -> list[Path]:
    return [CONFIGS / table.configs / f"{row}.yaml" for table in SUITES[suite] for row in PAPER_ROWS]
