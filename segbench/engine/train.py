"""Fit a model on a dataset's train split, scoring the val split with ``segbench.metrics`` after every epoch."""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import pandas as pd

from segbench.data.base import DatasetAdapter, check_class_weights, loss_void
from segbench.data.loader import SegmentationBatches
from segbench.data.stats import class_pixels, median_frequency
from segbench.engine import checkpoint
from segbench.engine.evaluate import evaluate
from segbench.engine.losses import SegmentationCrossEntropy
from segbench.engine.optim import make_optimizer
from segbench.engine.progress import progress_verbosity, time_left
from segbench.errors import SegbenchError, first_line
from segbench.io import write_text
from segbench.metrics import summarize
from segbench.plugins import digests
from segbench.registry import plugin_files
from segbench.rundir import HISTORY, TENSORBOARD
from segbench.schema import Config


class Diverged(SegbenchError):
    """The loss left the finite numbers: nothing after that step is worth scoring."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops at the first step whose loss is NaN or infinite. Unlike Keras' TerminateOnNaN, which ends training
    quietly and lets the run be scored as if it had finished, this raises: no ``metrics.json``, and the checkpoint
    of the last whole epoch stays for a look at what went wrong."""

    def __init__(self, run_dir: Path):
        super().__init__()
        self.run_dir, self.epoch = run_dir, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))  # the epoch's running mean: non-finite from the first bad step
        if not math.isfinite(loss):
            kept = ("the checkpoint of the last whole epoch is kept" if self.epoch > 1 else
                    "no epoch was whole, so no checkpoint is kept")  # epochs count on from a resumed one
            raise Diverged(f"{self.run_dir}: training diverged, loss {loss} at epoch {self.epoch} step {batch + 1}; "
                           f"{kept}; lower train.learning_rate and run again")


class EpochScorer(keras.callbacks.Callback):
    """After each epoch: val loss and val mIoU at native resolution, one summary line, ``history.csv``, the best
    weights by val mIoU, and a checkpoint of the epoch (last, so a kill before it only costs that epoch)."""

    def __init__(self, adapter: DatasetAdapter, config: Config, run_dir: Path, loss_fn, rows: list[dict],
                 best: dict):
        super().__init__()
        self.adapter, self.config, self.run_dir, self.loss_fn = adapter, config, run_dir, loss_fn
        self.val_samples = adapter.samples("val")
        self.rows, self.best = rows, best
        # What each checkpoint records of what it trained, for a resume to check: the data, and the config (its
        # config.yaml edited by hand between a kill and the resume changed the recipe mid-run, unrecorded).
        self.record = {"data": adapter.data_record(), "config": config.model_dump(mode="json")}
        self.started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, "loss": float(logs["loss"]), "val_loss": None, "val_miou": None}
        scored_text = "no val split"
        if self.val_samples:
            scored = evaluate(self.model, self.adapter, self.val_samples, self.config.eval.batch_size, self.loss_fn)
            row["val_loss"] = scored["loss"]
            row["val_miou"] = summarize(scored["confusion_matrix"], "paper", self.adapter.ignore_index)["miou"]
            scored_text = f"val_loss {row['val_loss']:.4f}  val mIoU {100 * row['val_miou']:.2f}%"
        row["seconds"] = round(time.perf_counter() - self.started, 3)
        self.rows.append(row)
        # For the callbacks after this one (TensorBoard): the epoch's validation as Keras' own val_ logs would be.
        logs.update({key: row[key] for key in ("val_loss", "val_miou") if row[key] is not None})
        write_text(self.run_dir / HISTORY, pd.DataFrame(self.rows).to_csv(index=False))
        new_best = row["val_miou"] is not None and row["val_miou"] > (self.best.get("best_val_miou") or -1.0)
        if new_best:
            self.best = {"best_val_miou": row["val_miou"], "best_epoch": row["epoch"]}
            scored_text += "  (best)"
        # And the plugins' files, at each epoch: a helper a plugin imports late (in its dataset's load(), in a
        # loader thread) was not loaded when the scorer was made, and a resume after its edit was not refused.
        self.record["plugins_sha256"] = digests(plugin_files(self.config))
        # The best's digest comes back, checked where it is read: another run's file of the same shapes, copied
        # in, loaded and was scored as this run's best epoch.
        self.best = checkpoint.save(self.model, self.run_dir, row["epoch"], self.best, self.record, new_best)
        left = time_left([past["seconds"] for past in self.rows], self.config.train.epochs - row["epoch"])
        print(f"epoch {row['epoch']}/{self.config.train.epochs}  loss {row['loss']:.4f}  {scored_text}  "
              f"({row['seconds']:.1f} s{'; ' + left if left else ''})", flush=True)


def train(model: keras.Model, adapter: DatasetAdapter, config: Config, run_dir: Path,
          resume: dict | None = None) -> tuple[list[dict], dict]:
    """Train for ``train.epochs``, or what is left of them after the checkpoint ``resume``; returns the history
    rows (also in ``run_dir/history.csv``) and the best val mIoU with its epoch."""
    ignored = loss_void(adapter, config.train.ignore_index)
    loss_fn = SegmentationCrossEntropy(ignored, class_weights(config, adapter, ignored))
    batches = SegmentationBatches(adapter, adapter.samples("train"), config.model.input_size,
                                  config.train.batch_size, shuffle=True, seed=config.train.seed,
                                  augment=config.train.augment,
                                  workers=config.train.workers, use_multiprocessing=config.train.use_multiprocessing,
                                  drop_last=config.train.distribute != "none")
    model.compile(optimizer=make_optimizer(config.train, len(batches)), loss=loss_fn)
    start, rows, best = 0, [], {}
    if resume:
        checkpoint.restore(model, run_dir, resume)
        start = resume["epoch"]
        rows = checkpoint.history_rows(run_dir, start)
        best = {key: resume[key] for key in ("best_val_miou", "best_epoch", "best_weights_sha256") if key in resume}
        batches.start_at(start)
        print(f"resuming after epoch {start} of {config.train.epochs}", flush=True)
    scorer = EpochScorer(adapter, config, run_dir, loss_fn, rows, best)
    # The progress bar goes first so that it has closed its line before the scorer prints the epoch summary.
    # shuffle=False: the batches shuffle themselves by (seed, epoch); Keras' own shuffle would reorder them again
    # from global random state, which a resumed run cannot reproduce.
    callbacks = [keras.callbacks.ProgbarLogger(), StopOnNonFiniteLoss(run_dir), scorer]
    if config.train.tensorboard:
        # One folder per run, so that `tensorboard --logdir <results>` shows a sweep's runs side by side; after the
        # scorer, so that the epoch's logs it sees carry val_loss and val_miou. A resumed run appends its epochs.
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / TENSORBOARD)))
    try:
        model.fit(batches, initial_epoch=start, epochs=config.train.epochs, shuffle=False, callbacks=callbacks,
                  verbose=progress_verbosity())
    except Exception as exc:
        batches.failure.raise_if_any()  # a damaged sample: its one line, not the framework's wrapping of it
        if _no_gradient(exc):  # a plugin model's stop_gradient, or logits not computed from its weights
            raise SegbenchError(f"model {config.model.name!r}: no gradient of the loss reaches any of its trainable "
                                f"weights ({first_line(exc)}); it cannot be trained") from None
        raise
    return scorer.rows, scorer.best


def _no_gradient(exc: BaseException) -> bool:
    """Whether ``exc`` is the backend saying no trainable weight has a gradient: TensorFlow's optimizer and torch's
    backward each say it in their own words (JAX trains on zero gradients, as the model asks)."""
    said = str(exc)
    return "No gradients provided for any variable" in said or "does not require grad and does not have a grad_fn" \
        in said


def class_weights(config: Config, adapter: DatasetAdapter, ignored: int | None) -> list[float] | None:
    """``train.class_weights`` as one weight per class (None for ``none``); ``ignored`` is the label the loss
    skips."""
    setting, num_classes = config.train.class_weights, adapter.num_classes
    if setting == "none":
        return None
    if isinstance(setting, list):
        check_class_weights(adapter, setting)  # again: the config was read before a class file was there
        return setting
    counts = class_pixels(adapter, adapter.samples("train"))
    # A class the loss ignores takes no part in the median (SegNet's weights leave CamVid's Unlabelled out).
    kept = [c for c in range(num_classes) if c != ignored]
    weights = median_frequency([counts["pixels"][c] for c in kept], [counts["present_pixels"][c] for c in kept])
    full = [0.0] * num_classes
    for c, weight in zip(kept, weights):
        full[c] = weight
    print("median-frequency class weights: " + ", ".join(f"{name} {w:.3f}" for name, w in zip(adapter.classes, full)),
          flush=True)
    return full
