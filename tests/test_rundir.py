"""metrics.json through one schema: every committed run reads, a malformed file is named in one line, and what the
writer gives the reader comes back whole."""

import json
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import write_metrics

from segbench.data.base import Sample
from segbench.errors import DataError
from segbench.rundir import find_runs, read_metrics, read_per_image, write_per_image
from segbench.rundir import write_metrics as write_checked

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = find_runs([ROOT / "results"])[0]


def test_runs_are_committed():
    assert len(COMMITTED) >= 3  # results/reference/camvid-cpu/*, one of them from before boundary and calibration


@pytest.mark.parametrize("run", COMMITTED, ids=lambda run: f"{run.parent.name}/{run.name}")
def test_every_committed_run_reads_and_rewrites_unchanged(run, tmp_path):
    raw = json.loads((run / "metrics.json").read_text())
    assert read_metrics(run) == raw  # nothing lost, nothing added, nothing retyped
    write_checked(tmp_path, raw)
    assert json.loads((tmp_path / "metrics.json").read_text()) == raw


def test_the_writer_keeps_every_key_of_an_older_run_and_unknown_ones(tmp_path):
    older = json.loads((ROOT / "results" / "reference" / "camvid-cpu" / "segnet-seed0" / "metrics.json").read_text())
    assert "calibration" not in older and "config_sha256" not in older  # written before segbench recorded them
    newer = {**older, "ignore_index": None, "from_a_newer_segbench": {"figure": 1}}
    assert write_checked(tmp_path, newer) == newer
    assert read_metrics(tmp_path) == newer  # a None the run wrote stays written, an unknown key is kept


@pytest.mark.parametrize(("change", "said"), [
    ({"miou": "0.41"}, "miou: Input should be a valid number"),
    ({"miou": 41.2}, "miou: Input should be less than or equal to 1"),
    ({"standard": {"miou": 0.4}}, "standard.protocol"),
    ({"confusion_matrix": [[1, 2], [3, 4]]}, "confusion_matrix is not 3x3 for 3 classes (2 rows of 2)"),
    ({"confusion_matrix": [[1, 2, 3], [3, 4], [5, 6, 7]]}, "(3 rows of 2, 3)"),
    ({"per_class_iou": [0.5, 0.5]}, "per_class_iou has 2 entries for 3 classes"),
    ({"classes": "abc"}, "classes: Input should be a valid list"),
])
def test_a_malformed_file_is_named_in_one_line(tmp_path, change, said):
    good = write_metrics(tmp_path, ["a", "b", "c"], [0.5] * 3)
    (tmp_path / "metrics.json").write_text(json.dumps({**good, **change}))
    with pytest.raises(DataError) as raised:
        read_metrics(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'metrics.json'}: not a segbench metrics file (") and said in message
    assert "\n" not in message


def test_missing_keys_are_listed(tmp_path):
    good = write_metrics(tmp_path, ["a", "b"], [0.5] * 2)
    (tmp_path / "metrics.json").write_text(json.dumps({k: v for k, v in good.items() if k not in ("miou", "classes")}))
    with pytest.raises(DataError, match=r"metrics.json: not a segbench metrics file \(missing classes, miou\)$"):
        read_metrics(tmp_path)


def test_the_writer_refuses_what_the_readers_would(tmp_path):
    good = write_metrics(tmp_path / "good", ["a", "b"], [0.5] * 2)
    with pytest.raises(DataError, match=r"bad/metrics.json: not a segbench metrics file \(pixel_accuracy: Input"):
        write_checked(tmp_path / "bad", {**good, "pixel_accuracy": None})
    assert not (tmp_path / "bad" / "metrics.json").exists()


def test_per_image_arrays_name_each_image_by_its_file_name(tmp_path):
    # The full id is this machine's path; a run folder moved to another machine must still pair image by image. The
    # table a user reads names them as predictions/ and predict do: without the suffix.
    samples = [Sample(id="/data/camvid/test/0001TP_008550.png"), Sample(id="/elsewhere/Seq05VD_f00000.png")]
    matrices = np.zeros((2, 3, 3), np.uint32)
    matrices[0, 0, 0] = matrices[1, 1, 1] = 5
    scored = {"per_image": matrices, "boundary": np.zeros((2, 3, 3), np.uint32),
              "confidence": np.zeros((2, 15, 3)), "nll": np.zeros(2)}
    write_per_image(tmp_path, samples, scored, ignore_index=2)
    assert list(read_per_image(tmp_path)["ids"]) == ["0001TP_008550.png", "Seq05VD_f00000.png"]
    assert set(pd.read_csv(tmp_path / "per_image.csv")["image"]) == {"0001TP_008550", "Seq05VD_f00000"}


@pytest.mark.parametrize("cut", [0, 500])
def test_a_truncated_per_image_file_is_one_line(tmp_path, cut):
    """An empty or cut-short confusion_per_image.npz (a copy interrupted) ended `compare` in numpy's EOFError or
    zipfile's BadZipFile traceback."""
    samples = [Sample(id=f"{i}.png") for i in range(2)]
    scored = {"per_image": np.ones((2, 3, 3), np.uint32), "boundary": np.zeros((2, 3, 3), np.uint32),
              "confidence": np.zeros((2, 15, 3)), "nll": np.zeros(2)}
    write_per_image(tmp_path, samples, scored, ignore_index=2)
    path = tmp_path / "confusion_per_image.npz"
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(DataError, match=r"confusion_per_image.npz: unreadable \("):
        read_per_image(tmp_path)


@pytest.mark.parametrize("damage", ["fractional", "negative", "flat", "one image short"])
def test_per_image_matrices_that_are_no_counts_are_called_damaged(tmp_path, damage):
    """Fractional counts (a tool that saved floats) were blamed on `compare`'s "scored other images", sending the
    user to look for another dataset root; the file is what is wrong, and it is named as damaged."""
    samples = [Sample(id=f"{i}.png") for i in range(2)]
    scored = {"per_image": np.ones((2, 3, 3), np.uint32), "boundary": np.zeros((2, 3, 3), np.uint32),
              "confidence": np.zeros((2, 15, 3)), "nll": np.zeros(2)}
    write_per_image(tmp_path, samples, scored, ignore_index=2)
    path = tmp_path / "confusion_per_image.npz"
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["matrices"] = {"fractional": arrays["matrices"] * 0.5, "negative": arrays["matrices"].astype(int) - 2,
                          "flat": arrays["matrices"].reshape(2, 9),
                          "one image short": arrays["matrices"][:1]}[damage]
    np.savez_compressed(path, **arrays)
    with pytest.raises(DataError, match=r"confusion_per_image.npz: damaged \(its matrices are not one confusion"):
        read_per_image(tmp_path)
    np.savez_compressed(path, **{**arrays, "matrices": np.ones((2, 3, 3), np.int64)})
    assert read_per_image(tmp_path)["matrices"].sum() == 18  # whole counts of another integer type still read


@pytest.mark.parametrize("kind", ["fifo", "endless"])
def test_a_metrics_file_that_is_no_regular_file_or_endless_is_one_line_not_a_hang(tmp_path, kind):
    """A FIFO named metrics.json blocked `results` and `run --out` for good; a link to /dev/zero was read until the
    machine ran out of memory, and the error named no file."""
    (tmp_path / "config.yaml").write_text("{}")
    path = tmp_path / "metrics.json"
    os.mkfifo(path) if kind == "fifo" else path.symlink_to("/dev/zero")
    signal.alarm(20)  # fail rather than hang
    try:
        said = r"a FIFO \(a named pipe\)" if kind == "fifo" else "a device"
        with pytest.raises(DataError, match=rf"metrics.json: cannot be read \(it is {said}, not a file\)"):
            read_metrics(tmp_path)
    finally:
        signal.alarm(0)


def test_a_metrics_file_larger_than_any_record_is_refused(tmp_path, monkeypatch):
    from segbench import io

    monkeypatch.setattr(io, "MAX_RECORD_BYTES", 100)
    (tmp_path / "metrics.json").write_text("{" + " " * 200 + "}")
    with pytest.raises(DataError, match=r"metrics.json: cannot be read \(larger than .* which no record of segbench"):
        read_metrics(tmp_path)


def test_a_run_named_twice_is_found_once(tmp_path):
    """`results runA runA` (or a folder and a run inside it) was refused as one seed counted twice."""
    for name in ("runA", "G/z-seed0"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "config.yaml").write_text("{}")
        (tmp_path / name / "metrics.json").write_text("{}")
    assert find_runs([tmp_path / "runA", tmp_path / "runA"])[0] == [tmp_path / "runA"]
    assert find_runs([tmp_path / "G", tmp_path / "G" / "z-seed0"])[0] == [tmp_path / "G" / "z-seed0"]


def test_a_run_killed_in_its_first_epoch_is_a_run_folder_by_its_config(tmp_path):
    """A run killed before its first checkpoint holds only the config.yaml it wrote: a dataset imitated into its
    eval/ was allowed, and went when the run started over. A config of the user's in a folder is no run's."""
    from segbench.io import write_yaml
    from segbench.rundir import run_folder_of

    run, own = tmp_path / "run", tmp_path / "mine"
    run.mkdir()
    own.mkdir()
    write_yaml(run / "config.yaml", {"dataset": {"name": "folder"}, "model": {"name": "segnet"}, "train": {},
                                     "eval": {}})
    (own / "config.yaml").write_text("# my experiment\ndataset: {name: folder}\nmodel: {name: segnet}\n")
    assert run_folder_of(run / "eval" / "mydata") == run.resolve()
    assert run_folder_of(own / "eval" / "mydata") is None
