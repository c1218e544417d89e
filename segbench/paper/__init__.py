"""The paper as data: its rows (config stem, method name, pretrained or not), its three tables (``table*.csv``
beside this file, with our class names mapped onto its column headers) and the suites of configs that make them,
all read from ``paper.yaml``. Shipped inside the package, so that an installed segbench finds them anywhere.
No Keras here: the command line offers the suite names without loading a backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from segbench.errors import DataError
from segbench.io import load_yaml
from segbench.shipped import CONFIGS

if TYPE_CHECKING:
    import pandas as pd

PAPER_DIR = Path(__file__).resolve().parent
HEADLINE = ("mIoU", "fIoU")


@dataclass(frozen=True)
class PaperTable:
    number: int
    file: str
    title: str
    headers: dict[str, str]  # our class name (metrics.json `classes`) -> the paper's column header, in its order


@dataclass(frozen=True)
class SuiteTable:
    """One table of a suite: a folder of the shipped configs with one config per paper row, and the dataset whose
    paper table those rows are set beside."""

    configs: str
    dataset: str

    @property
    def name(self) -> str:
        """The folder the table's runs go in under the results folder (``plan`` names it after the configs')."""
        return Path(self.configs).name


def _read() -> dict:
    with (PAPER_DIR / "paper.yaml").open(encoding="utf-8") as file:
        return load_yaml(file.read())


_PAPER = _read()
# The config stems in the paper's row order, and each one's method name in the paper.
PAPER_ROWS = tuple(row["config"] for row in _PAPER["rows"])
METHODS = {row["config"]: row["method"] for row in _PAPER["rows"]}
PRETRAINED = frozenset(row["config"] for row in _PAPER["rows"] if row["pretrained"])
TABLES = {dataset: PaperTable(**table) for dataset, table in _PAPER["tables"].items()}
SUITES = {name: tuple(SuiteTable(**table) for table in tables) for name, tables in _PAPER["suites"].items()}


def suite_configs(suite: str) -> list[Path]:
    return [CONFIGS / table.configs / f"{row}.yaml" for table in SUITES[suite] for row in PAPER_ROWS]


def read_paper(dataset: str, folder: Path = PAPER_DIR) -> pd.DataFrame:
    """The paper's table for ``dataset``: indexed by method in the paper's row order, columns mIoU, fIoU and its
    class headers, in percent."""
    import pandas as pd  # here, not above: the command line reads the suites at start-up, and pandas takes a second

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
