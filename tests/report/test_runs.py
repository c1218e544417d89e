import pytest
from helpers import write_metrics

from segbench.errors import DataError
from segbench.report.runs import render, runs_tables
from segbench.rundir import find_runs


def fake_run(folder, seed, miou, model="segnet", **fields):
    write_metrics(folder, ["bg", "fg"], [miou, miou], model=model, seed=seed, epochs=3, pixel_accuracy=0.9,
                  standard={"miou": miou + 0.1}, num_images=24, **fields)
    (folder / "config.yaml").write_text(f"model: {{name: segnet, input_size: [32, 48]}}\ntrain: {{seed: {seed}}}\n")
    return folder


def test_one_row_per_run_and_mean_std_over_the_seeds_of_a_config(tmp_path):
    fake_run(tmp_path / "a-seed0", 0, 0.5)
    fake_run(tmp_path / "a-seed1", 1, 0.7)
    fake_run(tmp_path / "b-seed0", 0, 0.4)  # same model, another config: not averaged with a
    fake_run(tmp_path / "c", 0, 0.3, model="other")
    (tmp_path / "unfinished").mkdir()
    table = runs_tables(find_runs([tmp_path])[0])["synthetic"]
    assert len(table) == 5  # four runs and one mean row (b and c, alone, get none)
    mean = table[table["run"].str.endswith("mean ± std of 2")].iloc[0]
    assert mean["run"] == f"{tmp_path / 'a'}: mean ± std of 2"
    assert mean["model"] == "segnet"
    assert mean["mIoU"] == "60.00 ± 14.14"
    assert mean["mIoU (standard)"] == "70.00 ± 14.14"
    assert table.iloc[0]["fg"] == "50.00"


def test_a_figure_some_seeds_lack_is_no_mean_of_the_others(tmp_path):
    reliability = {"lower": [0.0], "pixels": [10], "confidence": [0.9], "accuracy": [0.9]}
    calibration = {"ece": 0.02, "nll": 1.0, "bins": 1, "pixels": 10, "reliability": reliability}
    fake_run(tmp_path / "a-seed0", 0, 0.5)  # finished before Boundary IoU and ECE were measured
    fake_run(tmp_path / "a-seed1", 1, 0.7, boundary_miou=0.3, calibration=calibration)
    fake_run(tmp_path / "b-seed0", 0, 0.4)
    fake_run(tmp_path / "b-seed1", 1, 0.6)  # neither has them
    table = runs_tables(find_runs([tmp_path])[0])["synthetic"].set_index("run")
    assert table.loc[str(tmp_path / "a-seed1"), "Boundary mIoU"] == "30.00"
    for name in ("a", "b"):
        mean = table.loc[f"{tmp_path / name}: mean ± std of 2"]
        assert (mean["Boundary mIoU"], mean["ECE"]) == ("-", "-")
        assert mean["mIoU"] != "-"


def test_markdown_and_csv(tmp_path):
    fake_run(tmp_path / "a", 0, 0.5)
    tables = runs_tables(find_runs([tmp_path])[0])
    assert "| run" in render(tables, "md")
    assert render(tables, "csv").splitlines()[0].startswith("run,model,input,images,seed,epochs,mIoU")
    row = tables["synthetic"].iloc[0]
    assert (row["input"], row["images"]) == ("32x48", "24")  # what a row is: a smoke run shows as one


def test_a_foreign_json_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.yaml").write_text("model: {name: segnet}\n")
    (tmp_path / "x" / "metrics.json").write_text('{"accuracy": 1}')
    with pytest.raises(DataError, match=r"x/metrics.json: not a segbench metrics file \(missing dataset, model, split"):
        runs_tables(find_runs([tmp_path])[0])
    (tmp_path / "x" / "metrics.json").write_text('{"miou": ')
    with pytest.raises(DataError, match=r"x/metrics.json: cannot be read"):
        runs_tables(find_runs([tmp_path])[0])


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        find_runs([tmp_path / "nope"])[0]


def test_a_run_with_intervals_shows_them_beside_its_figures(tmp_path):
    per_class = [[0.4, 0.6]] * 2
    with_ci = fake_run(tmp_path / "a", 0, 0.5, intervals={
        "level": 0.95, "method": "percentile bootstrap over test images", "resamples": 2000, "seed": 0,
        "paper": {"miou": [0.45, 0.55], "fiou": [0.4, 0.6], "pixel_accuracy": [0.88, 0.92], "per_class_iou": per_class},
        "standard": {"miou": [0.55, 0.65], "fiou": [0.5, 0.7], "pixel_accuracy": [0.88, 0.92],
                     "per_class_iou": per_class}})
    fake_run(tmp_path / "b", 0, 0.3)  # written before intervals existed
    table = runs_tables(find_runs([tmp_path])[0])["synthetic"].set_index("run")
    shown = table.loc[str(with_ci)]
    assert (shown["mIoU"], shown["fIoU"], shown["pixel acc"], shown["mIoU (standard)"]) == (
        "50.00 [45.0, 55.0]", "50.00 [40.0, 60.0]", "90.00 [88.0, 92.0]", "60.00 [55.0, 65.0]")
    assert shown["fg"] == "50.00" and table.loc[str(tmp_path / "b"), "mIoU"] == "30.00"
    assert "interval over test images" in render({"synthetic": table.reset_index()})


def test_a_metrics_file_without_a_config_beside_it_is_skipped_and_named(tmp_path):
    fake_run(tmp_path / "runs" / "a", 0, 0.5)
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "metrics.json").write_text('{"confusion_matrix": {"seconds": 1}}')  # a benchmark's
    runs, skipped = find_runs([tmp_path])
    assert runs == [tmp_path / "runs" / "a"] and skipped == [tmp_path / "bench" / "metrics.json"]


def test_the_caption_says_what_the_standard_mean_leaves_out_of_each_dataset(tmp_path):
    fake_run(tmp_path / "a", 0, 0.5, dataset="suim")  # SUIM has no void class
    fake_run(tmp_path / "b", 0, 0.5, dataset="camvid", ignore_index=1)
    text = render(runs_tables(find_runs([tmp_path])[0]))
    assert ("suim (IoU in %; mIoU (standard) leaves out only the classes absent from both labels and predictions "
            "(suim has no void class); ") in text
    assert ("camvid (IoU in %; mIoU (standard) leaves out the void class (fg) and the classes absent from both "
            "labels and predictions; ") in text
