"""Rows beyond the paper's table: runs named after no paper row, with their intervals and their paired difference
to the best of our runs from scratch of the paper's rows."""

import pandas as pd
import yaml

from segbench.paper import METHODS
from segbench.report.beyond import best_row, said
from segbench.report.paired import compare_runs
from segbench.report.suite import report
from tests.report.test_suite import markdown_rows

IMAGES = 20


def with_epochs(run, epochs):
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["train"]["epochs"] = epochs
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    return run


def test_a_run_named_after_no_row_gets_a_table_of_its_own_with_its_difference_to_the_best_row(tmp_path, fake_run):
    folder = tmp_path / "camvid"
    for seed in (0, 1, 2):
        fake_run(folder / f"segnet-seed{seed}", "camvid", [0.5] * 12, seed=seed, per_image=IMAGES)
    fake_run(folder / "vgg_unet", "camvid", [0.3] * 12, seed=5, per_image=IMAGES)
    with_epochs(fake_run(folder / "resnet50_deeplabv3plus", "camvid", [0.4] * 11 + [0.2], seed=7,
                         per_image=IMAGES), 12)
    fake_run(folder / "mine", "camvid", [0.45] * 12, seed=8, per_image=IMAGES - 1)  # scored on other images

    written = report("camvid", tmp_path, tmp_path, ("md", "csv", "tex"))

    assert {folder / f"beyond.{fmt}" for fmt in ("md", "csv", "tex")} <= set(written)
    rows = {row["Method"]: row for row in markdown_rows((folder / "beyond.md").read_text(), "Method")}
    # The best row from scratch is SegNet (50 against VGG UNet's 30), and the difference is compare's.
    versus = "mIoU vs SegNet"
    assert list(rows) == ["mine", "resnet50_deeplabv3plus (64x96, 12 epochs, subset 4)"]  # as its paper config differs
    deeplab = rows["resnet50_deeplabv3plus (64x96, 12 epochs, subset 4)"]
    judged = compare_runs(folder / "resnet50_deeplabv3plus", folder / "segnet")["paper"]["miou"]
    low, high = judged["interval"]
    assert deeplab[versus] == (f"{100 * judged['difference']:+.2f} [{100 * low:+.2f}, {100 * high:+.2f}], "
                               f"{said(judged['verdict'])}")
    assert deeplab["mIoU"] == "38.33" and deeplab["misc"] == "20.00" and deeplab["seeds"] == "1"
    assert rows["mine"][versus] == "-"  # no pairing across different test images
    assert "SegNet" in (folder / "beyond.md").read_text().split("\n\n")[1]  # the caption names the reference

    csv = pd.read_csv(folder / "beyond.csv", index_col="run", na_values="-")
    assert csv.at["resnet50_deeplabv3plus", "vs"] == "SegNet"
    assert csv.at["resnet50_deeplabv3plus", "vs difference"] == round(100 * judged["difference"], 2)
    assert "tab:camvid-beyond" in (folder / "beyond.tex").read_text()

    readme = (folder / "README.md").read_text()
    assert "## Beyond the paper's table" in readme and "[beyond.md](beyond.md)" in readme
    assert "[resnet50_deeplabv3plus](resnet50_deeplabv3plus/)" in readme  # its recipe row among the runs'
    assert (folder / "resnet50_deeplabv3plus" / "curves.png").is_file()
    # The paper's table is unchanged by them.
    assert "mine" not in (folder / "table.md").read_text()


def test_without_such_runs_an_earlier_beyond_table_is_removed(tmp_path, fake_run):
    folder = tmp_path / "camvid"
    fake_run(folder / "segnet", "camvid", [0.5] * 12, per_image=IMAGES)
    extra = fake_run(folder / "mine", "camvid", [0.4] * 12, per_image=IMAGES)
    report("camvid", tmp_path, tmp_path, ("md",))
    assert (folder / "beyond.md").is_file()
    (extra / "metrics.json").unlink()  # no longer a finished run
    report("camvid", tmp_path, tmp_path, ("md",))
    assert not (folder / "beyond.md").exists()
    assert "Beyond the paper" not in (folder / "README.md").read_text()


def test_the_figure_shows_the_rows_beyond_the_papers_after_them(tmp_path, fake_run, monkeypatch):
    from segbench.report import figures

    drawn = {}
    monkeypatch.setattr(figures, "qualitative", lambda title, classes, palette, columns, out, key:
                        drawn.setdefault("labels", [label for label, _ in columns]) and [])
    fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.5] * 12)
    fake_run(tmp_path / "camvid" / "mine", "camvid", [0.4] * 12)
    report("camvid", tmp_path, tmp_path, ("md",))
    assert drawn["labels"] == ["SegNet\n(64x96, subset 4)", "mine"]


def test_the_verdict_is_said_from_the_rows_side():
    assert [said(v) for v in ("A better", "B better", "not distinguishable at 95 %")] == [
        "better", "worse", "not distinguishable"]


def test_the_reference_is_the_best_row_from_scratch():
    runs = {stem: [] for stem in METHODS}
    runs.update(segnet=["a"], vgg_unet=["b"], mobilenet_unet=["c"])
    mean = pd.Series({METHODS[stem]: float("nan") for stem in METHODS})
    mean.update(pd.Series({"SegNet": 40.0, "VGG UNet": 45.0, "MobileNet UNet": 60.0}))
    assert best_row(mean, runs, ["segnet", "vgg_unet"]) == "vgg_unet"  # MobileNet UNet was pretrained
    assert best_row(mean, runs, []) is None
