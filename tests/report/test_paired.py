"""`segbench compare`: two real runs, compared on the test images both were scored on."""

import json

import pytest

from segbench.cli import main
from segbench.config import load_config
from segbench.engine.run import execute


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, smoke_config):
    out = tmp_path_factory.mktemp("compare")
    for name, epochs in (("short", 1), ("long", 4)):
        execute(load_config(smoke_config, [f"output.dir={out / name}", f"train.epochs={epochs}",
                                           "dataset.num_images={train: 16, val: 4, test: 12}"]))
    return out / "long", out / "short"


def test_compare_prints_each_difference_its_interval_and_a_verdict(two_runs, capsys):
    long, short = two_runs
    assert main(["compare", str(long), str(short)]) == 0
    text = capsys.readouterr().out
    assert f"A: {long}\nB: {short}\n12 test images, 2,000 paired resamples (seed 0)" in text
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ")}
    a, b = (json.loads((run / "metrics.json").read_text()) for run in two_runs)
    miou = rows["mIoU"]
    assert miou[1:4] == [f"{100 * a['miou']:.2f}", f"{100 * b['miou']:.2f}", f"{100 * (a['miou'] - b['miou']):+.2f}"]
    assert miou[5] in ("A better", "B better", "not distinguishable at 95 %")
    assert {"mIoU (standard)", "fIoU", "pixel acc", "IoU background", "IoU void"} <= rows.keys()


def test_a_run_against_itself_and_as_json(two_runs, capsys):
    long, _ = two_runs
    assert main(["compare", str(long), str(long), "--json", "--resamples", "100"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["resamples"] == 100 and found["images"] == 12
    assert found["paper"]["miou"] == {"difference": 0.0, "interval": [0.0, 0.0],
                                      "verdict": "not distinguishable at 95 %"}


def test_runs_on_other_images_do_not_compare(two_runs, tmp_path, smoke_config, capsys):
    long, _ = two_runs
    other = tmp_path / "other"
    execute(load_config(smoke_config, [f"output.dir={other}", "train.epochs=1"]))  # 4 test images, not 12
    assert main(["compare", str(long), str(other)]) == 2
    assert "scored other images than" in capsys.readouterr().err
    # The same names (synthetic/test/00000...) drawn from another seed: other images, which once compared.
    redrawn = tmp_path / "redrawn"
    execute(load_config(smoke_config, [f"output.dir={redrawn}", "train.epochs=1", "dataset.seed=3",
                                       "dataset.num_images={train: 16, val: 4, test: 12}"]))
    assert main(["compare", str(long), str(redrawn)]) == 2
    assert "redrawn: scored other images than" in capsys.readouterr().err
    (long / "confusion_per_image.npz").rename(tmp_path / "kept.npz")
    try:
        assert main(["compare", str(long), str(long)]) == 2
        assert "confusion_per_image.npz: missing; runs finished before" in capsys.readouterr().err
    finally:
        (tmp_path / "kept.npz").rename(long / "confusion_per_image.npz")


def test_seed_folders_are_pooled_by_their_name(two_runs, tmp_path, capsys):
    import shutil

    long, short = two_runs
    for seed, run in enumerate((long, short)):
        shutil.copytree(run, tmp_path / f"pair-seed{seed}")
    assert main(["compare", str(tmp_path / "pair"), str(long), "--resamples", "300"]) == 0
    text = capsys.readouterr().out
    assert f"A: {tmp_path / 'pair'} (mean of 2 seeds)\nB: {long}\n12 test images and the seeds (2 and 1)" in text
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ")}
    a, b = (json.loads((run / "metrics.json").read_text()) for run in two_runs)
    assert rows["mIoU"][1] == f"{100 * (a['miou'] + b['miou']) / 2:.2f}"
    assert rows["Boundary mIoU"][2] == f"{100 * a['boundary_miou']:.2f}"
    assert main(["compare", str(tmp_path / "pair"), str(long), "--json", "--resamples", "300"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["seeds"] == [2, 1] and found["runs"]["a"] == [str(tmp_path / f"pair-seed{s}") for s in (0, 1)]
    assert main(["compare", str(tmp_path / "none"), str(long)]) == 2
    assert "nor seed folders none-seed<k> beside it" in capsys.readouterr().err
