import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from segbench import bootstrap, boundary, calibration
from segbench.config import load_config
from segbench.engine import run as run_module
from segbench.engine.evaluate import evaluate
from segbench.engine.run import execute
from segbench.engine.train import Diverged, StopOnNonFiniteLoss
from segbench.errors import ConfigError, DataError
from segbench.io import temporary_prefix, write_yaml
from segbench.metrics import summarize
from segbench.precision import policy
from segbench.registry import DATASETS, MODELS
from segbench.rundir import CHECKPOINTS, read_metrics

NATIVE_PIXELS = 4 * 40 * 56  # four test images of 40x56 in the smoke config


@pytest.fixture(scope="module")
def finished(tmp_path_factory, smoke_config):
    out = tmp_path_factory.mktemp("run")
    cfg = load_config(smoke_config, [f"output.dir={out}"])
    assert execute(cfg) == out
    return cfg, out


def test_run_folder_holds_every_file_and_no_debris(finished):
    _, out = finished
    assert sorted(p.name for p in out.iterdir()) == ["best.weights.h5", "config.yaml", "confusion_per_image.npz",
                                                     "history.csv", "metrics.json", "model.weights.h5",
                                                     "per_image.csv", "predictions"]


def test_what_the_run_writes_reads_back_whole(finished):
    _, out = finished
    written = json.loads((out / "metrics.json").read_text())
    assert list(read_metrics(out).items()) == list(written.items())  # every key, its value and the file's order
    assert {"boundary", "calibration", "intervals", "config_sha256", "distribute", "environment"} <= written.keys()


def test_per_image_figures_worst_first(finished):
    _, out = finished
    table = pd.read_csv(out / "per_image.csv", dtype={"image": str})
    assert list(table.columns) == ["image", "miou", "pixel_accuracy", "boundary_miou", "ece"] and len(table) == 4
    assert table["miou"].is_monotonic_increasing
    with np.load(out / "confusion_per_image.npz") as saved:
        by_id = {key: dict(zip(saved["ids"], saved[key])) for key in ("matrices", "boundary", "confidence")}
    for row in table.itertuples():
        expected = summarize(by_id["matrices"][row.image], "standard", ignore_index=4)
        assert row.miou == pytest.approx(100 * expected["miou"], abs=0.005)
        assert row.pixel_accuracy == pytest.approx(100 * expected["pixel_accuracy"], abs=0.005)
        bands = boundary.summarize(by_id["boundary"][row.image], "standard", ignore_index=4)
        assert row.boundary_miou == pytest.approx(100 * bands["boundary_miou"], abs=0.005)
        assert row.ece == pytest.approx(100 * calibration.ece(by_id["confidence"][row.image]), abs=0.005)


def test_per_image_matrices_add_up_and_give_the_intervals(finished):
    _, out = finished
    m = json.loads((out / "metrics.json").read_text())
    with np.load(out / "confusion_per_image.npz") as saved:
        ids, matrices, bands, confidence, nll = (saved[key] if key != "ids" else list(saved[key])
                                                 for key in ("ids", "matrices", "boundary", "confidence", "nll"))
    assert len(set(ids)) == m["num_images"] == 4
    assert matrices.dtype == np.uint32 and matrices.sum(axis=0).tolist() == m["confusion_matrix"]
    assert [matrix.sum() for matrix in matrices] == [NATIVE_PIXELS // 4] * 4
    # Recomputed from the file alone, same seed.
    assert m["intervals"] == bootstrap.intervals(matrices, 4, boundary=bands, confidence=confidence)
    assert m["boundary_miou"] == boundary.summarize(bands.sum(axis=0), "paper", 4)["boundary_miou"]
    assert m["standard"]["boundary_miou"] == boundary.summarize(bands.sum(axis=0), "standard", 4)["boundary_miou"]
    assert m["calibration"] == calibration.summarize(confidence.sum(axis=0), float(nll.sum()))
    # Calibration is a standard-protocol figure: ground-truth void pixels (row 4) are not scored.
    void_pixels = int(np.array(m["confusion_matrix"])[4].sum())
    assert void_pixels > 0 and m["calibration"]["pixels"] == NATIVE_PIXELS - void_pixels
    assert 0 <= m["calibration"]["ece"] <= 1
    low, high = m["intervals"]["paper"]["boundary_miou"]
    assert low <= m["boundary_miou"] <= high
    low, high = m["intervals"]["paper"]["miou"]
    assert low <= high and m["intervals"]["level"] == 0.95


def test_metrics_are_exact_and_at_native_resolution(finished):
    _, out = finished
    m = json.loads((out / "metrics.json").read_text())
    for key in ("dataset", "model", "split", "classes", "confusion_matrix", "protocol", "per_class_iou", "miou",
                "fiou", "pixel_accuracy", "standard"):
        assert key in m
    assert (m["dataset"], m["model"], m["split"], m["protocol"]) == ("synthetic", "segnet", "test", "paper")
    assert m["classes"] == ["background", "disc", "box", "triangle", "void"]
    cm = np.array(m["confusion_matrix"])
    assert cm.shape == (5, 5) and cm.sum() == NATIVE_PIXELS
    paper, standard = summarize(cm, "paper"), summarize(cm, "standard", ignore_index=4)
    assert m["miou"] == pytest.approx(paper["miou"]) and m["fiou"] == pytest.approx(paper["fiou"])
    assert m["per_class_iou"] == pytest.approx(paper["per_class_iou"])
    assert m["standard"]["miou"] == pytest.approx(standard["miou"])
    assert m["standard"]["per_class_iou"][4] is None


def test_weight_files_hold_the_model_alone(finished):
    """Keras would add the optimiser's slots (under Adam, twice the model's size again); the run keeps them only in
    its checkpoint, which a finished run has removed."""
    _, out = finished
    for name in ("best.weights.h5", "model.weights.h5"):
        with h5py.File(out / name, "r") as weights:
            assert "layers" in weights and "optimizer" not in weights, name


def test_history_has_one_row_per_epoch(finished):
    cfg, out = finished
    history = pd.read_csv(out / "history.csv")
    assert list(history.columns) == ["epoch", "loss", "val_loss", "val_miou", "seconds"]
    assert history["epoch"].tolist() == list(range(1, cfg.train.epochs + 1))
    assert np.isfinite(history[["loss", "val_loss", "val_miou"]].to_numpy()).all()


def test_saved_config_and_weights_reproduce_the_metrics(finished):
    _, out = finished
    cfg = load_config(out / "config.yaml")
    data = DATASETS.get(cfg.dataset.name)(cfg.dataset)
    metrics = json.loads((out / "metrics.json").read_text())
    history = pd.read_csv(out / "history.csv")
    # eval.checkpoint: best scores the epoch with the highest val mIoU, whose weights are best.weights.h5
    assert metrics["scored_epoch"] == int(history.loc[history["val_miou"].idxmax(), "epoch"])
    with policy(metrics["precision"]):  # the policy the run computed in, which metrics.json records
        model = MODELS.get(cfg.model.name)(cfg.model, data.num_classes)
        model.load_weights(out / "best.weights.h5")
        scored = evaluate(model, data, data.samples("test"), batch_size=2)
    assert scored["confusion_matrix"].tolist() == metrics["confusion_matrix"]


def test_same_seed_same_result(finished, tmp_path):
    cfg, out = finished
    again = cfg.model_copy(deep=True)
    again.output.dir = str(tmp_path)
    execute(again)
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (out, tmp_path))
    assert first["confusion_matrix"] == second["confusion_matrix"]
    assert pd.read_csv(out / "history.csv")["loss"].tolist() == pytest.approx(
        pd.read_csv(tmp_path / "history.csv")["loss"].tolist(), rel=1e-5)


def test_finished_run_is_skipped_unless_forced(finished, capsys):
    cfg, out = finished
    before = (out / "metrics.json").stat().st_mtime_ns
    assert execute(cfg) is None
    assert "skipped" in capsys.readouterr().out
    assert (out / "metrics.json").stat().st_mtime_ns == before


def test_other_config_in_a_finished_folder_needs_force(finished, tmp_path):
    cfg, _ = finished
    first = cfg.model_copy(deep=True)
    first.output.dir = str(tmp_path)
    first.train.epochs = 1
    execute(first)
    changed = first.model_copy(deep=True)
    changed.train.learning_rate = 0.01
    with pytest.raises(ConfigError, match=r"another config \(train.learning_rate: 0.001 -> 0.01\); pass --force"):
        execute(changed)
    # config.yaml edited by hand to look like the new config: metrics.json still knows which config ran.
    write_yaml(tmp_path / "config.yaml", changed.model_dump(mode="json"))
    with pytest.raises(ConfigError, match=r"config.yaml was edited after the run: it no longer matches the config "
                                          "metrics.json records"):
        execute(changed)
    # What the earlier run left beside its metrics.json is not the new run's: a scoring of the old model in eval/
    # was shown (and compared) beside the new figures, and its last weights predicted where the new run keeps none.
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "flip.json").write_text("{}")
    changed.output.save_weights = False
    assert (tmp_path / "model.weights.h5").is_file()
    assert execute(changed, force=True) == tmp_path
    assert load_config(tmp_path / "config.yaml").train.learning_rate == 0.01
    assert not (tmp_path / "eval").exists() and not (tmp_path / "model.weights.h5").exists()


def test_interrupted_run_leaves_no_metrics_and_runs_again(finished, tmp_path, monkeypatch):
    cfg, _ = finished
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir = str(tmp_path)
    cfg.train.epochs = 1

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "evaluate", killed)
    with pytest.raises(KeyboardInterrupt):
        execute(cfg)
    assert not (tmp_path / "metrics.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    assert execute(cfg) == tmp_path  # not skipped: the folder held no finished run
    assert (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_runs_and_leaves_the_global_policy_as_it_was(finished, tmp_path, precision):
    import keras

    cfg, _ = finished
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir, cfg.train.epochs, cfg.train.precision = str(tmp_path), 1, precision
    execute(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["precision"] == precision and np.isfinite(metrics["miou"])
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.parametrize("flags, used", [(frozenset(), "float32"), (frozenset({"avx512_bf16"}), "mixed_bfloat16")])
def test_auto_precision_runs_in_the_policy_it_resolves_to_and_records_it(finished, tmp_path, monkeypatch, flags,
                                                                          used):
    import yaml

    from segbench import backend, precision

    monkeypatch.setattr(backend, "first_gpu", lambda: None)
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    seen = []
    original = run_module.train
    monkeypatch.setattr(run_module, "train", lambda model, *a, **k: (seen.append(model.dtype_policy.name),
                                                                     original(model, *a, **k))[1])
    cfg, _ = finished
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir, cfg.train.precision = str(tmp_path), "auto"
    cfg.train.epochs = 1
    execute(cfg)
    assert seen == [used]  # the model was built under the policy auto resolved to
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["precision"] == used
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["train"]["precision"] == "auto"


@pytest.mark.parametrize("split", ["train", "test"])
def test_an_empty_split_is_refused_before_training(finished, tmp_path, monkeypatch, split):
    cfg, _ = finished
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir = str(tmp_path)
    adapter = DATASETS.get(cfg.dataset.name)
    original = adapter.list_pairs
    monkeypatch.setattr(adapter, "list_pairs", lambda self, s: [] if s == split else original(self, s))
    monkeypatch.setattr(run_module, "train", lambda *args, **kwargs: pytest.fail("trained on an empty split"))
    with pytest.raises(DataError, match=f"synthetic has no {split} pairs there"):
        execute(cfg)
    assert not (tmp_path / "metrics.json").exists()


def test_a_diverging_run_stops_at_the_first_non_finite_loss_and_is_not_scored(finished, tmp_path):
    cfg, _ = finished
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir = str(tmp_path)
    cfg.train.learning_rate, cfg.train.warmup_epochs, cfg.train.epochs = 1e30, 0.0, 2
    # In its first epoch no epoch is whole: the message said a checkpoint was kept where none was.
    with pytest.raises(Diverged, match=r"training diverged, loss (nan|inf) at epoch 1 step \d+; no epoch was whole, "
                                       "so no checkpoint is kept"):
        execute(cfg)
    assert not (tmp_path / "metrics.json").exists()
    assert not list((tmp_path / CHECKPOINTS).glob("*"))


def test_a_run_diverging_after_a_whole_epoch_says_its_checkpoint_is_kept(tmp_path):
    stop = StopOnNonFiniteLoss(tmp_path)
    stop.on_epoch_begin(2)  # Keras counts from 0, and on from the epoch a resumed run starts at
    with pytest.raises(Diverged, match="loss nan at epoch 3 step 5; the checkpoint of the last whole epoch is kept"):
        stop.on_train_batch_end(4, {"loss": float("nan")})


def test_a_missing_dataset_root_leaves_no_run_folder(tmp_path):
    camvid = Path(__file__).resolve().parents[2] / "configs" / "smoke" / "camvid" / "segnet.yaml"
    cfg = load_config(camvid, [f"dataset.root={tmp_path / 'nowhere'}", f"output.dir={tmp_path / 'run'}"])
    with pytest.raises(DataError, match="nowhere: no such folder"):
        execute(cfg)
    assert not (tmp_path / "run").exists()


def test_a_run_refused_after_its_folder_was_made_leaves_none_of_the_folders_it_made(tmp_path):
    # The root is there (as a failed download left it) but holds no pairs: refused under the folder's lock, which
    # had made results/camvid/segnet; results/camvid/ and results/ stayed, empty.
    (tmp_path / "empty").mkdir()
    camvid = Path(__file__).resolve().parents[2] / "configs" / "smoke" / "camvid" / "segnet.yaml"
    cfg = load_config(camvid, [f"dataset.root={tmp_path / 'empty'}",
                               f"output.dir={tmp_path / 'results' / 'camvid' / 'segnet'}"])
    with pytest.raises(DataError, match="empty: camvid has no train pairs there"):
        execute(cfg)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty"]


def test_a_run_whose_test_split_holds_train_images_is_refused_before_training(tmp_path):
    """test.txt naming a train image: the run scored images it trained on and called the figure a test mIoU."""
    from helpers import stripes, write_pair

    root = tmp_path / "camvid"
    image, _ = write_pair(root / "train", root / "trainannot", "train0", stripes(8, 8, [0, 3]), ".png")
    (root / "test.txt").write_text("/SegNet/CamVid/train/train0.png /SegNet/CamVid/trainannot/train0.png\n")
    camvid = Path(__file__).resolve().parents[2] / "configs" / "smoke" / "camvid" / "segnet.yaml"
    cfg = load_config(camvid, [f"dataset.root={root}", f"output.dir={tmp_path / 'run'}"])
    with pytest.raises(DataError) as refused:
        execute(cfg)
    assert str(refused.value) == (f"{image}: in train and test (1 of test's 1 images): a score of images trained on; "
                                  "give each image one split")
    assert not (tmp_path / "run").exists()


def test_a_run_clears_the_temporaries_that_killed_writes_left_and_nothing_else(smoke_config, tmp_path, cli):
    out = tmp_path / "run"
    stale = [out / Path(name).parent / f"{temporary_prefix(name)}{random}{Path(name).suffix}" for name, random in (
        ("confusion_per_image.npz", "k3j9x_2a"), ("metrics.json", "0a1b2c3d"), ("predictions/f1.png", "qwertyui"))]
    # A user's hidden files of a temporary's shape but without segbench's mark were deleted (`.env.backup01`).
    kept = [out / ".keep", out / "notes.txt", out / ".env.backup01", out / "docs" / ".config.defaults.yaml"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    done = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1", "--resume")
    assert done.returncode == 0, done.stderr
    assert not [path for path in stale if path.exists()] and all(path.exists() for path in kept)


@pytest.mark.parametrize("inside", ["eval", "predictions/inner"])
def test_a_run_inside_another_runs_folder_is_refused_before_anything(smoke_config, tmp_path, inside):
    """A run made in another run's eval/ or predictions/ finished, and was removed without a word when the outer
    run was started over (its eval/ removed, its predictions/ replaced whole)."""
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "config.yaml").write_text("{}")
    (outer / "metrics.json").write_text("{}")
    config = load_config(smoke_config, [f"output.dir={outer / inside}", "train.epochs=1"])
    with pytest.raises(ConfigError, match=rf"^{outer / inside}: lies inside the run folder {outer}, whose eval/ and "
                                          r"predictions/ its own runs replace whole; give --out a folder of its own$"):
        execute(config)
    assert sorted(path.name for path in outer.iterdir()) == ["config.yaml", "metrics.json"]


def test_tensorboard_asked_for_without_its_package_is_refused_before_the_folder_is_made(smoke_config, tmp_path,
                                                                                        monkeypatch):
    """Found missing once training began, it left a config.yaml that `results` called resumable (and each resume
    failed the same way)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    config = load_config(smoke_config, [f"output.dir={tmp_path / 'run'}", "train.tensorboard=true"])
    with pytest.raises(ConfigError, match=r"^train.tensorboard: true needs the tensorboard package: pip install"):
        execute(config)
    assert not (tmp_path / "run").exists()


def test_a_folder_that_is_not_a_runs_keeps_what_a_run_would_replace(smoke_config, tmp_path, cli):
    """--out naming a folder of the user's own: its predictions/ was deleted and its history.csv overwritten."""
    out = tmp_path / "mine"
    (out / "predictions").mkdir(parents=True)
    (out / "predictions" / "holiday.png").write_bytes(b"mine")
    (out / "history.csv").write_text("mine")
    done = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "mine: holds history.csv, predictions but no config.yaml, so it is not a run folder" in done.stderr
    assert (out / "predictions" / "holiday.png").read_bytes() == b"mine" and (out / "history.csv").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "predictions"]


@pytest.mark.parametrize("kept", ["# my own, hand-tuned\nbase: [../segnet.yaml]\ntrain: {epochs: 2}\n",
                                  "dataset: {name: synthetic}\n", "[not, a, mapping]\n",
                                  # All four sections, no base: taken for a run's own (probe 15's case 5).
                                  ("# mine\ndataset: {name: synthetic}\nmodel: {name: segnet}\ntrain: {epochs: 7}\n"
                                   "eval: {batch_size: 2}\n")])
def test_a_users_own_config_yaml_in_the_out_folder_is_not_replaced(smoke_config, tmp_path, kept):
    """exp/config.yaml run into exp/: the user's config (its comments, its base:) was replaced by the expanded one,
    taken for the config.yaml of a run that had not begun."""
    out = tmp_path / "exp"
    out.mkdir()
    (out / "config.yaml").write_text(kept)
    with pytest.raises(ConfigError, match=r"exp/config.yaml: not the config a run writes .*into a folder of its own"):
        execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1"]))
    assert (out / "config.yaml").read_text() == kept and sorted(p.name for p in out.iterdir()) == ["config.yaml"]


def test_a_folder_named_config_yaml_in_the_out_folder_is_named_so(smoke_config, tmp_path):
    """The run's write failed naming segbench's own temporary (".config.segbench-tmp.<random>.yaml: Is a
    directory"; probe 17b case 10)."""
    out = tmp_path / "exp"
    (out / "config.yaml").mkdir(parents=True)
    (out / "config.yaml" / "mine.txt").write_text("mine")
    with pytest.raises(ConfigError, match=rf"^{out / 'config.yaml'}: is a folder, not a file, where a run writes its "
                                          "config; move it away, or run it into a folder of its own$"):
        execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1"]))
    assert [p.name for p in out.rglob("*")] == ["config.yaml", "mine.txt"]
    from segbench.rundir import unfinished_runs

    assert unfinished_runs([tmp_path]) == []  # `results` advised running "exp/config.yaml" to start it again

def test_an_augmentation_the_input_size_cannot_take_is_refused_before_the_folder_is_touched(smoke_config, tmp_path):
    """A RandomCrop larger than the input failed in the loader, blamed on a training sample, after `--force` had
    deleted the finished run in the folder (probe 16b case 10)."""
    out = tmp_path / "run"
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1"]))
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    crop = load_config(smoke_config, [f"output.dir={out}", "train.epochs=1",
                                      "train.augment=[{name: RandomCrop, height: 64, width: 64}]"])
    with pytest.raises(ConfigError, match=r"^train.augment: fails on images of the model's input size 32x48 \(Crop "
                                          "size"):
        execute(crop, force=True)
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before


@pytest.mark.parametrize("inside", ["test/runs", "trainannot/segnet"])
def test_a_run_whose_out_lies_inside_the_data_it_reads_is_refused_before_anything(tmp_path, inside):
    """`run --out dsA/test/runs` was accepted: its predictions/ joined the test split as images, and the next run
    scored them (probe 16b case 20). Beside the splits, in the root, a run is no part of them: `results/` in a
    project folder holding a dataset of `root: .` ran before, and was refused by the first fix (probe 17c case 3)."""
    from helpers import stripes, write_pair

    from segbench.engine import preflight

    root = tmp_path / "camvid"
    for split in ("train", "val", "test"):
        write_pair(root / split, root / f"{split}annot", f"{split}0", stripes(8, 8, [0, 3]), ".png")
    before = sorted(path.relative_to(root) for path in root.rglob("*"))
    camvid = Path(__file__).resolve().parents[2] / "configs" / "smoke" / "camvid" / "segnet.yaml"
    cfg = load_config(camvid, [f"dataset.root={root}", f"output.dir={root / inside}"])
    with pytest.raises(DataError) as refused:
        execute(cfg)
    assert str(refused.value) == (f"{root / inside}: lies inside the data folder {root / inside.split('/')[0]} of "
                                  "camvid, whose files the run would join or write over; give --out a place outside "
                                  "the data")
    assert sorted(path.relative_to(root) for path in root.rglob("*")) == before
    assert preflight.problems(load_config(camvid, [f"dataset.root={root}", f"output.dir={root / 'results' / 'r'}"])) \
        == []


def test_a_runs_progress_lines_escape_its_folders_name(tmp_path, capsys):
    """A terminal escape in a run folder's name coloured the terminal in run's and sweep's progress lines (only the
    closing table escaped it: probe 17b case 19)."""
    from segbench.engine import sweep

    run_module.say(tmp_path / "e\x1b[31mf", "finished already")
    sweep.say("[1/1] e\x1b[31mf")
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.splitlines() == [f"{tmp_path}/e\\x1b[31mf: finished already", "[1/1] e\\x1b[31mf"]


def test_an_empty_checkpoints_folder_without_a_config_is_no_interrupted_run(tmp_path, capsys):
    """"the interrupted run had another config (config.yaml unreadable) ... drop --resume", of a folder holding only an
    empty checkpoints/, and in a sweep, which takes no --resume (probe 17d case 5)."""
    (tmp_path / "checkpoints").mkdir()
    resolved = load_config("smoke/segnet").model_dump(mode="json")
    assert run_module.interrupted_state(tmp_path, resolved, True, None, []) is None
    assert capsys.readouterr().out.strip() == f"{tmp_path}: nothing to resume, starting from scratch"
