"""``segbench bench`` as a user meets it: one-line errors, and the figures it prints and writes."""

import json

import pytest
from PIL import Image

from segbench.bench import suite
from segbench.cli import main


def one_error_line(argv, capsys) -> str:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("segbench: error: "), lines
    return lines[0]


@pytest.mark.parametrize("argv, message", [
    (["bench", "model", "segnt"], "unknown model 'segnt' (did you mean 'segnet'?)"),
    (["bench", "model", "segnet", "--input-size", "90x128"], "multiples of 16"),
    (["bench", "model", "segnet", "--peer", "/nowhere/peer.json"], "/nowhere/peer.json: no such peer file"),
    (["bench", "loader", "camvd"], "unknown dataset 'camvd' (did you mean 'camvid'?)"),
    (["bench", "loader", "camvid", "--root", "/nowhere/camvid"], "/nowhere/camvid: no such folder"),
    (["bench", "loader", "synthetic", "--config", "/nowhere.yaml"], "/nowhere.yaml: no such config file"),
    (["bench", "suite", "--suite", "camvid", "--set", "train.epoch=1"], "unknown key 'train.epoch'"),
], ids=["model", "size", "peer", "dataset", "root", "config", "override"])
def test_bad_input_is_one_line(argv, message, capsys):
    assert message in one_error_line(argv, capsys)


def test_bench_model_end_to_end(cli):
    done = cli("bench", "model", "segnet", "--input-size", "32x32", "--batch", "2", "--steps", "2", "--repeats", "1",
               "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["model"] == "segnet" and result["input_size"] == [32, 32] and result["batch"] == 2
    for part in ("train", "infer"):
        assert result[part]["images_per_s"]["median"] > 0 and result[part]["steps"] == 2
    assert 0 < result["latency_ms"]["median"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["max"]
    assert result["parameters"] > 0 and result["flops_per_image"] > 0
    assert result["device"]["kind"] in ("cpu", "gpu") and result["backend"] in result["versions"]
    if result["device"]["kind"] == "cpu":
        assert result["utilisation"] == {"train": None, "infer": None} and result["peak_memory_bytes"] is None


def test_bench_loader_with_a_model(tmp_path, capsys):
    out = tmp_path / "loader.json"
    assert main(["bench", "loader", "synthetic", "--set", "num_images={train: 8, val: 2, test: 2}",
                 "--input-size", "32x48", "--batch", "2", "--workers", "0,2", "--epochs", "1",
                 "--model", "segnet", "--steps", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "synthetic train (8 images from datasets/synthetic) at 32x48, batch 2: HorizontalFlip" in printed
    result = json.loads(out.read_text())
    assert [row["workers"] for row in result["rows"]] == [0, 2]
    assert [row["kind"] for row in result["rows"]] == ["main process", "processes"]
    for row in result["rows"]:
        assert row["images_per_s"]["median"] > 0 and 0 <= row["data_wait"]["share"] <= 1
        assert row["data_wait"]["steps"] == 1  # 3 batches of 2: two warm-up steps, one timed


def test_bench_metrics_json(tmp_path, capsys):
    assert main(["bench", "metrics", "--size", "24x32", "--images", "2", "--repeats", "1", "--json",
                 "--out", str(tmp_path / "metrics.json")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "metrics.json").read_text()) and printed["ratio"] > 0


def test_bench_suite_writes_json_and_markdown(measured, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(suite, "measure_apart", lambda entry, *_: measured(entry["model"], batch=entry["batch"]))
    assert main(["bench", "suite", "--suite", "camvid", "--cpu", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith(f"{tmp_path / 'h200-jax.json'}\n{tmp_path / 'h200-jax.md'}")
    document = json.loads((tmp_path / "h200-jax.json").read_text())
    assert len(document["results"]) == 6 and document["overrides"] == list(suite.CPU_OVERRIDES)
    assert (tmp_path / "h200-jax.md").read_text().count("| camvid/") == 6


@pytest.mark.parametrize("argv, name", [
    (["deploy", "{run}", "--out", "{run}/metrics.json"], "metrics.json"),
    (["latency", "{run}", "--threads", "1", "--out", "{run}/history.csv"], "history.csv"),
    (["metrics", "--out", "{run}/eval/m.json"], "eval/m.json"),
    (["deploy", "{run}", "--out", "{elsewhere}/table.md"], "table.png"),  # its figure, a link to the run's curves
    (["suite", "--suite", "camvid", "--out", "{run}"], ""),
], ids=["deploy", "latency", "metrics", "figure", "suite"])
def test_an_out_in_a_run_folder_is_refused_before_anything_runs(argv, name, tmp_path, capsys):
    """`bench deploy --out RUN/metrics.json` and `bench latency --out RUN/history.csv` wrote over the run's own files
    (probe 12 case 15): results then refused the run."""
    run, elsewhere = tmp_path / "runD", tmp_path / "tables"
    (run / "eval").mkdir(parents=True)
    for file in ("config.yaml", "metrics.json", "history.csv", "curves.png"):
        (run / file).write_text(f"the run's {file}")
    elsewhere.mkdir()
    (elsewhere / "table.png").symlink_to(run / "curves.png")
    before = {path: path.read_text() for path in run.rglob("*") if path.is_file()}
    line = one_error_line(["bench", *(arg.format(run=run, elsewhere=elsewhere) for arg in argv)], capsys)
    said, kind = ("is", "folder") if not name else ("lies inside", "file")
    out = elsewhere / name if name == "table.png" else run / name if name else run
    assert line == (f"segbench: error: {out}: {said} the run folder {run}, whose files bench would write over; give "
                    f"--out a {kind} of its own")
    assert {path: path.read_text() for path in run.rglob("*") if path.is_file()} == before
    assert not (elsewhere / "table.md").exists()


def test_a_deploy_out_named_like_its_own_figure_is_refused(tmp_path, capsys):
    """`bench deploy --out x.png` wrote its table over its figure: "written: x.png, x.png", rc 0 (probe 17b case 7)."""
    line = one_error_line(["bench", "deploy", str(tmp_path / "no-run"), "--out", str(tmp_path / "x.PNG")], capsys)
    assert line == (f"segbench: error: {tmp_path / 'x.PNG'}: bench deploy's --out names its Markdown table (such as "
                    "x.md), whose figure goes beside it as NAME.png")
    assert not (tmp_path / "x.PNG").exists()

def test_a_users_file_where_the_deploy_figure_goes_is_refused_before_anything_runs(tmp_path, capsys):
    """`bench deploy --out X/img0.md` wrote its figure over a dataset's img0.png beside it (probe 15 case 21); a
    figure an earlier deploy drew there, shown by its table, is its own to replace."""
    photo = tmp_path / "img0.png"
    Image.new("RGB", (8, 8)).save(photo)
    before = photo.read_bytes()
    line = one_error_line(["bench", "deploy", str(tmp_path / "no-run"), "--out", str(tmp_path / "img0.md")], capsys)
    assert line == (f"segbench: error: {photo}: not a figure of bench deploy's, and the table {tmp_path / 'img0.md'} "
                    "would write its figure there; move it, or give --out another name")
    assert photo.read_bytes() == before and not (tmp_path / "img0.md").exists()
    # A user's notes that show their photo: no table of deploy's (the photo was replaced, rc 0: probe 16b case 2).
    (tmp_path / "img0.md").write_text("# my notes\n\n![my photo](img0.png)\n")
    assert "not a figure of bench deploy's" in one_error_line(
        ["bench", "deploy", str(tmp_path / "no-run"), "--out", str(tmp_path / "img0.md")], capsys)
    # An earlier table showing it, under the table's heading.
    (tmp_path / "img0.md").write_text("# Accuracy against latency on the CPU\n\n![mIoU against p50 latency](img0.png)\n")
    assert "not a figure of bench deploy's" not in one_error_line(
        ["bench", "deploy", str(tmp_path / "no-run"), "--out", str(tmp_path / "img0.md")], capsys)
