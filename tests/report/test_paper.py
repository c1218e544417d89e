from pathlib import Path

import pandas as pd
import pytest

from segbench.errors import DataError
from segbench.paper import METHODS, PAPER_DIR, PAPER_ROWS, TABLES, read_paper
from segbench.registry import DATASETS

SHARED_PAPER = Path(__file__).resolve().parents[3] / "shared" / "paper"  # beside the repository


@pytest.mark.parametrize("dataset", TABLES)
def test_each_paper_miou_is_the_mean_of_its_class_columns(dataset):
    table = read_paper(dataset)
    classes = table.drop(columns=["mIoU", "fIoU"])
    assert len(table) == 6 and classes.shape[1] == len(TABLES[dataset].headers)
    # Published to two decimals: the mean of the rounded columns is within half a hundredth of the rounded mIoU.
    assert ((classes.mean(axis=1) - table["mIoU"]).abs() <= 0.005).all()


@pytest.mark.parametrize("dataset", TABLES)
def test_the_project_copy_is_the_paper_table(dataset):
    if not SHARED_PAPER.is_dir():
        pytest.skip(f"the paper's tables not found at {SHARED_PAPER}")
    ours = pd.read_csv(PAPER_DIR / TABLES[dataset].file)
    shared = pd.read_csv(SHARED_PAPER / TABLES[dataset].file)
    pd.testing.assert_frame_equal(ours, shared)


@pytest.mark.parametrize("dataset", TABLES)
def test_our_class_order_is_the_paper_column_order(dataset):
    """Index i of our adapter is column i of the paper's classes, under the header the mapping gives it."""
    headers = TABLES[dataset].headers
    assert list(headers) == list(DATASETS.get(dataset).classes)
    assert list(headers.values()) == list(read_paper(dataset).columns[2:])


def test_every_paper_row_has_a_config_and_a_method_name():
    assert tuple(METHODS) == PAPER_ROWS
    for dataset in TABLES:
        assert sorted(read_paper(dataset).index) == sorted(METHODS.values())


def test_a_table_of_another_layout_is_named(tmp_path):
    (tmp_path / TABLES["suim"].file).write_text("Method,mIoU,fIoU,Background\nSegNet,1,2,3\n")
    with pytest.raises(DataError, match=r"table3_suim\.csv: expected columns Method, mIoU, fIoU, Background, Human"):
        read_paper("suim", tmp_path)
    with pytest.raises(DataError, match=r"table1_camvid\.csv: cannot be read"):
        read_paper("camvid", tmp_path)
