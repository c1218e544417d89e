"""A run folder brought back as a model: its config, its dataset's classes and palette, and its weights, for
``segbench predict``, ``scripts/add_statistics.py`` and notebooks (``segbench.load_run``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import keras
import numpy as np

from segbench import backend, precision
from segbench.config import load_config
from segbench.data.base import DatasetAdapter, dataset_root
from segbench.engine import checkpoint
from segbench.engine.inference import Inference
from segbench.engine.views import MAX_SCALE, SINGLE, Views
from segbench.errors import SegbenchError, first_line
from segbench.io import not_a_file, sha256
from segbench.models.base import build
from segbench.plugins import unrecorded
from segbench.registry import DATASETS, plugin_files
from segbench.rundir import (
    BEST_WEIGHTS,
    CONFIG,
    LAST_WEIGHTS,
    METRICS,
    checkpoint_state,
    data_record_changes,
    plugin_changed,
    read_metrics,
    tree_changes,
    unfinished,
)
from segbench.rundir import CHECKPOINTS as CHECKPOINTS_FOLDER
from segbench.schema import Config

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
    metrics: dict = field(default_factory=dict)  # its metrics.json, read (and checked) once; empty: unfinished
    _sized: dict = field(default_factory=dict, repr=False)  # the model at other input sizes, by (height, width)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.adapter.classes

    @property
    def palette(self) -> tuple[tuple[int, int, int], ...]:
        return self.adapter.palette

    @cached_property
    def weights_sha256(self) -> str:
        """The weights file's SHA-256, which ``eval/`` files record; read once, however many scorings ask."""
        return sha256(self.weights)

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.model.input_shape[1:3])

    def at(self, size: tuple[int, int]) -> keras.Model:
        """The run's model for inputs of ``size`` (height, width), with the same weights and precision: test-time
        scales and sliding windows need other sizes than the one it trained at. Built once per size."""
        size = tuple(size)
        if size == self.input_size:
            return self.model
        if size not in self._sized:
            if any(side > MAX_SCALE * own for side, own in zip(size, self.input_size)):
                raise SegbenchError(f"{self.path}: inputs of {size[0]}x{size[1]} are more than {MAX_SCALE} times its "
                                    f"input size {self.input_size[0]}x{self.input_size[1]} a side, which could only "
                                    "run out of memory; ask --window and --scales for less")
            backend.allow_retracing()
            # Held to the rules of its config's input_size, and to the builder's contract: `evaluate --window 8x8`
            # of a SegNet (which pools down to 1/16) ended in Keras' MaxPooling2D traceback.
            try:
                section = type(self.config.model).model_validate({**self.config.model.model_dump(),
                                                                  "input_size": list(size)})
                with precision.policy(self.precision):
                    model = build(section, self.adapter.num_classes)
            except (ValueError, SegbenchError) as exc:  # pydantic's ValidationError is a ValueError
                raise SegbenchError(f"{self.path}: its {self.config.model.name} cannot take inputs of "
                                    f"{size[0]}x{size[1]} ({_why(exc)}); --window and --scales ask for such sizes"
                                    ) from None
            model.set_weights(self.model.get_weights())
            self._sized[size] = model
        return self._sized[size]

    def inference(self, batch_size: int = 8, views: Views = SINGLE) -> Inference:
        """Native-size logits of images under ``views`` (one view at the input size by default)."""
        return Inference(self.at, self.input_size, batch_size, views)

    def predict(self, images: list[np.ndarray], batch_size: int = 8, views: Views = SINGLE) -> list[np.ndarray]:
        """The class map of each RGB uint8 image (HxWx3) at the image's own size, as evaluation computes it: by
        default the image resized to the model's input, its logits resized back bilinearly, then the argmax."""
        dtype = np.uint8 if self.adapter.num_classes <= 256 else np.int32
        return [logits.argmax(axis=-1).astype(dtype) for logits in self.inference(batch_size, views)(images)]


def _why(exc: BaseException) -> str:
    """What a model that cannot be built at a size says of it: a config rule's own words (without pydantic's
    "Value error, "), or Keras' line below its "Exception encountered when calling ..." header, without its bold."""
    if hasattr(exc, "errors"):
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line and not line.startswith("Exception encountered when calling")]
    return lines[0] if lines else first_line(exc)


def weights_of(run_dir: Path, config: Config, which: str = "best", state: dict | None = None) -> Path:
    """The weights file ``which`` names: ``best`` (the best epoch's, where the run kept it and scored it, as
    ``eval.checkpoint: best`` does; else the last), ``last``, or a file. For an unfinished run (its checkpoint's
    ``state``), the last is its last whole epoch's checkpoint, which the state records by digest."""
    if which not in CHECKPOINTS:
        path = Path(which)
        if not path.is_file():
            raise SegbenchError(f"{path}: {not_a_file(path, 'no such weights file')}")
        return path
    best, last = run_dir / BEST_WEIGHTS, run_dir / LAST_WEIGHTS
    wanted = which == "best" and config.eval.checkpoint == "best"
    if wanted and not best.is_file() and (run_dir / METRICS).is_file():
        # The last epoch's weights stand in for the best only where they are the same epoch's: else they would be
        # scored, and written, under the name of the run's own scoring.
        metrics = read_metrics(run_dir)
        scored, epochs = metrics.get("scored_epoch"), metrics.get("epochs")
        if scored is not None and epochs is not None and scored != epochs:
            raise SegbenchError(f"{best}: {not_a_file(best, 'missing')}, the weights of epoch {scored} that the run "
                                f"scored; --checkpoint last takes those of epoch {epochs}, its last")
    path = best if wanted and best.is_file() else last
    if path == last and state and isinstance(state.get("weights"), str) and Path(state["weights"]).name == \
            state["weights"]:
        # A model.weights.h5 in an unfinished run is no record's: another run's was predicted with and exported.
        path = run_dir / CHECKPOINTS_FOLDER / state["weights"]
    if not path.is_file():
        from segbench.lock import holder

        pid = holder(run_dir)
        if pid:  # `run --force` beside it had just removed them: not a run kept without its weights
            raise SegbenchError(f"{run_dir}: training now (PID {pid}), its earlier weights removed; wait for it to "
                                "finish")
        if os.path.lexists(path):  # a FIFO, a folder, a link to nothing: what it is, not "no file there"
            raise SegbenchError(f"{path}: {not_a_file(path)}, where the run keeps its weights")
        raise SegbenchError(f"{run_dir}: no {path.name} there (a run committed or copied without its weights cannot "
                            "predict; output.save_weights: false keeps none)")
    return path


def _same_root(run_dir: Path, config: Config, recorded: str | None) -> None:
    """A relative ``dataset.root`` is read from the current folder: from another one it named other data (another
    ``dsA`` was scored as the run's re-scoring). Refused where the data the run read is still where it was."""
    root = dataset_root(config.dataset)
    if recorded is None or root.is_absolute() or root.resolve() == Path(recorded) or not Path(recorded).is_dir():
        return
    raise SegbenchError(f"{run_dir}: its dataset.root {str(root)!r} is relative, and from here names "
                        f"{root.resolve()}, not {recorded}, which the run read; run this from the folder the run "
                        "was run from")


def _same_class_file(run_dir: Path, config: Config, adapter: DatasetAdapter, recorded: str | None) -> None:
    """A relative ``dataset.class_file``, as a relative root: from another folder it named another class file,
    whose test split was scored as the run's re-scoring (probe 22a case 9). Refused where the run's is still there."""
    now = adapter.data_record().get("class_file")
    if recorded is None or now in (None, recorded) or not Path(recorded).is_file():
        return
    raise SegbenchError(f"{run_dir}: its dataset.class_file {config.dataset.class_file!r} names {now} from here, "
                        f"not {recorded}, which the run read; run this from the folder the run was run from")


def _as_it_trained(run_dir: Path, config: Config, state: dict) -> None:
    """An unfinished run's config.yaml and plugins as its checkpoint recorded them (a finished run's are checked by
    ``read_metrics``): edited since, another model was predicted with and exported as the run's (an ONNX file at
    64x96 of a run trained at 32x48)."""
    changes = tree_changes(state["config"], config.model_dump(mode="json"), shared_only=True) \
        if isinstance(state.get("config"), dict) else ""
    if changes:
        raise SegbenchError(f"{run_dir}: its config.yaml is not the config its epochs trained with ({changes}; "
                            "edited since?); restore it")
    changed = plugin_changed(state)
    if changed:
        raise SegbenchError(f"{changed}: the plugin {run_dir}'s epochs trained with has changed; restore it")


def _same_classes(run_dir: Path, adapter: DatasetAdapter, recorded: dict) -> None:
    """The classes and void label the run recorded, as the dataset gives them now: a class file reordered since
    painted the run's class maps in other classes' colours, and named them so. (How labels decode matters to a
    scoring, which says so itself, not to a class map.)"""
    if not isinstance(recorded, dict) or "classes" not in recorded:
        return  # a run finished before that record
    now = {"classes": list(adapter.classes), "ignore_index": adapter.ignore_index}
    changed = data_record_changes({key: recorded[key] for key in now if key in recorded}, now)
    if changed:
        raise SegbenchError(f"{run_dir}: its dataset's classes are not the run's since ({changed}); its class maps "
                            "would be named and painted as other classes: restore the class file")


def _own_weights(run_dir: Path, weights: Path, metrics: dict, state: dict) -> None:
    """Refuse a file in the place of one the run recorded by digest, however its path is written (an absolute or
    ``..`` path to the run's own best.weights.h5 passed unchecked, and another run's copied in was scored as the
    run's own re-scoring)."""
    folder = run_dir.resolve()
    # Where the path names and where it leads: a link in the run folder to another run's file, and a link of
    # another name to the run's own (replaced) file, each passed as the other place.
    places = {weights.parent.resolve() / weights.name, weights.resolve()}
    for where in places:
        recorded = (metrics.get("weights_sha256") or {}).get(where.name) if where.parent == folder else None
        if where.parent == folder / CHECKPOINTS_FOLDER and where.name == state.get("weights"):
            recorded = state.get("weights_sha256")
        if recorded is not None and sha256(weights) != recorded:
            raise SegbenchError(f"{weights}: not the weights file the run saved ({checkpoint.unlike_saved(weights)}); "
                                "its scores are not this file's, so it is not read as the run's")
    if state and folder / BEST_WEIGHTS in places:
        # An unfinished run's best is checked against its checkpoint: another run's was predicted and exported.
        problem = checkpoint.best_weights_problem(run_dir, state)
        if problem:
            raise SegbenchError(f"{problem}; it is not read as the run's")


def note_unfinished(run_dir: Path) -> None:
    """Say so where a run that has not finished is predicted with or exported: its weights are those of an epoch
    its training kept so far, not the ones a finished run scored."""
    state = unfinished(run_dir)
    if state:
        print(f"note: {run_dir} is {state}: its weights are those its training has kept so far", flush=True)


def own_precision(config: Config, metrics: dict) -> str:
    """The dtype policy the run computed in: as its ``metrics`` record it, else as its config asks (``auto``
    resolved for this device)."""
    return metrics.get("precision") or precision.resolve(config.train.precision)


def load_run(path: str | Path, checkpoint_name: str = "best", policy: str | None = None) -> LoadedRun:
    """The model of the run folder ``path`` with the weights ``checkpoint_name`` names (see ``weights_of``), built
    in ``policy``, by default the precision the run computed in (its weights are float32 either way)."""
    run_dir = Path(path)
    if not (run_dir / CONFIG).is_file():
        raise SegbenchError(f"{run_dir}: not a run folder (no {CONFIG})")
    # A finished run's config.yaml edited since is refused here, before the model is built from it.
    metrics = read_metrics(run_dir) if (run_dir / METRICS).is_file() else {}
    config = load_config(run_dir / CONFIG)
    _same_root(run_dir, config, metrics.get("dataset_root"))
    adapter = DATASETS.get(config.dataset.name)(config.dataset)
    _same_class_file(run_dir, config, adapter, metrics.get("class_file"))
    state = {} if metrics else checkpoint_state(run_dir)
    _as_it_trained(run_dir, config, state)
    _same_classes(run_dir, adapter, metrics or state.get("data") or {})
    weights = weights_of(run_dir, config, checkpoint_name, state)
    _own_weights(run_dir, weights, metrics, state)
    with precision.policy(policy or own_precision(config, metrics)) as computed:
        model = build(config.model, adapter.num_classes)
        # Once built: a builder may import the plugin's helpers only then.
        recorded = metrics or state
        other = unrecorded(recorded.get("plugins_sha256"), plugin_files(config)) if recorded else None
        if other:
            raise SegbenchError(f"{other}: plugin code {run_dir}'s config loads from here, which the run did not (a "
                                "module name found in another folder?); run this from the folder the run was run "
                                "from")
        try:
            checkpoint.load_weights(model, weights)
        except (ValueError, OSError) as exc:  # another model's file, or not a weights file at all
            raise SegbenchError(f"{weights}: not weights of this run's {config.model.name} ({first_line(exc)})") \
                from None
    return LoadedRun(run_dir, config, adapter, model, weights, computed, metrics)


