"""The last completed epoch of a run, saved so that ``--resume`` can continue it after a kill at any moment.

Each save writes the model weights and the optimiser's variables to files named after the epoch, then replaces
``checkpoints/state.json`` (atomically) to point at them, then deletes the older files: whatever instant the
process dies, ``state.json`` names a complete pair of files.

Every weight file a run writes (the checkpoint's, ``best.weights.h5``, ``model.weights.h5``) holds the model alone:
Keras would store the optimiser's slots beside the weights (twice the model again under Adam) and warn when loading
into a model whose optimiser is not built yet; the checkpoint keeps the optimiser in a file of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np

from segbench.errors import DataError
from segbench.io import atomic_path, write_json

FOLDER = "checkpoints"
STATE = "state.json"


@contextmanager
def _model_alone(model: keras.Model) -> Iterator[None]:
    # Keras' weight files take in whatever the model tracks, its compiled optimiser included.
    optimizer = model.optimizer
    model.optimizer = None
    try:
        yield
    finally:
        model.optimizer = optimizer


def save_weights(model: keras.Model, path: Path) -> None:
    """The model's weights, without the optimiser, written atomically."""
    with atomic_path(path) as tmp, _model_alone(model):
        model.save_weights(tmp)


def load_weights(model: keras.Model, path: Path) -> None:
    """Weights written by :func:`save_weights` (or by Keras with its optimiser, which is then left alone)."""
    with _model_alone(model):
        model.load_weights(path)


def save(model: keras.Model, run_dir: Path, epoch: int, best: dict) -> None:
    folder = run_dir / FOLDER
    weights, optimizer = f"epoch{epoch:04d}.weights.h5", f"epoch{epoch:04d}.optimizer.npz"
    save_weights(model, folder / weights)
    with atomic_path(folder / optimizer) as tmp:
        np.savez(tmp, *[keras.ops.convert_to_numpy(v) for v in model.optimizer.variables])
    write_json(folder / STATE, {"epoch": epoch, "weights": weights, "optimizer": optimizer, **best})
    for old in folder.glob("epoch*"):
        if old.name not in (weights, optimizer):
            old.unlink(missing_ok=True)


def load_state(run_dir: Path) -> dict | None:
    """The saved state (``epoch``, file names, best val mIoU so far), or None when there is none."""
    path = run_dir / FOLDER / STATE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{path}: unreadable checkpoint state ({exc})") from None


def restore(model: keras.Model, run_dir: Path, state: dict) -> None:
    """Weights and optimiser state of the saved epoch; the model must be compiled with the same optimiser."""
    folder = run_dir / FOLDER
    load_weights(model, folder / state["weights"])
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    with np.load(folder / state["optimizer"]) as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    if len(values) != len(optimizer.variables):
        raise DataError(f"{folder / state['optimizer']}: holds {len(values)} optimiser variables, the run has "
                        f"{len(optimizer.variables)}")
    for variable, value in zip(optimizer.variables, values):
        variable.assign(value)


def clear(run_dir: Path) -> None:
    folder = run_dir / FOLDER
    if folder.is_dir():
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
