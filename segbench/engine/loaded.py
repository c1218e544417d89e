"""A run folder brought back as a model: its config, its dataset's classes and palette, and its weights, for
``segbench predict``, ``scripts/add_statistics.py`` and notebooks (``segbench.load_run``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from segbench import precision
from segbench.config import load_config
from segbench.data.base import DatasetAdapter
from segbench.data.loader import resize_image
from segbench.engine import checkpoint
from segbench.engine.evaluate import batch_logits, logits_at
from segbench.engine.train import BEST_WEIGHTS
from segbench.errors import SegbenchError, first_line
from segbench.registry import DATASETS, MODELS
from segbench.rundir import CONFIG, METRICS, read_metrics
from segbench.schema import Config

LAST_WEIGHTS = "model.weights.h5"
CHECKPOINTS = ("best", "last")


@dataclass
class LoadedRun:
    """A run's model with what its class maps mean. ``adapter`` names the classes, the palette and the void class;
    its data is never read."""

    path: Path
    config: Config
    adapter: DatasetAdapter
    model: keras.Model
    weights: Path
    precision: str  # the dtype policy the model computes in: the run's own

    @property
    def classes(self) -> tuple[str, ...]:
        return self.adapter.classes

    @property
    def palette(self) -> tuple[tuple[int, int, int], ...]:
        return self.adapter.palette

    def predict(self, images: list[np.ndarray], batch_size: int = 8) -> list[np.ndarray]:
        """The class map of each RGB uint8 image (HxWx3) at the image's own size, as evaluation computes it: the
        image resized to the model's input, its logits resized back bilinearly, then the argmax."""
        input_size = tuple(self.model.input_shape[1:3])
        maps = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size]
            logits = batch_logits(self.model, np.stack([resize_image(image, input_size) for image in batch]),
                                  batch_size)
            dtype = np.uint8 if self.adapter.num_classes <= 256 else np.int32
            maps += [logits_at(one, image.shape[:2]).argmax(axis=-1).astype(dtype)
                     for one, image in zip(logits, batch)]
        return maps


def weights_of(run_dir: Path, config: Config, which: str = "best") -> Path:
    """The weights file ``which`` names: ``best`` (the best epoch's, where the run kept it and scored it, as
    ``eval.checkpoint: best`` does; else the last), ``last``, or a file."""
    if which not in CHECKPOINTS:
        path = Path(which)
        if not path.is_file():
            raise SegbenchError(f"{path}: no such weights file")
        return path
    best, last = run_dir / BEST_WEIGHTS, run_dir / LAST_WEIGHTS
    path = best if which == "best" and config.eval.checkpoint == "best" and best.is_file() else last
    if not path.is_file():
        raise SegbenchError(f"{run_dir}: no {path.name} there (a run committed or copied without its weights cannot "
                            "predict; output.save_weights: false keeps none)")
    return path


def own_precision(run_dir: Path, config: Config) -> str:
    """The dtype policy the run computed in: as its metrics.json records it, else as its config asks (``auto``
    resolved for this device)."""
    used = read_metrics(run_dir).get("precision") if (run_dir / METRICS).is_file() else None
    return used or precision.resolve(config.train.precision)


def load_run(path: str | Path, checkpoint_name: str = "best", policy: str | None = None) -> LoadedRun:
    """The model of the run folder ``path`` with the weights ``checkpoint_name`` names (see ``weights_of``), built
    in ``policy``, by default the precision the run computed in (its weights are float32 either way)."""
    run_dir = Path(path)
    if not (run_dir / CONFIG).is_file():
        raise SegbenchError(f"{run_dir}: not a run folder (no {CONFIG})")
    config = load_config(run_dir / CONFIG)
    adapter = DATASETS.get(config.dataset.name)(config.dataset)
    weights = weights_of(run_dir, config, checkpoint_name)
    with precision.policy(policy or own_precision(run_dir, config)) as computed:
        model = MODELS.get(config.model.name)(config.model, adapter.num_classes)
        try:
            checkpoint.load_weights(model, weights)
        except (ValueError, OSError) as exc:  # another model's file, or not a weights file at all
            raise SegbenchError(f"{weights}: not weights of this run's {config.model.name} ({first_line(exc)})") \
                from None
    return LoadedRun(run_dir, config, adapter, model, weights, computed)


