"""The last completed epoch of a run, saved so that ``--resume`` can continue it after a kill at any moment.

Each save writes the model weights and the optimiser's variables (and a new best's weights) to files named after
the epoch, then replaces ``checkpoints/state.json`` (atomically) to point at them, then moves the new best into
the run folder and deletes the older files: whatever instant the process dies, ``state.json`` names a complete
pair of files, and the best weights it records are in the run folder or still staged beside them.

Every weight file a run writes (the checkpoint's, ``best.weights.h5``, ``model.weights.h5``) holds the model alone:
Keras would store the optimiser's slots beside the weights (twice the model again under Adam) and warn when loading
into a model whose optimiser is not built yet; the checkpoint keeps the optimiser in a file of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np

from segbench.errors import DataError, first_line
from segbench.io import atomic_path, read_record, sha256, why_not_a_file, write_json
from segbench.rundir import BEST_WEIGHTS, CHECKPOINT_STATE, CHECKPOINTS, history

STAGED_BEST = ".best.weights.h5"  # after checkpoints/epoch<N>: the new best, until state.json records it


@contextmanager
def _model_alone(model: keras.Model) -> Iterator[None]:
    # Keras' weight files take in whatever the model tracks, its compiled optimiser included.
    optimizer = getattr(model, "optimizer", None)  # a model never compiled has none
    if optimizer is None:
        yield
        return
    model.optimizer = None
    try:
        yield
    finally:
        model.optimizer = optimizer


def save_weights(model: keras.Model, path: Path) -> None:
    """The model's weights, without the optimiser, written atomically."""
    with atomic_path(path) as tmp, _model_alone(model):
        model.save_weights(tmp)


# What Keras says of the first variable another model's file could not fill, on a line after its first.
SHAPES = re.compile(r"variable\.shape=\([^)]*\), Received: value\.shape=\([^)]*\)")


def load_weights(model: keras.Model, path: Path) -> None:
    """Weights written by :func:`save_weights` (or by Keras with its optimiser, which is then left alone). Another
    model's file is a ValueError whose first line says which shapes differ; Keras' warnings about each layer it
    skipped (dozens of lines before that error) are kept back, and shown only where the weights did load."""
    with warnings.catch_warnings(record=True) as said, _model_alone(model):
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except ValueError as exc:
            shapes = SHAPES.search(str(exc))
            if shapes is None:
                raise
            raise ValueError(f"{first_line(exc)} {shapes.group(0)}") from None
    for warning in said:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def save(model: keras.Model, run_dir: Path, epoch: int, best: dict, record: dict, new_best: bool = False) -> dict:
    """The epoch's weights and optimiser state, and ``state.json`` naming them with the best so far and
    ``record``, what was trained (the data, the config file's digest), which a resume checks. ``new_best``: the
    model is the best so far, to become ``best.weights.h5``. Returns ``best`` with that file's digest.

    The new best is written beside the epoch's files and moved into the run folder only once ``state.json``
    records its digest, so that the best weights a run holds are always those its state names: another run's
    file copied in is told by its digest (a resume, ``predict`` and ``export`` of an unfinished run check it),
    and a kill between the two steps leaves the staged file, which the resume moves into place."""
    folder = run_dir / CHECKPOINTS
    weights, optimizer = f"epoch{epoch:04d}.weights.h5", f"epoch{epoch:04d}.optimizer.npz"
    staged = folder / f"epoch{epoch:04d}{STAGED_BEST}"
    if new_best:
        save_weights(model, staged)
        best = {**best, "best_weights_sha256": sha256(staged)}
    save_weights(model, folder / weights)
    with atomic_path(folder / optimizer) as tmp:
        np.savez(tmp, *[keras.ops.convert_to_numpy(v) for v in model.optimizer.variables])
    # The files a resume continues from, by digest: another run's of the same shapes put in their place was
    # trained on and scored as this run.
    digests = {"weights_sha256": sha256(folder / weights), "optimizer_sha256": sha256(folder / optimizer)}
    write_json(folder / CHECKPOINT_STATE, {"epoch": epoch, "weights": weights, "optimizer": optimizer, **digests,
                                           **best, "best_staged": staged.name if new_best else None, **record})
    if new_best:
        os.replace(staged, run_dir / BEST_WEIGHTS)
    for old in folder.glob("epoch*"):
        if old.name not in (weights, optimizer):
            old.unlink(missing_ok=True)
    return best


def unlike_saved(path: Path) -> str:
    """Why a file whose digest is not the one the run recorded differs, as far as can be told: a copy cut short
    does not open whole (a truncated best.weights.h5 was asked whether another run's had been copied in)."""
    try:
        if path.suffix == ".h5":
            import h5py

            with h5py.File(path, "r") as saved:
                saved.visit(lambda name: None)
        elif zipfile.is_zipfile(path):  # the optimiser's .npz
            with zipfile.ZipFile(path) as saved:
                if saved.testzip() is not None:
                    raise OSError("a member does not read back")
        else:
            raise OSError("neither HDF5 nor a zip")
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        return f"damaged: {first_line(exc)}; a copy cut short?"
    return "another run's copied in?"


def best_weights_problem(run_dir: Path, state: dict) -> str | None:
    """Why ``best.weights.h5`` is not the file the checkpoint ``state`` records as the best so far, or None. A
    state of a segbench that staged no best (no ``best_staged`` key) was written before the digest was final,
    and is not checked."""
    expected = state.get("best_weights_sha256")
    if "best_staged" not in state or state.get("best_epoch") is None or expected is None:
        return None
    best = run_dir / BEST_WEIGHTS
    if not best.is_file():
        return f"{best}: {why_not_a_file(best) if best.exists() else 'missing'}"
    if sha256(best) != expected:
        staged = run_dir / CHECKPOINTS / str(state.get("best_staged"))
        if staged.is_file() and sha256(staged) == expected:  # a kill between state.json and the move
            return (f"{best}: not yet the best so far, epoch {state['best_epoch']}, which the run was killed before "
                    f"moving into place from {staged.name}; --resume the run to finish it")
        return (f"{best}: not the weights this run saved as its best so far, epoch {state['best_epoch']} "
                f"({unlike_saved(best)})")
    return None


def finish_best(run_dir: Path, state: dict) -> None:
    """Move the best weights a kill left staged (after ``state.json`` recorded them, before the move) into
    place, as :func:`save` would have."""
    name = state.get("best_staged")
    if isinstance(name, str) and re.fullmatch(r"epoch\d{4,}" + re.escape(STAGED_BEST), name):
        staged = run_dir / CHECKPOINTS / name
        if staged.is_file() and not staged.is_symlink():
            os.replace(staged, run_dir / BEST_WEIGHTS)


def exists(run_dir: Path) -> bool:
    return (run_dir / CHECKPOINTS).is_dir()


def load_state(run_dir: Path, epochs: int | None = None) -> dict | None:
    """The saved state (``epoch``, file names, best val mIoU so far), or None when there is none. A state that
    cannot be what ``save`` wrote (an epoch outside ``1..epochs``, a file outside the folder or absent) stops with
    one line rather than being obeyed."""
    folder = run_dir / CHECKPOINTS
    path = folder / CHECKPOINT_STATE
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():  # a FIFO was taken for no checkpoint, and 51 epochs were started over
        raise DataError(f"{path}: {why_not_a_file(path)}, where the checkpoint's state is kept; drop --resume to "
                        "start over")
    try:
        state = json.loads(read_record(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable checkpoint state ({exc}); drop --resume to start over") from None
    epoch = state.get("epoch") if isinstance(state, dict) else None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1 or (epochs is not None and epoch > epochs):
        raise DataError(f"{path}: epoch {epoch!r} is not one of this run's 1..{epochs or 'N'}; drop --resume to "
                        "start over")
    for key in ("weights", "optimizer"):
        name = state.get(key)
        if not isinstance(name, str) or Path(name).name != name or not (folder / name).is_file():
            raise DataError(f"{path}: {key} {name!r} is not a file of {folder}; drop --resume to start over")
    # The best so far decides which later epoch is kept as best and which one metrics.json says was scored: a text
    # there ended in a TypeError, and best_epoch 999 of 40 was written into metrics.json as the scored epoch.
    best, best_epoch = state.get("best_val_miou"), state.get("best_epoch")
    if (best is None) != (best_epoch is None) or best is not None and not (
            isinstance(best, int | float) and not isinstance(best, bool) and 0 <= best <= 1
            and isinstance(best_epoch, int) and not isinstance(best_epoch, bool) and 1 <= best_epoch <= epoch):
        raise DataError(f"{path}: best_val_miou {best!r} at best_epoch {best_epoch!r} is not a val mIoU (0 to 1) of "
                        f"one of epochs 1..{epoch}; drop --resume to start over")
    for key, what in (("data", "the record of a dataset"), ("config", "a config")):
        if not isinstance(state.get(key, {}), dict):
            raise DataError(f"{path}: {key} {state[key]!r} is not {what}; drop --resume to start over")
    rows = history_rows(run_dir, epoch)
    if best is not None:
        # Within its bounds but not the history's (0.999 at epoch 3, whose val mIoU was 0.12): no later epoch would
        # have been kept as best, and epoch 25's weights were scored under epoch 3's name.
        kept = [row["val_miou"] for row in rows]
        if abs(kept[best_epoch - 1] - best) > 1e-9 or best < max(kept) - 1e-9:
            raise DataError(f"{path}: best_val_miou {best!r} at best_epoch {best_epoch} is not what history.csv says "
                            f"({kept[best_epoch - 1]!r} there, {max(kept)!r} at best); drop --resume to start over")
    return state


def history_rows(run_dir: Path, epochs: int) -> list[dict]:
    """The rows of ``history.csv`` for epochs 1..``epochs``, which a resumed run continues (the file may hold one
    epoch more, after a kill between its write and the checkpoint's)."""
    return history(run_dir, epochs, "drop --resume to start over").head(epochs).to_dict("records")


def restore(model: keras.Model, run_dir: Path, state: dict) -> None:
    """Weights and optimiser state of the saved epoch; the model must be compiled with the same optimiser. A
    damaged, truncated or mismatched file stops with one line naming it."""
    folder = run_dir / CHECKPOINTS
    if state.get("best_epoch") is not None:
        finish_best(run_dir, state)
        # The best epoch's weights are scored when the run ends, and were found missing, or another model's (a
        # traceback), only then, after every remaining epoch had trained: loaded once here, then replaced below.
        best = run_dir / BEST_WEIGHTS
        try:
            if best.exists() and not best.is_file():  # h5py would wait on a FIFO for good
                raise OSError(why_not_a_file(best))
            load_weights(model, best)
        except (OSError, ValueError, KeyError) as exc:
            said = "missing" if not best.is_file() else f"damaged or another model's ({first_line(exc)})"
            raise DataError(f"{best}: {said}, though {CHECKPOINT_STATE} keeps epoch {state['best_epoch']} as the best "
                            "so far, whose weights it holds; drop --resume to start over") from None
        problem = best_weights_problem(run_dir, state)
        if problem:
            raise DataError(f"{problem}; restore it, or drop --resume to start over")
    weights = folder / state["weights"]
    try:
        load_weights(model, weights)
    except (OSError, ValueError, KeyError) as exc:  # h5py on a truncated file; Keras on other shapes or layers
        raise DataError(f"{weights}: damaged or another model's checkpoint ({first_line(exc)}); drop --resume to "
                        "start over") from None
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    saved_at = folder / state["optimizer"]
    try:
        with np.load(saved_at) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # numpy's words for a pickle advise loading it "unsafely": a pickle runs code, and no checkpoint holds one.
        why = "it holds pickled objects, which no checkpoint of segbench's does, left unread" \
            if "pickle" in str(exc) else first_line(exc)
        raise DataError(f"{saved_at}: damaged checkpoint ({why}); drop --resume to start over") from None
    shapes = [tuple(v.shape) for v in optimizer.variables]
    if [value.shape for value in values] != shapes:
        raise DataError(f"{saved_at}: holds {len(values)} optimiser variables that do not match the run's "
                        f"{len(shapes)}; drop --resume to start over")
    # Damage and other shapes are said above, in their own words; a file of the same shapes is told by its digest.
    for key in ("weights", "optimizer"):
        if state.get(f"{key}_sha256") not in (None, sha256(folder / state[key])):
            raise DataError(f"{folder / state[key]}: not the file this run saved at epoch {state['epoch']} "
                            f"({unlike_saved(folder / state[key])}); restore it, or drop --resume to start over")
    for variable, value in zip(optimizer.variables, values):
        variable.assign(value)


def clear(run_dir: Path) -> None:
    shutil.rmtree(run_dir / CHECKPOINTS, ignore_errors=True)
