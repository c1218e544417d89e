"""The per-run plots: what they say where data is missing."""

import numpy as np
import pytest

from segbench.errors import DataError
from segbench.report import curves


def capture(monkeypatch):
    figures = []
    monkeypatch.setattr(curves.plt, "close", figures.append)
    return figures


def test_a_class_without_ground_truth_pixels_says_so_in_its_row(tmp_path, monkeypatch):
    figures = capture(monkeypatch)
    counts = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 7]])  # class b never in the labels
    curves.plot_confusion(tmp_path, {"classes": ["a", "b", "c"], "confusion_matrix": counts.tolist(),
                                     "model": "m", "dataset": "d"})
    notes = [t for t in figures[0].axes[0].texts if "no pixels" in t.get_text()]
    assert len(notes) == 1 and notes[0].get_position()[1] == 1  # on row b, and only there
    assert (tmp_path / curves.CONFUSION).is_file()


def test_a_run_without_calibration_gets_no_reliability_diagram(tmp_path, monkeypatch):
    capture(monkeypatch)
    assert curves.plot_reliability(tmp_path, {"model": "m", "dataset": "d"}) is None
    assert not (tmp_path / curves.RELIABILITY).exists()


def test_a_history_without_its_columns_names_the_one_missing(tmp_path):
    (tmp_path / "history.csv").write_text("garbage,more\n1,2\n")
    with pytest.raises(DataError) as info:  # it said only "cannot be read ('epoch')"
        curves.plot_curves(tmp_path, {"model": "m", "dataset": "d", "epochs": 1})
    assert str(info.value) == (f"{tmp_path / 'history.csv'}: no column 'epoch' (a run's history has epoch, loss, "
                               "val_loss, val_miou, seconds); a run's curves are drawn from it: put its whole "
                               "history.csv back, or run it again")


@pytest.mark.parametrize("cut", ["rows", "mid-number", "extra row"])
def test_a_finished_run_s_history_cut_short_is_refused_not_drawn_as_half_its_curves(tmp_path, monkeypatch, cut):
    """Probe 21b case 6: a finished run of 6 epochs whose history.csv was cut to 2 rows (or mid-number) was drawn
    as a run of 2 epochs, `report` rc 0."""
    figures = capture(monkeypatch)
    rows = [f"{epoch},{1.5 - epoch / 10},{1.6 - epoch / 10},{epoch / 10},2.0" for epoch in range(1, 7)]
    whole = "epoch,loss,val_loss,val_miou,seconds\n" + "\n".join(rows) + "\n"
    text = {"rows": whole[:whole.index("3,")], "mid-number": whole[:whole.rindex(",") - 1],
            "extra row": whole + "7,0.8,0.9,0.7,2.0\n"}[cut]
    metrics = {"model": "m", "dataset": "d", "epochs": 6, "scored_epoch": 6}
    (tmp_path / "history.csv").write_text(text)
    with pytest.raises(DataError) as info:
        curves.plot_curves(tmp_path, metrics)
    assert str(info.value) == (f"{tmp_path / 'history.csv'}: not the rows of epochs 1..6 this run wrote; a run's "
                               "curves are drawn from it: put its whole history.csv back, or run it again")
    assert not figures and not (tmp_path / curves.CURVES).exists()
    (tmp_path / "history.csv").write_text(whole)
    curves.plot_curves(tmp_path, metrics)
    assert len(figures[0].axes[0].lines[0].get_xdata()) == 6
