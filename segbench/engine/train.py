"""Fit a model on a dataset's train split, scoring the val split with ``segbench.metrics`` after every epoch."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pandas as pd

from segbench.config import Config
from segbench.data.base import DatasetAdapter
from segbench.data.loader import SegmentationBatches
from segbench.engine.evaluate import evaluate
from segbench.engine.losses import SegmentationCrossEntropy
from segbench.engine.progress import progress_verbosity
from segbench.io import write_text
from segbench.metrics import summarize

OPTIMIZERS = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "sgd": keras.optimizers.SGD}


class EpochScorer(keras.callbacks.Callback):
    """After each epoch: val loss and val mIoU at native resolution, one summary line, and ``history.csv``."""

    def __init__(self, adapter: DatasetAdapter, config: Config, history_path: Path, loss_fn):
        super().__init__()
        self.adapter, self.config, self.history_path, self.loss_fn = adapter, config, history_path, loss_fn
        self.val_samples = adapter.samples("val")
        self.rows: list[dict] = []
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
        write_text(self.history_path, pd.DataFrame(self.rows).to_csv(index=False))
        print(f"epoch {row['epoch']}/{self.config.train.epochs}  loss {row['loss']:.4f}  {scored_text}  "
              f"({row['seconds']:.1f} s)", flush=True)


def train(model: keras.Model, adapter: DatasetAdapter, config: Config, run_dir: Path) -> list[dict]:
    """Train for ``train.epochs``; returns the history rows (also written to ``run_dir/history.csv``)."""
    loss_fn = SegmentationCrossEntropy(ignore_index=config.train.ignore_index)
    model.compile(optimizer=OPTIMIZERS[config.train.optimizer](learning_rate=config.train.learning_rate),
                  loss=loss_fn)
    batches = SegmentationBatches(adapter, adapter.samples("train"), config.model.input_size,
                                  config.train.batch_size, shuffle=True, seed=config.train.seed)
    scorer = EpochScorer(adapter, config, run_dir / "history.csv", loss_fn)
    # The progress bar goes first so that it has closed its line before the scorer prints the epoch summary.
    model.fit(batches, epochs=config.train.epochs, callbacks=[keras.callbacks.ProgbarLogger(), scorer],
              verbose=progress_verbosity())
    return scorer.rows
