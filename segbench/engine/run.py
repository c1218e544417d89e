"""One run: config -> dataset + model -> train -> evaluate -> a run folder on disk.

The folder holds ``config.yaml`` (the resolved config), ``history.csv``, ``model.weights.h5``, the per-image
figures and, last of all, ``metrics.json``: its presence is what marks a run as finished.
"""

from __future__ import annotations

import errno
import platform
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import keras

from segbench import backend, bootstrap, boundary, calibration, precision
from segbench.data.base import DatasetAdapter, loss_void, shared_images
from segbench.engine import checkpoint, distribute, predictions, preflight
from segbench.engine.evaluate import evaluate
from segbench.engine.finished import config_changes, config_hash, finished_conflict
from segbench.engine.train import train
from segbench.errors import ConfigError, DataError, SegbenchError, first_line, one_line
from segbench.io import os_reason, remove_temporaries, sha256, write_yaml
from segbench.lock import locked
from segbench.metrics import summarize
from segbench.models.base import build, probe_image
from segbench.plugins import bundled, digests, origin, unrecorded
from segbench.registry import DATASETS, MODELS, plugin_files
from segbench.rundir import (
    BEST_WEIGHTS,
    CONFIG,
    EVAL,
    LAST_WEIGHTS,
    METRICS,
    PER_IMAGE,
    WORST_FIRST,
    data_record_changes,
    foreign_config,
    plugin_changed,
    tree_changes,
    write_metrics,
    write_per_image,
)
from segbench.schema import Config


def execute(config: Config, force: bool = False, resume: bool = False) -> Path | None:
    """Run ``config`` into its folder; returns that folder, or None when a finished identical run is there.

    With ``resume``, an interrupted run of the same config continues from its last checkpoint. The folder is
    locked for the whole run: a second process aiming at it stops at once (FolderLocked)."""
    run_dir = config.run_dir()
    distribute.check(config.train.distribute, {"train.batch_size": config.train.batch_size,
                                               "eval.batch_size": config.eval.batch_size})
    preflight.check(config)  # before the folder is made: a run that cannot start leaves nothing
    # The folders this run makes (results/camvid/ too, for results/camvid/segnet), innermost first.
    created = [folder for folder in (run_dir, *run_dir.parents) if not folder.exists()]
    try:
        with locked(run_dir):
            return _execute(config, run_dir, force, resume)
    except OSError as exc:  # h5py and numpy name no file: say which run could not be written, and what next
        reason = os_reason(exc) if exc.strerror else first_line(exc)
        # A read-only or full file system is the folder's state, not that of the first file it stopped: name the
        # folder, which --resume is given.
        place = run_dir if exc.errno in (errno.EROFS, errno.ENOSPC) else exc.filename or run_dir
        hint = "; free some space, then --resume continues from the last whole epoch" \
            if exc.errno == errno.ENOSPC else ""
        raise SegbenchError(f"{place}: {reason}{hint}") from None
    finally:
        for folder in created:  # a run that stopped before writing anything leaves no empty folder to puzzle over
            if not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()


def _execute(config: Config, run_dir: Path, force: bool, resume: bool) -> Path | None:
    resolved = config.model_dump(mode="json")
    if (run_dir / METRICS).exists() and not force:
        conflict = finished_conflict(run_dir, config, resolved, "pass --force to run it again, or --out for a new folder")
        if conflict:
            raise conflict
        say(run_dir, "finished already, skipped (--force runs it again)")
        return None
    # Again, under the folder's lock: a user's config.yaml, or a folder of theirs holding what a run writes (a run
    # writes config.yaml before anything else, so a folder without one is not a run's).
    foreign = foreign_config(run_dir)
    if foreign is not None:
        raise foreign
    adapter = _checked_data(config)  # before the folder is touched: a missing root leaves nothing behind
    keras.utils.set_random_seed(config.train.seed)
    if config.train.deterministic:
        distribute.make_deterministic()
    with precision.policy(config.train.precision) as used, distribute.scope(config.train.distribute) as replicas:
        # Built before anything of the folder is removed: a model that cannot be built (`--force` with a broken
        # plugin) deleted the finished run's metrics.json and weights and left it looking resumable.
        model = build(config.model, adapter.num_classes)
        _refuse_untrainable(config, model)
        # Temporaries of writes a kill cut short (.confusion_per_image.<random>.npz) would otherwise stay for good;
        # under the folder's lock none of them is being written now.
        remove_temporaries(run_dir)
        state = interrupted_state(run_dir, resolved, resume and not force, adapter, plugin_files(config))
        (run_dir / METRICS).unlink(missing_ok=True)
        if state is None:
            _clear_earlier_run(run_dir)
        return _train_and_score(config, adapter, model, run_dir, state, replicas, used)


def say(run_dir: Path, text: str) -> None:
    """A line of the run's progress, led by its folder, whose name's control characters are escaped (a terminal
    escape in it coloured the terminal)."""
    print(one_line(f"{run_dir}: {text}"), flush=True)


def _refuse_untrainable(config: Config, model: keras.Model) -> None:
    """A plugin model that no gradient reaches (its logits behind a stop_gradient) refused before the folder is
    touched: found as training started, `--force` of it had deleted a finished run's metrics.json and weights."""
    builder = MODELS.get(config.model.name)
    if bundled(builder):
        return
    if not backend.gradient_reaches(model, probe_image(config.model.input_size)):
        raise ConfigError(f"model {config.model.name!r} ({origin(builder)}): no gradient of its logits reaches any of "
                          "its trainable weights (a stop_gradient?); it cannot be trained")


def _clear_earlier_run(run_dir: Path) -> None:
    """Remove what an earlier run of the folder wrote (``--force``, or a start over): its eval/ scorings, weights and
    per-image files would stand beside the new run's figures as if they were its own (a kept ms+flip scoring of the
    old model was shown, and compared, as the new one's), and its best weights would be predicted with where the new
    run keeps none."""
    for name in (EVAL, BEST_WEIGHTS, LAST_WEIGHTS, PER_IMAGE, WORST_FIRST):  # the rest is replaced whole as it runs
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()  # a link: the link, not what it points to


def interrupted_state(run_dir: Path, resolved: dict, resume: bool, adapter: DatasetAdapter,
                      files: list[str]) -> dict | None:
    """The checkpoint to resume from, or None (a checkpoint not resumed is deleted, so it cannot mislead). One of
    other data than ``adapter`` reads now is refused: a relative root resumed from another folder trained on two
    datasets, and metrics.json recorded the second alone."""
    # A checkpoints/ folder without the config.yaml a run writes first is no run's (an empty one, or a killed write's
    # temporary alone): "the interrupted run had another config (config.yaml unreadable)" named a run not there.
    interrupted = checkpoint.exists(run_dir) and (run_dir / CONFIG).is_file()
    if not resume:
        if checkpoint.exists(run_dir):
            if interrupted:
                say(run_dir, "holds an interrupted run; starting over (--resume continues it)")
            checkpoint.clear(run_dir)
        return None
    if interrupted:
        changes = config_changes(run_dir / CONFIG, resolved)
        if changes:
            raise ConfigError(f"{run_dir}: the interrupted run had another config ({changes}); resume it with that "
                              "config, or drop --resume to start over")
    state = checkpoint.load_state(run_dir, resolved["train"]["epochs"])
    # config.yaml edited by hand after the kill matches a resume "with that config": the rest trained on another
    # recipe, and metrics.json vouched for it as the whole run's. Keys one side lacks are a schema's growth.
    changes = tree_changes(state["config"], resolved, shared_only=True) if state and "config" in state else ""
    if changes:
        raise ConfigError(f"{run_dir}: the interrupted run's epochs trained with another config than this one "
                          f"({changes}; its config.yaml edited since?); resume it with that config, or drop --resume "
                          "to start over")
    if state is None:
        say(run_dir, "nothing to resume, starting from scratch")
    # The plugin's code is part of the recipe: edited between the kill and the resume, two models trained one run.
    changed = (plugin_changed(state) or unrecorded(state.get("plugins_sha256"), files)) if state else None
    if changed:
        raise ConfigError(f"{changed}: the plugin the interrupted run's epochs trained with has changed (or is found "
                          "elsewhere from here); restore it, or drop --resume to start over")
    # A checkpoint written before it kept its data's record has none to compare.
    changed = data_record_changes(state["data"], adapter.data_record()) if state and "data" in state else ""
    if changed:
        raise DataError(f"{run_dir}: the interrupted run trained on other data than this config reads now "
                        f"({changed}); resume it from where it ran (a relative dataset.root names another folder "
                        "from elsewhere), or drop --resume to start over")
    return state


def _checked_data(config: Config) -> DatasetAdapter:
    """The dataset, refused when its train split or ``eval.split`` is empty (it would score 0.00 on 0 images) or
    when ``eval.split`` holds images of train (it would score images trained on)."""
    adapter = DATASETS.get(config.dataset.name)(config.dataset)
    listed = {split: adapter.samples(split) for split in dict.fromkeys(("train", config.eval.split))}
    for split, samples in listed.items():
        if not samples:
            raise DataError(f"{adapter.root}: {config.dataset.name} has no {split} pairs there, so there is nothing "
                            f"to {'train on' if split == 'train' else 'score'}")
    shared = shared_images("train", listed["train"], config.eval.split, listed[config.eval.split]) \
        if config.eval.split != "train" else None
    if shared:
        raise DataError(f"{shared.path}: {shared.message}")
    if config.train.augment:  # before the folder is touched: a crop larger than the input failed in the loader
        from segbench.data.augment import check_on_input_size, fill_value

        check_on_input_size(config.train.augment, config.model.input_size, fill_value(adapter.ignore_index),
                            adapter.num_classes, adapter.ignore_index)
    return adapter


def _train_and_score(config: Config, adapter: DatasetAdapter, model: keras.Model, run_dir: Path, state: dict | None,
                     replicas: int, used: str) -> Path:
    """Train and score ``model`` in the dtype policy ``used`` (``train.precision`` with ``auto`` resolved)."""
    # config.yaml only now: a model that cannot be built leaves no folder that `results` would call resumable.
    write_yaml(run_dir / CONFIG, config.model_dump(mode="json"))
    say(run_dir, f"{config.model.name} on {config.dataset.name}, {model.count_params():,} parameters, "
        f"{config.train.epochs} epoch{'s' * (config.train.epochs != 1)}, {used}"
        + (" (auto)" if config.train.precision == precision.AUTO else "")
        + (f", {replicas} replica{'s' * (replicas != 1)} ({config.train.distribute})"
           if config.train.distribute != "none" else ""))
    started = time.perf_counter()
    history, best = train(model, adapter, config, run_dir, resume=state)
    # A resumed run trained in several processes: the epochs before this one's are in history.csv.
    earlier = sum(row["seconds"] for row in history[:state["epoch"]]) if state else 0.0
    train_seconds = time.perf_counter() - started + earlier
    if config.output.save_weights:
        checkpoint.save_weights(model, run_dir / LAST_WEIGHTS)
    scored_epoch = len(history)
    if config.eval.checkpoint == "best" and best.get("best_epoch"):
        if best.get("best_weights_sha256") not in (None, sha256(run_dir / BEST_WEIGHTS)):  # replaced meanwhile
            raise DataError(f"{run_dir / BEST_WEIGHTS}: not the weights this run saved as its best, epoch "
                            f"{best['best_epoch']} ({checkpoint.unlike_saved(run_dir / BEST_WEIGHTS)}); restore it "
                            "and run with --resume, or run again without it")
        checkpoint.load_weights(model, run_dir / BEST_WEIGHTS)
        scored_epoch = best["best_epoch"]

    print(f"evaluating epoch {scored_epoch} on {config.eval.split}", flush=True)
    started = time.perf_counter()
    samples = adapter.samples(config.eval.split)
    keep = predictions.Keeper(run_dir, samples, config.eval.figure_images, adapter.ignore_index)
    scored = evaluate(model, adapter, samples, config.eval.batch_size, progress=True, on_prediction=keep,
                      detailed=True)
    keep.finish()
    metrics = {
        "dataset": config.dataset.name,
        "model": config.model.name,
        "split": config.eval.split,
        "num_images": scored["num_images"],
        **adapter.data_record(),
        "loss_ignore_index": loss_void(adapter, config.train.ignore_index),
        **scored_figures(scored, adapter.ignore_index),
        "config_sha256": config_hash(config.model_dump(mode="json")),
        "config_file_sha256": sha256(run_dir / CONFIG),
        "plugins_sha256": digests(plugin_files(config)),
        # The weights the run leaves, for its readers to tell them from another run's of the same shapes.
        "weights_sha256": {path.name: sha256(path) for path in (run_dir / BEST_WEIGHTS, run_dir / LAST_WEIGHTS)
                           if path.is_file()} or None,
        "seed": config.train.seed,
        "epochs": len(history),
        "scored_epoch": scored_epoch,
        "precision": used,
        "distribute": {"strategy": config.train.distribute, "replicas": replicas},
        "seconds": {"train": round(train_seconds, 2), "evaluate": round(time.perf_counter() - started, 2)},
        "environment": environment(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_per_image(run_dir, samples, scored, adapter.ignore_index)
    write_metrics(run_dir, metrics)
    checkpoint.clear(run_dir)  # finished: metrics.json, the final and the best weights are what stays
    say(run_dir, f"mIoU {100 * metrics['miou']:.2f}  fIoU {100 * metrics['fiou']:.2f}  "
        f"(standard mIoU {100 * metrics['standard']['miou']:.2f}) on {metrics['num_images']} {config.eval.split} images")
    return run_dir


def scored_figures(scored: dict, ignore_index: int | None) -> dict:
    """What ``metrics.json`` says of a detailed ``evaluate``: both protocols' IoU figures, Boundary IoU, calibration,
    the confusion matrix and the bootstrap intervals (where there are two images or more)."""
    cm, summed = scored["confusion_matrix"], scored["boundary"].sum(axis=0)
    figures = {
        **summarize(cm, "paper", ignore_index),
        **boundary.summarize(summed, "paper", ignore_index),
        "standard": {**summarize(cm, "standard", ignore_index), **boundary.summarize(summed, "standard", ignore_index)},
        "boundary": {"ratio": boundary.RATIO, "distance": "chessboard, the image edge counting as a contour",
                     "void": boundary.VOID_RULE},
        "calibration": calibration.summarize(scored["confidence"].sum(axis=0), float(scored["nll"].sum())),
        "confusion_matrix": cm.tolist(),
    }
    if scored["num_images"] >= 2:
        figures["intervals"] = bootstrap.intervals(scored["per_image"], ignore_index, boundary=scored["boundary"],
                                                   confidence=scored["confidence"])
    return figures


def environment() -> dict:
    return {
        "backend": backend.name(),
        **backend.versions(),  # Keras, the backend's framework (under its own name) and Python
        "machine": platform.machine(),
        "cpu": backend.cpu(),
        "devices": backend.devices(),
    }
