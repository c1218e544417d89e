"""A report draws a figure again only where what it shows changed, and then always."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from segbench.engine import predictions
from segbench.report import fresh
from segbench.report.suite import report
from segbench.rundir import CONFUSION, CURVES, HISTORY, RELIABILITY


def test_the_digest_counts_bytes_names_and_values(tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"one")
    first = fresh.digest(folder, "label")
    assert fresh.digest(folder, "label") == first
    assert fresh.digest(folder, "other label") != first
    (folder / "a.png").write_bytes(b"two")
    assert fresh.digest(folder, "label") != first
    (folder / "worst").mkdir()
    (folder / "worst" / "c.png").write_bytes(b"three")  # a subfolder is not the folder's: a part of its own
    (folder / "a.png").write_bytes(b"one")
    assert fresh.digest(folder, "label") == first
    (folder / "a.png").rename(folder / "b.png")  # same bytes, another name
    assert fresh.digest(folder, "label") != fresh.digest(folder.parent / "absent", "label")
    renamed = fresh.digest(folder, "label")
    (folder / "b.png").write_bytes(b"one")
    assert renamed != first


def test_a_figure_is_current_only_with_its_own_digest(tmp_path):
    png, pdf = tmp_path / "figure.png", tmp_path / "figure.pdf"
    assert not fresh.current([png], "k")  # not there
    png.write_bytes(b"not a png")
    assert not fresh.current([png], "k")  # damaged
    from segbench.report.plotting import plt

    fig = plt.figure()
    fig.savefig(png, metadata=fresh.metadata(png, "k"))
    plt.close(fig)
    assert fresh.current([png], "k") and not fresh.current([png], "another")
    assert not fresh.current([png, pdf], "k")  # its PDF is missing


def _stamps(folder):
    """When each figure the report draws was last written (the runs' kept predictions are PNGs too: left out)."""
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*")
            if path.suffix in (".png", ".pdf") and predictions.FOLDER not in path.parts}


@pytest.fixture
def reported(tmp_path, fake_run):
    results = tmp_path / "results"
    fake_run(results / "camvid" / "segnet", "camvid", [0.5] * 12, detailed=True)
    fake_run(results / "camvid" / "vgg_unet", "camvid", [0.4] * 12, detailed=True)
    report("camvid", results, results, ["md"], worst=1)
    return results


def test_a_second_report_over_unchanged_runs_draws_nothing(reported):
    drawn = _stamps(reported)
    assert {path.name for path in drawn} >= {CURVES, CONFUSION, RELIABILITY, "figure.png", "figure.pdf", "worst.png"}
    report("camvid", reported, reported, ["md"], worst=1)
    assert _stamps(reported) == drawn


def test_what_changed_is_drawn_again_and_nothing_else(reported):
    run = reported / "camvid" / "segnet"
    drawn = _stamps(reported)
    history = (run / HISTORY).read_text()
    (run / HISTORY).write_text(history.replace("1.2", "1.1"))
    report("camvid", reported, reported, ["md"], worst=1)
    again = {path for path, stamp in _stamps(reported).items() if drawn[path] != stamp}
    assert again == {run / CURVES}


def test_new_predictions_or_another_worst_count_draw_the_figures_again(reported):
    figure, worst = reported / "camvid" / "figure.png", reported / "camvid" / "worst.png"
    before = _stamps(reported)
    kept = reported / "camvid" / "vgg_unet" / predictions.FOLDER
    Image.fromarray(np.zeros((30, 48), np.uint8)).save(kept / "f1.pred.png")  # another prediction of f1
    report("camvid", reported, reported, ["md"], worst=1)
    after = _stamps(reported)
    assert after[figure] != before[figure] and after[worst] == before[worst]
    report("camvid", reported, reported, ["md"], worst=2)
    again = _stamps(reported)
    assert again[worst] != after[worst] and again[figure] == after[figure]  # the worst images are not in the figure


def test_a_damaged_or_missing_figure_is_drawn_again(reported):
    run = reported / "camvid" / "vgg_unet"
    (run / CONFUSION).write_bytes(b"")
    (reported / "camvid" / "figure.pdf").unlink()
    report("camvid", reported, reported, ["md"], worst=1)
    assert Image.open(run / CONFUSION).size[0] > 100
    assert (reported / "camvid" / "figure.pdf").stat().st_size > 0


def test_a_run_folder_renamed_gets_plots_titled_with_its_new_name(reported):
    run = reported / "camvid" / "segnet"
    moved = run.with_name("segnet-seed0")
    run.rename(moved)
    before = (moved / CURVES).read_bytes()
    report("camvid", reported, reported, ["md"])
    assert (moved / CURVES).read_bytes() != before


def test_a_report_with_nothing_to_draw_loads_no_matplotlib(reported):
    code = ("import sys; from pathlib import Path; from segbench.report.suite import report; "
            f"report('camvid', Path({str(reported)!r}), Path({str(reported)!r}), ['md'], worst=1); "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_redraw_draws_every_figure(reported):
    drawn = _stamps(reported)
    report("camvid", reported, reported, ["md"], worst=1, redraw=True)
    assert [path.name for path, stamp in _stamps(reported).items() if stamp == drawn[path]] == []
