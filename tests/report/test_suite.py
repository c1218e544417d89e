import itertools
import json
import os
import signal
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from segbench.errors import DataError
from segbench.paper import METHODS, PAPER_DIR, TABLES
from segbench.registry import DATASETS
from segbench.report import TABLE_FORMATS, figures
from segbench.report.suite import finished_runs, report
from segbench.rundir import CONFUSION, CURVES, RELIABILITY

SHARED_PAPER = Path(__file__).resolve().parents[3] / "shared" / "paper"  # beside the repository


def paper_layout(dataset: str) -> pd.DataFrame:
    """The paper's table from ../shared/paper when it is there (the source), else the project's copy."""
    folder = SHARED_PAPER if (SHARED_PAPER / TABLES[dataset].file).is_file() else PAPER_DIR
    return pd.read_csv(folder / TABLES[dataset].file)


def markdown_rows(text: str, header_word: str) -> list[dict[str, str]]:
    """The rows of the Markdown table whose header line holds ``header_word``, as {header: cell}."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and header_word in line)
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[start:]
             if line.startswith("|")]
    end = next((i for i, line in enumerate(lines[start:]) if not line.startswith("|")), len(lines) - start)
    return [dict(zip(cells[0], row)) for row in cells[2:end]]


def test_finished_runs_prefers_the_seed_folders_in_seed_order(tmp_path, fake_run):
    ious = [0.1] * 12
    for seed in (10, 2):
        fake_run(tmp_path / "camvid" / f"segnet-seed{seed}", "camvid", ious, seed=seed)
    fake_run(tmp_path / "camvid" / "segnet", "camvid", ious)  # the same config once more, without a seed
    fake_run(tmp_path / "camvid" / "vgg_unet", "camvid", ious)
    (tmp_path / "camvid" / "resnet50_unet").mkdir()  # started, not finished
    fake_run(tmp_path / "camvid" / "segnet-seed3-old", "camvid", ious)  # not a seed folder
    runs = finished_runs(tmp_path / "camvid")
    assert list(runs) == list(METHODS)
    assert [p.name for p in runs["segnet"]] == ["segnet-seed2", "segnet-seed10"]
    assert [p.name for p in runs["vgg_unet"]] == ["vgg_unet"]
    assert runs["resnet50_unet"] == [] and runs["psp_pretrained"] == []


def test_a_pretrained_run_is_not_marked_from_scratch(tmp_path, fake_run):
    results = tmp_path / "results"
    run = fake_run(results / "camvid" / "vgg_unet", "camvid", [0.5] * 12)
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["model"]["encoder_weights"] = "imagenet"
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    report("camvid", results, results, ["md"])
    md = (results / "camvid" / "table.md").read_text()
    assert "| VGG UNet " in md and "from scratch" not in md


def test_a_suite_of_reference_configs_reports_into_its_own_folder(tmp_path, fake_run):
    results = tmp_path / "reference"
    fake_run(results / "camvid-cpu" / "segnet-seed0", "camvid", [0.3] * 12)
    written = report("camvid-cpu", results, results, ["md"])
    assert results / "camvid-cpu" / "table.md" in written
    assert "1 of 6 rows are ours" in (results / "camvid-cpu" / "table.md").read_text()


def test_paper_suite_writes_three_tables_in_the_paper_layout(tmp_path, fake_run):
    results = tmp_path / "results"
    for dataset in TABLES:
        n = len(TABLES[dataset].headers)
        fake_run(results / dataset / "segnet-seed0", dataset, [0.2] * n, seed=0)
        fake_run(results / dataset / "segnet-seed1", dataset, [0.4] * n, seed=1)
        fake_run(results / dataset / "mobilenet_unet", dataset, [0.5] * n)
    written = report("paper", results, results, TABLE_FORMATS)
    for dataset in TABLES:
        folder = results / dataset
        for name in ("table.md", "table.csv", "table.tex", "figure.png", "figure.pdf", "README.md"):
            assert folder / name in written and (folder / name).stat().st_size > 0
        paper = paper_layout(dataset)
        ours = pd.read_csv(folder / "table.csv", na_values="-")
        # Exactly the paper's columns first, its six rows in its order, and its numbers beside ours.
        assert list(ours.columns[:len(paper.columns)]) == list(paper.columns)
        assert list(ours["Method"]) == list(paper["Method"])
        for column in paper.columns[1:]:
            assert ours[f"{column} paper"].tolist() == pytest.approx(paper[column].tolist())
        segnet = ours.set_index("Method").loc["SegNet"]
        assert (segnet["mIoU"], segnet["seeds"]) == (pytest.approx(30.0), 2)
        assert segnet["mIoU delta"] == pytest.approx(30.0 - paper.set_index("Method").at["SegNet", "mIoU"])
        assert ours.set_index("Method")["seeds"].tolist().count(0) == 4
        md = (folder / "table.md").read_text()
        rows = markdown_rows(md, "Method")
        assert list(rows[0])[:len(paper.columns)] == list(paper.columns)
        # The paper pretrained MobileNet UNet; this run had no encoder weights, so its row says so. Both rows ran at
        # a smoke recipe (fake_run's config.yaml), not the paper's, and say that too.
        marks = {"MobileNet UNet": " (from scratch; 64x96, subset 4)", "SegNet": " (64x96, subset 4)"}
        assert [row["Method"] for row in rows[::2]] == [m + marks.get(m, "") for m in paper["Method"]]
        assert ours.set_index("Method")["recipe"].to_dict()["SegNet"] == "64x96, subset 4"
        assert "not at the paper's recipe" in md
        assert ours.set_index("Method")["from scratch"].to_dict()["MobileNet UNet"]
        assert not ours.set_index("Method")["from scratch"].to_dict()["SegNet"]
        assert "MobileNet UNet: trained from scratch" in md
        assert {row["Method"] for row in rows[1::2]} == {"(paper)"}
        assert [row["mIoU"] for row in rows[1::2]] == [f"{v:.2f}" for v in paper["mIoU"]]
        assert "2 of 6 rows are ours" in md


def test_each_run_gets_its_curves_and_confusion_matrix(tmp_path, fake_run):
    run = fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8)
    written = report("suim", tmp_path, tmp_path / "out", ("md",))
    assert run / CURVES in written and run / CONFUSION in written
    for name in (CURVES, CONFUSION):
        assert (run / name).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "out" / "suim").iterdir()) == [".segbench-report.json", "README.md",
                                                                              "figure.pdf", "figure.png", "table.md"]


def test_report_into_a_folder_of_the_users_replaces_nothing_of_theirs(tmp_path, fake_run):
    """`--out` a folder holding the user's README.md, table.csv and beyond.csv: the first two were replaced and
    the third deleted. A report's own folder is written again as before."""
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8)
    mine = tmp_path / "mine" / "suim"
    mine.mkdir(parents=True)
    (mine / "README.md").write_text("my notes")
    with pytest.raises(DataError, match=r"mine/suim/README.md: there already and not written by segbench report"):
        report("suim", tmp_path, tmp_path / "mine", ("md",))
    assert sorted(p.name for p in mine.iterdir()) == ["README.md"]
    (mine / "README.md").unlink()
    (mine / "beyond.csv").write_text("my,csv")  # no row beyond the paper's: a name this report neither writes nor removes
    report("suim", tmp_path, tmp_path / "mine", ("md",))
    assert (mine / "beyond.csv").read_text() == "my,csv"
    assert report("suim", tmp_path, tmp_path / "mine", ("md", "csv"))  # its own files, replaced
    (mine / "notes.txt").write_text("mine")  # a name report does not write is left as it is
    report("suim", tmp_path, tmp_path / "mine", ("md",))
    assert (mine / "notes.txt").read_text() == "mine"


def test_a_users_file_of_a_name_report_did_not_write_is_kept(tmp_path, fake_run):
    """The claim named every file report could write: a user's beyond.csv and worst.pdf added after a report that
    wrote neither were deleted by the next as stale (probe 12 case 6)."""
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8, detailed=True, kept=("a",))
    out = tmp_path / "out" / "suim"
    report("suim", tmp_path, tmp_path / "out", ("md",))
    claimed = ["README.md", "figure.pdf", "figure.png", "table.md"]
    assert json.loads((out / ".segbench-report.json").read_text()) == claimed
    (out / "beyond.csv").write_text("my own beyond rows,1,2")
    (out / "worst.pdf").write_text("my worst notes")
    report("suim", tmp_path, tmp_path / "out", ("md",))
    assert (out / "beyond.csv").read_text() == "my own beyond rows,1,2"
    assert (out / "worst.pdf").read_text() == "my worst notes"
    assert json.loads((out / ".segbench-report.json").read_text()) == claimed
    (out / "worst.pdf").unlink()
    report("suim", tmp_path, tmp_path / "out", ("md",), worst=1)
    assert (out / "worst.png").exists()
    report("suim", tmp_path, tmp_path / "out", ("md",))  # an earlier report's worst figure: stale, removed
    assert not (out / "worst.png").exists() and (out / "beyond.csv").exists()
    assert json.loads((out / ".segbench-report.json").read_text()) == claimed


def test_a_table_of_a_format_not_asked_for_again_is_removed_as_stale(tmp_path, fake_run):
    """`--formats md` after a report of every format left table.csv and table.tex of other runs beside the new
    table.md (probe 17b case 13), and a killed write's .table.csv temporary stayed (case 15)."""
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8)
    out = tmp_path / "out" / "suim"
    report("suim", tmp_path, tmp_path / "out", ("md", "csv", "tex"))
    assert all((out / f"table.{fmt}").exists() for fmt in ("md", "csv", "tex"))
    left = out / ".table.segbench-tmp.k74jjcgo.csv"
    left.write_bytes(b"")
    report("suim", tmp_path, tmp_path / "out", ("md",))
    assert (out / "table.md").exists() and not (out / "table.csv").exists() and not (out / "table.tex").exists()
    assert not left.exists()

def test_a_killed_reports_temporaries_are_cleared_by_the_next(tmp_path, fake_run):
    """A SIGKILL while a figure was written left an empty .figure.segbench-tmp.<random>.pdf in the report folder,
    and no later report (nor --redraw) removed it (probe 15 case 18); temporaries of other names are left."""
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8, detailed=True, kept=("a",))
    out = tmp_path / "out" / "suim"
    out.mkdir(parents=True)
    left = [out / ".figure.segbench-tmp.k74jjcgo.pdf", out / ".worst.segbench-tmp.ggt5_nlg.png"]
    other = out / ".notes.segbench-tmp.abcdefgh.txt"  # no name a report writes
    for path in (*left, other):
        path.write_bytes(b"")
    run = tmp_path / "suim" / "segnet"  # and the plots it draws into each run folder (probe 16b case 4)
    left += [run / ".curves.segbench-tmp.088on386.png", run / ".confusion.segbench-tmp.aqo0dt5h.png",
             out / ".segbench-report.segbench-tmp.abcd1234.json"]  # its claim's: "..segbench-tmp." matched nothing
    for path in left[2:]:
        path.write_bytes(b"")
    report("suim", tmp_path, tmp_path / "out", ("md",), worst=1)
    assert not any(path.exists() for path in left) and other.exists()


def test_the_readme_links_the_runs_and_states_recipe_and_environment(tmp_path, fake_run):
    fake_run(tmp_path / "results" / "camvid" / "segnet", "camvid", [0.3] * 12)
    report("camvid", tmp_path / "results", tmp_path / "out", TABLE_FORMATS)
    readme = (tmp_path / "out" / "camvid" / "README.md").read_text()
    for link in ("(table.md)", "(table.csv)", "(table.tex)", "(figure.png)", "(figure.pdf)",
                 "(../../results/camvid/segnet/)", "(../../results/camvid/segnet/curves.png)"):
        assert link in readme
    [row] = markdown_rows(readme, "optimiser")
    assert (row["Method"], row["input"], row["optimiser"], row["lr"]) == ("SegNet", "64x96", "adam", "0.0005")
    assert (row["batch"], row["epochs (scored)"], row["subset"]) == ("8", "3 (2)", "4")
    assert row["schedule"] == "poly 0.9, warm-up 1 epoch"
    assert (row["backend"], row["Keras"], row["devices"]) == ("tensorflow", "3.15.1", "cpu:0")


def test_a_dataset_without_runs_gets_a_table_of_dashes_and_no_figure(tmp_path):
    folder = tmp_path / "results" / "sitting"
    folder.mkdir(parents=True)
    (folder / "figure.png").write_bytes(b"from an earlier report")
    written = report("sitting", tmp_path / "results", tmp_path / "results", TABLE_FORMATS)
    assert not (folder / "figure.png").exists()
    assert sorted(p.name for p in written) == ["README.md", "table.csv", "table.md", "table.tex"]
    assert "0 of 6 rows are ours" in (folder / "table.md").read_text()
    assert "there is no figure" in (folder / "README.md").read_text()


def test_a_missing_results_folder_is_named(tmp_path):
    with pytest.raises(DataError, match="nope: no such folder"):
        report("camvid", tmp_path / "nope", tmp_path, TABLE_FORMATS)


def test_redrawing_the_same_runs_gives_the_same_pdf_bytes(tmp_path, fake_run, monkeypatch):
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8)
    drawn = []
    for clock in ("1000000000", "2000000000"):  # two days' reports: matplotlib dates a PDF by this, else by now
        monkeypatch.setenv("SOURCE_DATE_EPOCH", clock)
        report("suim", tmp_path, tmp_path, ("md",))
        drawn.append((tmp_path / "suim" / "figure.pdf").read_bytes())
    assert drawn[0] == drawn[1]


def test_the_figure_shows_the_palette_colours_of_the_predictions(tmp_path, fake_run):
    palette = DATASETS.get("suim").palette
    fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8, prediction=2)  # all Plants/sea-grass
    fake_run(tmp_path / "suim" / "vgg_unet", "suim", [0.3] * 8, prediction=6, kept=("f1",))  # Fish
    report("suim", tmp_path, tmp_path, ("md",))
    pixels = cv2.cvtColor(cv2.imread(str(tmp_path / "suim" / "figure.png")), cv2.COLOR_BGR2RGB).reshape(-1, 3)
    share = {index: np.all(pixels == palette[index], axis=1).mean() for index in range(8)}
    assert share[2] > 3 * share[1]  # green: a whole prediction panel, and more than the one ground-truth stripe
    assert share[6] > 2 * share[1]  # yellow: one panel (VGG UNet kept f1 only)
    assert share[1] > 0  # blue (Human divers): a stripe of the ground truth and a legend patch


def test_the_figure_labels_a_from_scratch_row_as_the_table_does(tmp_path, fake_run, monkeypatch):
    seen = {}
    monkeypatch.setattr(figures, "qualitative", lambda title, classes, palette, columns, out, key: seen.update(
        labels=[label for label, _ in columns]) or [])
    results = tmp_path / "results"
    fake_run(results / "camvid" / "vgg_unet", "camvid", [0.5] * 12)
    fake_run(results / "camvid" / "segnet", "camvid", [0.4] * 12)
    report("camvid", results, results, ["md"])
    assert seen["labels"] == ["VGG UNet\n(from scratch; 64x96, subset 4)", "SegNet\n(64x96, subset 4)"]


def test_boundary_iou_ece_and_reliability_reach_the_report(tmp_path, fake_run):
    detailed = fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12, detailed=True)
    older = fake_run(tmp_path / "camvid" / "vgg_unet", "camvid", [0.5] * 12)  # finished before they were measured
    written = report("camvid", tmp_path, tmp_path, ("md", "csv"))
    assert detailed / RELIABILITY in written and (detailed / RELIABILITY).read_bytes().startswith(b"\x89PNG")
    assert not (older / RELIABILITY).exists()
    rows = {row["Method"].split(" (")[0]: row
            for row in markdown_rows((tmp_path / "camvid" / "table.md").read_text(), "ECE")}
    ece = json.loads((detailed / "metrics.json").read_text())["calibration"]["ece"]
    assert (rows["SegNet"]["Boundary mIoU"], rows["SegNet"]["ECE"]) == ("20.00", f"{100 * ece:.2f}")
    assert (rows["VGG UNet"]["Boundary mIoU"], rows["VGG UNet"]["ECE"]) == ("-", "-")
    csv = pd.read_csv(tmp_path / "camvid" / "table.csv", index_col="Method")
    assert (csv.at["SegNet", "Boundary mIoU"], csv.at["VGG UNet", "ECE"]) == ("20.00", "-")
    readme = (tmp_path / "camvid" / "README.md").read_text()
    assert "(segnet/reliability.png)" in readme and "(vgg_unet/reliability.png)" not in readme


def test_worst_k_draws_each_rows_worst_images_and_zero_removes_them(tmp_path, fake_run, monkeypatch):
    fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12, detailed=True, kept=("a", "b", "c"))
    fake_run(tmp_path / "camvid" / "vgg_unet", "camvid", [0.5] * 12)  # kept no worst images
    seen = {}
    draw = figures.worst
    monkeypatch.setattr(figures, "worst", lambda *args: seen.update(args=args) or draw(*args))
    written = report("camvid", tmp_path, tmp_path, ("md",), worst=2)
    assert tmp_path / "camvid" / "worst.png" in written
    [(method, kept)] = seen["args"][4]
    assert method == "SegNet\n(64x96, subset 4)" and list(kept) == ["01-a", "02-b", "03-c"] and seen["args"][6] == 2
    readme = (tmp_path / "camvid" / "README.md").read_text()
    assert "## Where the models fail" in readme and "(worst.png)" in readme
    report("camvid", tmp_path, tmp_path, ("md",))
    assert not (tmp_path / "camvid" / "worst.png").exists()
    assert "Where the models fail" not in (tmp_path / "camvid" / "README.md").read_text()


def test_an_images_own_miou_labels_its_row():
    label = np.zeros((4, 6), np.uint8)
    label[:, 3:] = 1
    wrong = label.copy()
    wrong[:, 3] = 0  # class 1: 8 of 12 right; class 0: 12 of 16
    assert figures.image_miou(label, wrong, 2, None) == pytest.approx((12 / 16 + 8 / 12) / 2)
    assert figures.image_miou(label, label, 12, 11) == 1.0  # classes absent from both leave the mean


def test_a_run_at_the_papers_recipe_is_not_marked(tmp_path, fake_run):
    """configs/camvid/segnet.yaml: 352x480, 60 epochs, batch 8, lr 5e-4, the whole split."""
    run = fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12)
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["dataset"]["subset"] = None
    config["model"]["input_size"] = [352, 480]
    config["train"]["epochs"] = 60
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    report("camvid", tmp_path, tmp_path, ("md",))
    rows = markdown_rows((tmp_path / "camvid" / "table.md").read_text(), "Method")
    assert "SegNet" in [row["Method"] for row in rows] and "not at the paper's recipe" not in \
        (tmp_path / "camvid" / "table.md").read_text()
    config["train"]["epochs"] = 40
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    report("camvid", tmp_path, tmp_path, ("md",))
    assert "SegNet (40 epochs)" in (tmp_path / "camvid" / "table.md").read_text()
    config["train"]["epochs"] = 1
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    report("camvid", tmp_path, tmp_path, ("md",))
    assert "SegNet (1 epoch)" in (tmp_path / "camvid" / "table.md").read_text()


def test_the_report_says_what_it_found_and_what_it_skipped(tmp_path, fake_run, capsys):
    fake_run(tmp_path / "camvid" / "segnet-seed0", "camvid", [0.4] * 12)
    fake_run(tmp_path / "camvid" / "segnet-seed1", "camvid", [0.4] * 12, seed=1)
    fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12)  # a seed again, beside the seed folders
    fake_run(tmp_path / "camvid" / "my_segnet", "camvid", [0.4] * 12)  # named after no row: beyond the paper's
    fake_run(tmp_path / "camvid" / "on_suim", "suim", [0.4] * 8)
    report("camvid", tmp_path, tmp_path, ("md",))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{tmp_path / 'camvid'}: 1 of 6 rows of Table 1 have finished runs: segnet (2 runs)"
    assert err[1] == f"{tmp_path / 'camvid'}: beyond the paper's rows: my_segnet (1 run)"
    assert sorted(err[2:]) == [
        f"skipped {tmp_path / 'camvid' / 'on_suim'}: a suim run with other classes than Table 1's",
        (f"skipped {tmp_path / 'camvid' / 'segnet'}: the segnet row takes its seed folders segnet-seed<k>, and "
         "this run would repeat a seed")]
    report("sitting", tmp_path, tmp_path, ("md",))
    assert "0 of 6 rows of Table 2 have finished runs (none: run `segbench sweep`" in capsys.readouterr().err


def test_the_figures_credit_the_datasets_frames(tmp_path, fake_run):
    fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12, detailed=True)
    report("camvid", tmp_path, tmp_path, ("md",), worst=1)
    readme = (tmp_path / "camvid" / "README.md").read_text()
    assert readme.count("Frames and labels: CamVid (Brostow, Fauqueur and Cipolla, 2009)") == 2  # both figures
    assert "CC BY-NC 4.0" in readme


def test_long_method_names_wrap_so_that_no_column_header_runs_into_the_next(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(figures.plt, "close", drawn.append)
    image = np.zeros((36, 48, 3), np.uint8)
    kept = {"frame": {"input": image, "label": image[..., 0], "pred": image[..., 0]}}
    recipe = "(from scratch; 192x256, 40 epochs, batch 4, lr 0.001)"
    columns = [(f"{name}\n{recipe}", kept) for name in ("MobileNet UNet", "ResNet50 UNet", "ResNet50 PSPNet")]
    figures.qualitative("t", ["a", "b"], [(0, 0, 0), (9, 9, 9)], columns, tmp_path / "figure")
    [fig] = drawn
    renderer = fig.canvas.get_renderer()
    boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes[:5]]
    assert all(left.x1 < right.x0 for left, right in itertools.pairwise(boxes))
    assert [ax.title.get_text().splitlines()[0] for ax in fig.axes[2:5]] == [
        method.splitlines()[0] for method, _ in columns]  # the name on its own line, the recipe wrapped below


def test_a_worst_row_label_stays_beside_its_own_row(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(figures.plt, "close", drawn.append)
    method = "ResNet50 PSPNet\n(from scratch; 192x256, 40 epochs, batch 4)"
    for height in (27, 20):  # frames wider than CamVid's (9:16, 5:12): low rows for a long label
        image = np.zeros((height, 48, 3), np.uint8)
        kept = {f"0{rank}-Seq05VD_f0{rank}610": {"input": image, "label": image[..., 0], "pred": image[..., 0]}
                for rank in (1, 2)}
        figures.worst("t", ["a", "b"], [(0, 0, 0), (9, 9, 9)], None, [(method, kept)], tmp_path / "worst", 2)
        fig = drawn.pop()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes[:6:3]:  # each row's first panel, which carries the row's label up its side
            label, panel = ax.yaxis.label.get_window_extent(renderer), ax.get_window_extent(renderer)
            assert panel.y0 <= label.y0 and label.y1 <= panel.y1  # not into the label of the row above or below
            assert "mIoU" in ax.yaxis.label.get_text()


def test_a_run_of_another_model_in_a_rows_folder_is_refused(tmp_path, fake_run):
    """A SegNet run copied (or run) into camvid/vgg_unet/ was shown as the VGG UNet row, its difference taken from
    the paper's VGG UNet; only the README's run listing showed the model."""
    results = tmp_path / "results"
    run = fake_run(results / "camvid" / "vgg_unet", "camvid", [0.5] * 12)
    config = yaml.safe_load((run / "config.yaml").read_text())
    (run / "config.yaml").write_text(yaml.safe_dump({**config, "model": {**config["model"], "name": "segnet"}}))
    with pytest.raises(DataError, match=r"vgg_unet: a run of segnet in the folder of the paper's VGG UNet row, whose "
                                        r"model is vgg_unet; move it to a folder of its own name"):
        report("camvid", results, results, ["md"])


def test_a_history_that_is_no_regular_file_is_one_line_not_a_hang(tmp_path, fake_run):
    """A FIFO as a finished run's history.csv hung `report` for good (probe 12 case 30): curves.py read it with pandas
    directly."""
    run = fake_run(tmp_path / "suim" / "segnet", "suim", [0.3] * 8)
    (run / "history.csv").unlink()
    os.mkfifo(run / "history.csv")
    signal.alarm(20)  # fail rather than hang
    try:
        with pytest.raises(DataError, match=r"^.*segnet/history.csv: cannot be read \(it is a FIFO \(a named pipe\), "
                                            r"not a file\); a run's curves are drawn from it"):
            report("suim", tmp_path, tmp_path / "out", ("md",))
    finally:
        signal.alarm(0)


def test_the_committed_reference_reports_figures_are_current(tmp_path):
    """A change of the drawing code left the committed figures' digests behind: a plain `report` over them on a
    fresh checkout redrew 28 PNGs (8.6 s, not the README's second) and git showed them modified (probe 17d case
    17). Redraw them with `make reference-cpu`'s report line, and commit them, when this fails."""
    import shutil

    committed = Path(__file__).resolve().parents[2] / "results" / "reference"
    shutil.copytree(committed, tmp_path / "reference", symlinks=True)
    before = {path: path.read_bytes() for path in (tmp_path / "reference").rglob("*.png")}
    report("camvid-cpu", tmp_path / "reference", tmp_path / "reference", ("md", "csv", "tex"), worst=3)
    redrawn = sorted(str(path.relative_to(tmp_path)) for path, data in before.items() if path.read_bytes() != data)
    assert redrawn == []


def test_a_report_that_stops_on_a_figure_s_input_leaves_the_earlier_tables(tmp_path, fake_run):
    """Probe 21b case 7: a kept worst image deleted stopped `report --worst 2` in one line, but only after table.md
    and table.csv had been written over with this report's, beside the earlier report's figures."""
    run = fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.4] * 12, detailed=True, kept=("a", "b", "c"))
    report("camvid", tmp_path, tmp_path, ("md", "csv"), worst=2)
    tables = {fmt: tmp_path / "camvid" / f"table.{fmt}" for fmt in ("md", "csv")}
    for fmt, path in tables.items():
        path.write_text(f"the earlier report's {fmt} table\n")
    fake_run(tmp_path / "camvid" / "vgg_unet", "camvid", [0.5] * 12)  # a row more: the tables would change
    worst = min((run / "predictions" / "worst").glob("*input*"))
    worst.unlink()
    with pytest.raises(DataError, match=rf"{worst.name}: "):
        report("camvid", tmp_path, tmp_path, ("md", "csv"), worst=2)
    assert {fmt: path.read_text() for fmt, path in tables.items()} == {
        fmt: f"the earlier report's {fmt} table\n" for fmt in tables}
