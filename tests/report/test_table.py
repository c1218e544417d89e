import io
import math

import pandas as pd
import pytest

from segbench.errors import DataError
from segbench.paper import TABLES, read_paper
from segbench.report.table import BOUNDARY, ECE, STANDARD, compare, render_csv, render_md, render_tex, scores

CAMVID = list(TABLES["camvid"].headers)


def camvid_metrics(ious, miou=None, fiou=0.5, standard=0.6):
    return {"dataset": "camvid", "classes": CAMVID, "per_class_iou": ious,
            "miou": sum(ious) / len(ious) if miou is None else miou, "fiou": fiou, "standard": {"miou": standard}}


def segnet_only(*mious):
    """CamVid with one SegNet run per mIoU given (the other rows have none)."""
    runs = [scores(camvid_metrics([m] * 12, miou=m), "camvid", "run") for m in mious]
    return compare("camvid", read_paper("camvid"), {"segnet": runs})


def test_scores_map_our_classes_to_the_paper_headers_in_percent():
    ious = [i / 100 for i in range(12)]
    scored = scores(camvid_metrics(ious, standard=0.25), "camvid", "run")
    assert scored["Sky"] == 0 and scored["Buildg"] == 1 and scored["Signl"] == 6 and scored["misc"] == 11
    assert scored[STANDARD] == 25 and scored["fIoU"] == 50
    assert scored["mIoU"] == pytest.approx(5.5)


def test_a_run_of_other_classes_or_another_dataset_is_named():
    metrics = camvid_metrics([0.1] * 12)
    with pytest.raises(DataError, match=r"runs/x: a camvid run .* not the suim classes of the paper's Table 3"):
        scores(metrics, "suim", "runs/x")
    metrics["classes"] = CAMVID[::-1]
    with pytest.raises(DataError, match="runs/x: a camvid run with classes Unlabelled, Bicyclist"):
        scores(metrics, "camvid", "runs/x")


def test_ours_beside_the_paper_with_the_difference():
    table = render_md(segnet_only(0.4120))  # the paper's SegNet: 40.89
    segnet = next(line for line in table.splitlines() if line.startswith("| SegNet "))
    paper = table.splitlines()[table.splitlines().index(segnet) + 1]
    assert "41.20 (+0.31)" in segnet
    assert paper.startswith("| (paper)") and "40.89" in paper and "73.40" in paper
    assert "1 of 6 rows are ours (MobileNet UNet, VGG UNet, ResNet50 UNet, PSP Pretrained, ResNet50 PSPNet: no " \
           "finished run yet" in table


def test_seeds_give_mean_and_std_and_their_count():
    c = segnet_only(0.40, 0.42)
    assert c.seeds["SegNet"] == 2 and c.seeds["VGG UNet"] == 0
    assert c.mean.at["SegNet", "mIoU"] == pytest.approx(41.0)
    assert c.std.at["SegNet", "mIoU"] == pytest.approx(math.sqrt(2))  # sample std of 40 and 42
    segnet = next(line for line in render_md(c).splitlines() if line.startswith("| SegNet "))
    cells = [cell.strip() for cell in segnet.strip("|").split("|")]
    assert cells[1] == "41.00 ± 1.41 (+0.11)"
    assert cells[-1] == "2"  # seeds


def test_a_figure_one_seed_lacks_is_no_mean_of_the_others():
    measured = {**camvid_metrics([0.42] * 12), "boundary_miou": 0.30, "calibration": {"ece": 0.02}}
    older = camvid_metrics([0.40] * 12)  # finished before Boundary IoU and ECE were measured
    c = compare("camvid", read_paper("camvid"), {"segnet": [scores(m, "camvid", "run") for m in (older, measured)]})
    assert math.isnan(c.mean.at["SegNet", BOUNDARY]) and math.isnan(c.mean.at["SegNet", ECE])
    assert c.mean.at["SegNet", "mIoU"] == pytest.approx(41.0)
    cells = row_cells(c)
    assert (cells[BOUNDARY], cells[ECE]) == ("-", "-")
    alone = compare("camvid", read_paper("camvid"), {"segnet": [scores(measured, "camvid", "run")]})
    assert alone.mean.at["SegNet", BOUNDARY] == pytest.approx(30.0)


def test_a_row_without_runs_shows_a_dash_never_a_zero():
    c = segnet_only(0.4)
    assert c.ours == 1
    md = render_md(c)
    vgg = next(line for line in md.splitlines() if line.startswith("| VGG UNet "))
    assert {cell.strip() for cell in vgg.strip("|").split("|")[1:]} == {"-"}
    tex = render_tex(c)
    assert "VGG UNet & - & - & - &" in tex
    csv = pd.read_csv(io.StringIO(render_csv(c)), index_col="Method", keep_default_na=False)
    assert (csv.loc["VGG UNet", ["mIoU", "fIoU", "Sky", "misc", STANDARD, "mIoU delta"]] == "-").all()
    assert csv.loc["VGG UNet", "mIoU paper"] == 59.59  # a column without gaps reads as numbers


def test_csv_starts_with_exactly_the_paper_layout_then_the_extra_columns():
    c = segnet_only(0.4120, 0.4120)
    paper_file = read_paper("camvid").reset_index()
    csv = pd.read_csv(io.StringIO(render_csv(c)), na_values="-")
    width = len(paper_file.columns)
    assert list(csv.columns[:width]) == list(paper_file.columns)
    assert list(csv["Method"]) == list(paper_file["Method"])
    assert list(csv.columns[width:width + 2]) == ["seeds", STANDARD]
    assert csv.set_index("Method").loc["SegNet", ["mIoU", "mIoU std", "mIoU paper", "mIoU delta", "seeds"]].tolist() \
        == [41.20, 0.0, 40.89, 0.31, 2]
    pd.testing.assert_frame_equal(csv[[f"{col} paper" for col in paper_file.columns[1:]]].set_axis(
        paper_file.columns[1:], axis=1), paper_file.drop(columns="Method"), check_dtype=False)


def test_latex_is_booktabs_with_an_escaped_caption():
    tex = render_tex(segnet_only(0.4))
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert "IoU in \\%" in tex and "\\label{tab:camvid}" in tex
    assert "Method & mIoU & fIoU & Sky & Buildg" in tex


def test_a_difference_of_zero_has_no_sign_noise():
    c = segnet_only(0.4089)
    assert "40.89 (+0.00)" in render_md(c)


def segnet_runs(*runs):
    """One SegNet run per (mIoU, interval or None)."""
    scored = []
    for miou, found in runs:
        metrics = camvid_metrics([miou] * 12, miou=miou)
        if found:
            metrics["intervals"] = {"paper": {"miou": list(found)}}
        scored.append(scores(metrics, "camvid", "run"))
    return compare("camvid", read_paper("camvid"), {"segnet": scored})


def row_cells(c, method="SegNet"):
    table = render_md(c)
    header = next(line for line in table.splitlines() if line.startswith("| Method"))
    row = next(line for line in table.splitlines() if line.startswith(f"| {method} "))
    return dict(zip([h.strip() for h in header.strip("|").split("|")], [v.strip() for v in row.strip("|").split("|")]))


def test_one_runs_bootstrap_interval_and_whether_the_paper_is_inside():
    inside = row_cells(segnet_runs((0.412, (0.398, 0.426))))  # the paper's SegNet: 40.89
    assert (inside["mIoU 95 % interval"], inside["paper inside"]) == ("[39.80, 42.60]", "yes")
    outside = row_cells(segnet_runs((0.45, (0.43, 0.47))))
    assert (outside["mIoU 95 % interval"], outside["paper inside"]) == ("[43.00, 47.00]", "no")
    older = row_cells(segnet_runs((0.45, None)))  # metrics.json written before intervals existed
    assert (older["mIoU 95 % interval"], older["paper inside"]) == ("-", "-")
    assert row_cells(segnet_runs((0.412, (0.398, 0.426))), "VGG UNet")["mIoU 95 % interval"] == "-"


def test_three_seeds_give_the_t_interval_of_their_mean_and_two_none():
    c = segnet_runs((0.40, (0.38, 0.42)), (0.42, (0.40, 0.44)), (0.44, (0.42, 0.46)))
    half = 4.302652729911275 * 2.0 / math.sqrt(3)  # t(0.975, 2 degrees of freedom) x std / sqrt(n); std of 40, 42, 44
    assert c.interval.loc["SegNet"].tolist() == pytest.approx([42 - half, 42 + half])
    assert c.paper_inside["SegNet"] is True
    assert row_cells(segnet_runs((0.40, (0.38, 0.42)), (0.42, (0.40, 0.44))))["mIoU 95 % interval"] == "-"
    frame = pd.read_csv(io.StringIO(render_csv(c)), index_col="Method")
    assert float(frame.at["SegNet", "mIoU low"]) == pytest.approx(42 - half, abs=0.01)  # "-" makes the column text
    assert (frame.at["SegNet", "paper inside"], frame.at["VGG UNet", "paper inside"]) == ("True", "-")
