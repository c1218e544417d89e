"""`segbench compare`: two real runs, compared on the test images both were scored on."""

import json

import pytest
from helpers import edited_copy, reseeded

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


def test_a_run_name_holding_an_escape_or_a_line_break_is_shown_escaped(two_runs, tmp_path, capsys):
    """`A: runs/e<ESC>[31mf` coloured the terminal, and a NEL in a name broke the line (probe 16c case 2)."""
    import shutil

    long, short = two_runs
    odd = tmp_path / "e\x1b[31mf\x85g"
    shutil.copytree(long, odd)
    assert main(["compare", str(odd), str(short)]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\x85" not in text and f"A: {tmp_path}/e\\x1b[31mf\\x85g\n" in text


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


def test_a_per_image_file_not_of_its_scoring_is_refused(two_runs, tmp_path, capsys):
    """Another run's confusion_per_image.npz put in place: the table showed this run's mIoU and the difference was
    computed from the other's images (30.67 against 12.81 called a difference of +0.00)."""
    import shutil

    import numpy as np

    long, short = two_runs
    swapped = tmp_path / "swapped"
    shutil.copytree(long, swapped)
    with np.load(long / "confusion_per_image.npz") as saved:  # another model's: image 0 predicted otherwise
        arrays = {name: saved[name] for name in saved.files}
    arrays["matrices"][0] = arrays["matrices"][0][:, ::-1]
    np.savez(swapped / "confusion_per_image.npz", **arrays)
    assert main(["compare", str(swapped), str(short)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {swapped / 'confusion_per_image.npz'}: its images' confusion matrices do not add up to "
        "the one of metrics.json; not the per-image file of that scoring")


def test_seed_folders_are_pooled_by_their_name(two_runs, tmp_path, capsys):
    import shutil

    long, short = two_runs
    # A run and one of seed 1 (its copy, as a seed-1 run of the config would record itself).
    shutil.copytree(long, tmp_path / "pair-seed0")
    edited_copy(long, tmp_path / "pair-seed1", reseeded)
    assert main(["compare", str(tmp_path / "pair"), str(short), "--resamples", "300"]) == 0
    text = capsys.readouterr().out
    assert f"A: {tmp_path / 'pair'} (mean of 2 seeds)\nB: {short}\n12 test images and the seeds (2 and 1)" in text
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ")}
    a, b = (json.loads((run / "metrics.json").read_text()) for run in two_runs)
    assert rows["mIoU"][1] == f"{100 * a['miou']:.2f}"
    assert rows["Boundary mIoU"][2] == f"{100 * b['boundary_miou']:.2f}"
    assert main(["compare", str(tmp_path / "pair"), str(short), "--json", "--resamples", "300"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["seeds"] == [2, 1] and found["runs"]["a"] == [str(tmp_path / f"pair-seed{s}") for s in (0, 1)]
    # A run of another recipe in a seed folder was averaged into the mean (4 epochs and 1 as two seeds of one row).
    shutil.copytree(short, tmp_path / "pair-seed2")
    assert main(["compare", str(tmp_path / "pair"), str(short)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {tmp_path / 'pair-seed2'}: pooled as a seed of {tmp_path / 'pair-seed0'}, but a run of "
        "another config (train.epochs: 4 -> 1); give it a folder of its own name")
    assert main(["results", str(tmp_path)]) == 2
    assert "pair-seed2: pooled as a seed of" in capsys.readouterr().err
    # Seed 0 twice (a one-seed sweep's folder beside a later sweep's seed folders): one training counted as two.
    shutil.rmtree(tmp_path / "pair-seed2")
    shutil.copytree(long, tmp_path / "pair")
    assert main(["results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'pair-seed0'}: pooled as a seed of {tmp_path / 'pair'}, but of train.seed 0 as " in err
    assert main(["compare", str(tmp_path / "none"), str(long)]) == 2
    assert "nor seed folders none-seed<k> beside it" in capsys.readouterr().err


@pytest.mark.parametrize("record, value, said", [
    ("dataset_root", "/elsewhere/dsA", "dataset root: /here/dsA -> /elsewhere/dsA"),
    ("decoding_sha256", "0" * 64, "the labels' decoding (the class file's mapping, labels, palette or void colour)"),
    ("num_images", 11, "test split: 12 images -> 11"),
])
def test_seeds_of_one_config_scored_on_other_data_are_not_pooled(two_runs, tmp_path, capsys, record, value, said):
    """One config.yaml (a relative root run from two folders, a class file's mapping edited between seeds) scored
    other data: `results` averaged seed 0's `stripe` with seed 1's box region as one row."""
    import shutil

    from segbench.rundir import read_metrics, write_metrics

    long, _ = two_runs
    # The synthetic data is drawn in memory and records no root: one of folders is given to both.
    first = tmp_path / "pair-seed0"
    shutil.copytree(long, first)
    write_metrics(first, {**read_metrics(first), "dataset_root": "/here/dsA"})
    seeded = edited_copy(long, tmp_path / "pair-seed1", reseeded, **{"dataset_root": "/here/dsA", record: value})
    for verb in (["results", str(tmp_path)], ["compare", str(tmp_path / "pair"), str(long)]):
        assert main(verb) == 2
        assert capsys.readouterr().err.strip() == (
            f"segbench: error: {seeded}: pooled as a seed of {first}, but scored on other data ({said}); give it a "
            "folder of its own name")
    write_metrics(seeded, {**read_metrics(seeded), record: read_metrics(first)[record]})
    assert main(["results", str(tmp_path)]) == 0  # the same data: pooled


def test_a_seed_that_has_not_finished_is_named_beside_the_mean(two_runs, tmp_path, capsys):
    """Probe 22b case 18: with seed 2 of 3 still training, compare gave a verdict on 'mean of 2 seeds' and said
    nothing of the third (results names it unfinished)."""
    import shutil

    long, short = two_runs
    shutil.copytree(long, tmp_path / "pair-seed0")
    edited_copy(long, tmp_path / "pair-seed1", reseeded)
    (tmp_path / "pair-seed2").mkdir()
    shutil.copy(long / "config.yaml", tmp_path / "pair-seed2" / "config.yaml")  # started, no epoch done yet
    assert main(["compare", str(tmp_path / "pair"), str(short), "--resamples", "100"]) == 0
    captured = capsys.readouterr()
    assert "(mean of 2 seeds)" in captured.out
    assert captured.err.strip() == (f"note: {tmp_path / 'pair-seed2'}: unfinished (0 of 4 epochs done), left out of "
                                    "the mean of the seeds that finished")
