"""The run folder, one contract: the names of its files, how a sweep names the folders of a config's seeds, and
how its per-image statistics and ``metrics.json`` are written and read, the latter through one typed schema
(:class:`Metrics`). Pure Python, numpy, pydantic and pandas (imported where a table is made: every verb imports
this module), so that reading results never loads a deep-learning framework.

A run folder holds ``config.yaml`` (the resolved config), ``history.csv``, the weights, the per-image files and, last
of all, ``metrics.json``: its presence beside ``config.yaml`` is what marks a run as finished. While it trains, the
folder also holds ``checkpoints/``, the last finished epoch that ``--resume`` continues from.
"""

from __future__ import annotations

import glob
import io
import json
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, model_validator

from segbench import boundary, calibration
from segbench.errors import ConfigError, DataError, SegbenchError, first_line
from segbench.io import (
    TEMPORARY,
    atomic_path,
    link_to_nothing,
    load_yaml,
    read_record,
    sha256,
    why_not_a_file,
    write_json,
    write_text,
    yaml_text,
)
from segbench.metrics import summarize_stack

if TYPE_CHECKING:
    import pandas as pd

CONFIG = "config.yaml"
METRICS = "metrics.json"
HISTORY = "history.csv"  # one row per finished epoch, rewritten after each
BEST_WEIGHTS = "best.weights.h5"  # the epoch with the best val mIoU, which eval.checkpoint: best scores
LAST_WEIGHTS = "model.weights.h5"  # after the last epoch
# The last finished epoch (engine/checkpoint.py): the weights and optimiser files, and ``state.json`` naming them and
# the epoch; removed once the run has finished.
CHECKPOINTS = "checkpoints"
CHECKPOINT_STATE = "state.json"
TENSORBOARD = "tensorboard"  # Keras' TensorBoard logs, where train.tensorboard asks for them
# Drawn into the run folder by `segbench report` (report/curves.py).
CURVES, CONFUSION, RELIABILITY = "curves.png", "confusion.png", "reliability.png"
# Each test image's confusion matrix (``ids``, ``matrices``: uint32, N x C x C), Boundary IoU counts and calibration
# histograms, from which every statistic over images (the bootstrap of metrics.json's ``intervals``, paired
# comparisons) is computed without the model.
PER_IMAGE = "confusion_per_image.npz"
# Each test image's own figures, worst first: where a model fails.
WORST_FIRST = "per_image.csv"
# Re-scorings of a finished run by ``segbench evaluate`` (test-time augmentation, corruptions): ``eval/<mode>.json``,
# each in the schema of metrics.json plus a ``mode`` section that says how it was scored, and ``eval/<mode>.npz``,
# its per-image arrays as in PER_IMAGE. metrics.json, the run's own score, is never touched by them.
EVAL = "eval"
PREDICTIONS = "predictions"  # the images a run keeps, with its predictions (engine/predictions.py writes them)
# What a run writes, or replaces whole, in its folder after config.yaml.
RUN_NAMES = (METRICS, HISTORY, BEST_WEIGHTS, LAST_WEIGHTS, PER_IMAGE, WORST_FIRST, CHECKPOINTS, EVAL, TENSORBOARD,
             PREDICTIONS)


def seed_folder(folder: Path, seed: int) -> Path:
    """Where a sweep puts seed ``seed`` of the config whose single-run folder is ``folder``."""
    return folder.with_name(f"{folder.name}-seed{seed}")


def find_runs(paths) -> tuple[list[Path], list[Path]]:
    """Run folders at or below ``paths``, and the ``metrics.json`` files skipped: a finished run's folder holds
    ``metrics.json`` beside its ``config.yaml``; a lone ``metrics.json`` (a benchmark's, another tool's) is not one."""
    found, skipped, seen = [], [], set()
    for path in map(Path, paths):
        if not path.exists():
            raise DataError(f"{path}: no such folder")
        for metrics in sorted(path.rglob(METRICS)):
            # A folder named twice (`results runA runA`, or a folder and a run inside it) is one run, not a seed of
            # itself counted twice.
            if metrics.parent.resolve() in seen:
                continue
            seen.add(metrics.parent.resolve())
            (found if (metrics.parent / CONFIG).is_file() else skipped).append(metrics.parent)
    return found, [folder / METRICS for folder in skipped]


def unfinished_runs(paths) -> list[Path]:
    """Run folders at or below ``paths`` that have begun and not finished: ``config.yaml`` without ``metrics.json``
    (training now, or stopped and resumable)."""
    return [config.parent for path in map(Path, paths) for config in sorted(path.rglob(CONFIG))
            if config.is_file() and not (config.parent / METRICS).exists()]  # a folder of that name is no run's


HISTORY_COLUMNS = ("epoch", "loss", "val_loss", "val_miou", "seconds")


def history(run_dir: Path, epochs: int | None, advice: str, exact: bool = False) -> pd.DataFrame:
    """The run's ``history.csv``, checked to hold the rows of epochs 1..``epochs`` (just those where ``exact``, a
    finished run's; else perhaps one more, a resume's; as many as it holds for None), as a run writes them: one
    line ending in ``advice`` where it cannot be, rather than a traceback, garbage carried into a resumed run, or a
    report's curves of half a run (probe 21b case 6: a history.csv cut to 2 of 6 epochs was drawn as the run's)."""
    import pandas as pd

    path = run_dir / HISTORY
    try:
        table = pd.read_csv(io.StringIO(read_record(path)))  # bounded, regular files only: a FIFO hung the resume
    except (OSError, ValueError) as exc:  # pandas' EmptyDataError and ParserError are ValueErrors
        raise DataError(f"{path}: cannot be read ({first_line(exc)}); {advice}") from None
    missing = [column for column in HISTORY_COLUMNS if column not in table.columns]
    epochs = len(table) if epochs is None else epochs
    kept = table.head(epochs)
    numbers = kept.reindex(columns=HISTORY_COLUMNS).apply(pd.to_numeric, errors="coerce")
    miou = numbers["val_miou"].dropna()
    if (missing or len(kept) < epochs or (exact and len(table) != epochs)
            or numbers["epoch"].tolist() != list(range(1, epochs + 1))
            or not np.isfinite(numbers[["loss", "seconds"]].to_numpy()).all()
            or numbers["val_loss"].isna().sum() != kept["val_loss"].isna().sum()
            or numbers["val_miou"].isna().sum() != kept["val_miou"].isna().sum() or not miou.between(0, 1).all()):
        said = (f"no column {missing[0]!r} (a run's history has {', '.join(HISTORY_COLUMNS)})" if missing
                else f"not the rows of epochs 1..{epochs} this run wrote")
        raise DataError(f"{path}: {said}; {advice}")
    return table


def checkpoint_state(run_dir: Path) -> dict:
    """An unfinished run's ``checkpoints/state.json`` as read, for a look at it; empty where there is none yet
    (the first comes with the first epoch) or it cannot be read (the resume that reads it says why)."""
    try:  # bounded and regular files only: a FIFO there hung `results`
        state = json.loads(read_record(run_dir / CHECKPOINTS / CHECKPOINT_STATE))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def epochs_done(run_dir: Path) -> tuple[int, int | None]:
    """How many epochs an unfinished run has kept (the epoch of its checkpoint, which ``--resume`` continues
    after; history.csv can be a row ahead of it, after a kill between the two writes) of how many its config asks
    for (None where config.yaml cannot say)."""
    done = checkpoint_state(run_dir).get("epoch", 0)  # none yet, or unreadable: --resume would start over
    try:
        total = load_yaml(read_record(run_dir / CONFIG))["train"]["epochs"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        total = None
    return done if isinstance(done, int) else 0, total if isinstance(total, int) else None


def unfinished(run_dir: Path) -> str | None:
    """'unfinished (1 of 300 epochs done)' for a run folder without ``metrics.json``; None for a finished one."""
    if (run_dir / METRICS).is_file():
        return None
    done, total = epochs_done(run_dir)
    return f"unfinished ({done} of {total} epochs done)" if total else f"unfinished ({done} epochs done)"


def run_folder_of(path: Path) -> Path | None:
    """The run folder at or above ``path`` (its ``config.yaml`` beside ``metrics.json`` or ``checkpoints/``, or one
    a run wrote: a run killed in its first epoch has no other file yet, and a dataset made in its eval/ went when it
    started over), for writers that must not write over a run's files; None when there is none."""
    path = path.resolve()
    for folder in (path, *path.parents):
        if (folder / CONFIG).is_file() and (any((folder / name).exists() for name in (METRICS, CHECKPOINTS))
                                            or _written_by_a_run(folder / CONFIG)):
            return folder
    return None


def _written_by_a_run(path: Path) -> bool:
    """Whether the config file at ``path`` is one a run wrote: a run writes its config with write_yaml, the whole
    resolved tree, so a file it wrote reads back to those very bytes (a config written by hand, with all four
    sections and no base:, passed a look at its keys)."""
    try:
        text = read_record(path)
        written = load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError, SegbenchError):
        return False
    return isinstance(written, dict) and "base" not in written and yaml_text(written) == text


def _holds_data(path: Path) -> bool:
    """Whether ``path`` is a file, or a folder with a file in it, other than the temporaries killed writes leave."""
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else []
    return any(not TEMPORARY.fullmatch(f.name) for f in files)


def foreign_config(run_dir: Path) -> ConfigError | None:
    """A ``config.yaml`` in ``run_dir`` that a run would replace, but that no run wrote (a user's own config kept as
    exp/config.yaml and run into exp/: its comments, its base:, or another config's epochs, were replaced by the
    expanded config); None where there is none, or the run has finished (``--force`` replaces a run's own). And a
    ``run_dir`` that cannot be a run's: a file, or a folder of the user's without a ``config.yaml`` holding what a
    run writes under its names (its predictions/, a history.csv), which a run would replace. Each was found by a
    sweep's job once the runs before it had trained."""
    path = run_dir / CONFIG
    if run_dir.exists() and not run_dir.is_dir():
        return ConfigError(f"{run_dir}: not a folder; name a folder (new or not) for the run folder")
    if dangling := link_to_nothing(run_dir):
        return ConfigError(f"{run_dir}: {dangling}; remove it, or make what it leads to")
    if run_dir.is_dir() and not path.exists() and not path.is_symlink():
        theirs = [name for name in RUN_NAMES if _holds_data(run_dir / name)]
        if theirs:
            return ConfigError(f"{run_dir}: holds {', '.join(theirs)} but no {CONFIG}, so it is not a run folder, and "
                               "a run would replace them; give the run a folder of its own")
    if path.is_dir():  # a folder of the user's there: the run's write failed naming segbench's own temporary.
        return ConfigError(f"{path}: {why_not_a_file(path)}, where a run writes its config; move it away, or run it "
                           "into a folder of its own")
    if not path.is_file() or (run_dir / METRICS).exists() or _written_by_a_run(path):
        return None
    return ConfigError(f"{path}: not the config a run writes (a user's own, kept there?), and a run would "
                         "replace it; run it into a folder of its own")


def replaced_with_a_run(path: Path, folder: Path, advice: str) -> str:
    """Why ``path``, at or inside the run folder ``folder``, is no place for what the user keeps (a run, a dataset,
    kept runs): it goes when that run is scored again or started over, without a word."""
    return (f"{path}: lies inside the run folder {folder}, whose eval/ and predictions/ its own runs replace whole; "
            f"{advice}")


def refuse_run_folder(out: Path, verb: str, kind: str = "folder") -> None:
    """Refuse an ``--out`` (a ``kind``: file or folder) at or inside a run folder: a writer's names can be a run's
    own (a picture named curves.png, `bench deploy --out RUN/metrics.json`), and the run's files were written over."""
    folder = run_folder_of(out)
    if folder is not None:
        raise SegbenchError(f"{out}: {'is' if folder == out.resolve() else 'lies inside'} the run folder {folder}, "
                            f"whose files {verb} would write over; give --out a {kind} of its own")


def seed_folders(folder: Path, stem: str) -> list[Path]:
    """The finished ``<stem>-seed<k>`` run folders of a sweep in ``folder``, in seed order, checked to be seeds of
    one config (:func:`one_recipe`)."""
    return one_recipe([path for path in _seed_paths(folder, stem) if (path / METRICS).is_file()])


def _seed_paths(folder: Path, stem: str) -> list[Path]:
    """The ``<stem>-seed<k>`` entries of ``folder``, in seed order."""
    seeded = [path for path in folder.glob(f"{glob.escape(stem)}-seed*")
              if re.fullmatch(rf"{re.escape(stem)}-seed\d+", path.name)]
    return sorted(seeded, key=lambda path: int(path.name.rpartition("seed")[2]))


def unfinished_seeds(folder: Path, stem: str) -> list[str]:
    """'<folder>: unfinished (1 of 2 epochs done)' for each ``<stem>-seed<k>`` run folder in ``folder`` that has
    not finished: a mean over the seeds that have is of fewer seeds than the sweep ran, which `compare` said
    nothing of (probe 22b case 18)."""
    return [f"{path}: {why}" for path in _seed_paths(folder, stem) if (path / CONFIG).is_file()
            and (why := unfinished(path))]


def one_recipe(runs: list[Path]) -> list[Path]:
    """``runs``, refused where they cannot be pooled as seeds of one config: a run of another recipe copied or run
    into a ``-seed<k>`` folder was averaged into the row's mean and its interval. Keys that only one config.yaml
    holds are a schema's growth between segbench versions, not a difference of recipe."""
    recipes = []
    for run in runs:
        try:
            recipes.append(load_yaml(read_record(run / CONFIG)) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"{run / CONFIG}: cannot be read ({exc})") from None
    seeds: dict = {}
    for run, recipe in zip(runs, recipes):
        changed = tree_changes(recipes[0], recipe, ignore=("output.dir", "train.seed"), shared_only=True)
        if changed:
            raise DataError(f"{run}: pooled as a seed of {runs[0]}, but a run of another config ({changed}); give it "
                            "a folder of its own name")
        # A one-seed sweep's x beside a later sweep's x-seed0 is seed 0 twice: one training counted as two.
        seed = (recipe.get("train") or {}).get("seed", 0) if isinstance(recipe, dict) else None
        if seed in seeds:
            raise DataError(f"{run}: pooled as a seed of {runs[0]}, but of train.seed {seed} as {seeds[seed]} is: one "
                            "seed counted twice; move one of them away")
        seeds[seed] = run
    # One config.yaml reads a class file, a split and (relative) a root that may differ between seeds: another
    # mapping's "stripe" was averaged with this one's, and a root read from another folder with this root.
    scored = [read_metrics(run) for run in runs]
    for run, metrics in zip(runs[1:], scored[1:]):
        changed = data_record_changes(scored[0], metrics)
        if changed:
            raise DataError(f"{run}: pooled as a seed of {runs[0]}, but scored on other data ({changed}); give it a "
                            "folder of its own name")
        # One config naming a plugin by module name, run from two folders, ran two models' code.
        plugins = scored[0].get("plugins_sha256"), metrics.get("plugins_sha256")
        if None not in plugins and plugins[0] != plugins[1]:
            differ = min(set(plugins[0].items()) ^ set(plugins[1].items()))[0]
            raise DataError(f"{run}: pooled as a seed of {runs[0]}, but a run of other plugin code ({differ} differs "
                            "between them); give it a folder of its own name")
    return runs


def data_record_changes(then: dict, now: dict) -> str:
    """How the data a finished run records (``classes``, ``ignore_index``, ``decoding_sha256``, ``num_images``,
    ``dataset_root`` and ``class_file`` of its ``metrics.json``) differs in ``now`` ('' when it does not); a record
    one side lacks (a run finished before it was kept) is no difference."""
    changed = []
    classes = then.get("classes", []), now.get("classes", [])
    if len(classes[0]) != len(classes[1]):
        changed.append(f"{len(classes[0])} classes -> {len(classes[1])}")
    else:
        changed += [f"class {i}: {a!r} -> {b!r}" for i, (a, b) in enumerate(zip(*classes)) if a != b][:3]
    if then.get("ignore_index") != now.get("ignore_index"):
        changed.append(f"void label: {then.get('ignore_index')!r} -> {now.get('ignore_index')!r}")
    if None not in (then.get("decoding_sha256"), now.get("decoding_sha256")) and \
            then["decoding_sha256"] != now["decoding_sha256"]:
        changed.append("the labels' decoding (the class file's mapping, labels, palette or void colour)")
    if then.get("num_images") != now.get("num_images"):
        changed.append(f"{now.get('split', 'scored')} split: {then.get('num_images')} images -> {now.get('num_images')}")
    for key, what in (("dataset_root", "dataset root"), ("class_file", "class file")):
        if None not in (then.get(key), now.get(key)) and then[key] != now[key]:
            changed.append(f"{what}: {then[key]} -> {now[key]}")
    return "; ".join(changed)


def tree_changes(old: dict, new: dict, limit: int = 3, ignore: tuple[str, ...] = ("output.dir",),
                 shared_only: bool = False) -> str:
    """The keys whose values differ between two configs, as 'key: old -> new' ('' when none do), leaving out
    ``ignore`` (where a run lives) and, with ``shared_only``, the keys one of them lacks."""
    old, new = _flatten(old), _flatten(new)
    keys = (old.keys() & new.keys()) if shared_only else (old.keys() | new.keys())
    changed = [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in sorted(keys - set(ignore))
               if old.get(key) != new.get(key)]
    return "; ".join(changed[:limit]) + (f"; and {len(changed) - limit} more" if len(changed) > limit else "")


def _flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in (tree.items() if isinstance(tree, dict) else ()):
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class _Section(BaseModel):
    # Strict: a figure written as "0.41" or true is a broken file, not a number to guess at. Extra keys are
    # allowed: a file from a newer segbench still reads, and a rewrite (scripts/add_statistics.py) keeps them.
    # What segbench added over time is optional (absent, not None, in older files: runs finished before it).
    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)


Fraction = Annotated[float, Field(ge=0, le=1)]
Interval = Annotated[list[float], Field(min_length=2, max_length=2)]  # [low, high]


class Figures(_Section):
    """One protocol's figures over the split; ``per_class_iou`` holds None for a class that leaves the mean."""

    protocol: Literal["paper", "standard"]
    per_class_iou: list[Fraction | None]
    miou: Fraction
    fiou: Fraction
    pixel_accuracy: Fraction
    boundary_miou: Fraction | None = None
    boundary_per_class_iou: list[Fraction | None] | None = None


class ProtocolIntervals(_Section):
    miou: Interval
    fiou: Interval
    pixel_accuracy: Interval
    per_class_iou: list[Interval | None]  # None for a class absent from every resample
    boundary_miou: Interval | None = None


class Intervals(_Section):
    """The percentile bootstrap over test images (:func:`segbench.bootstrap.intervals`)."""

    level: Fraction
    method: str
    resamples: NonNegativeInt
    seed: int
    paper: ProtocolIntervals
    standard: ProtocolIntervals
    ece: Interval | None = None


class Reliability(_Section):
    lower: list[float]
    pixels: list[NonNegativeInt]
    confidence: list[float | None]  # None where a bin is empty
    accuracy: list[float | None]


class Calibration(_Section):
    ece: Fraction
    nll: Annotated[float, Field(ge=0)] | None  # None where no pixel was scored
    bins: NonNegativeInt
    pixels: NonNegativeInt
    reliability: Reliability
    void: str | None = None  # the rule for void pixels; absent (older runs): a void class's pixels counted


class BoundaryBand(_Section):
    ratio: float
    distance: str
    void: str | None = None  # the rule for void pixels; absent: the standard bands kept those on a void class


class Distribute(_Section):
    strategy: str
    replicas: NonNegativeInt


class Seconds(_Section):
    train: float
    evaluate: float


class Environment(_Section):
    """Where the run ran; the backend's framework version is an extra key under its own name (``tensorflow``)."""

    backend: str
    keras: str
    python: str | None = None
    machine: str | None = None
    cpu: str | None = None
    devices: list[str] | None = None


class Scored(_Section):
    """What the figures are of."""

    dataset: str
    model: str
    split: str
    num_images: NonNegativeInt
    classes: list[str] = Field(min_length=1)  # names in label-index order
    ignore_index: int | None  # the dataset's void label


class Metrics(Figures, Scored):
    """``metrics.json``: what was scored, the paper protocol's figures at the top level (the bases come first, in
    this order, so that the file keeps the order it has always had), the standard protocol's under ``standard``,
    then the rest. Required: what every segbench has written; optional: what came later, and the record of how
    the run went, which readers show as '?' where it is missing."""

    standard: Figures
    boundary: BoundaryBand | None = None
    calibration: Calibration | None = None
    confusion_matrix: list[list[NonNegativeInt]]  # counts over the split, rows = ground truth
    intervals: Intervals | None = None
    config_sha256: str | None = None
    # The bytes of config.yaml when the run finished: the resolved config's hash above follows the schema, which
    # grows keys with defaults from one version to the next, so only the file itself tells an edit from an upgrade.
    config_file_sha256: str | None = None
    decoding_sha256: str | None = None  # how the labels were read as classes (DatasetAdapter.decoding)
    dataset_root: str | None = None  # the data's folder, absolute, as the run read it
    class_file: str | None = None  # a folder dataset's class file, absolute, as the run read it
    plugins_sha256: dict[str, str] | None = None  # each plugin file the config imported -> its SHA-256
    weights_sha256: dict[str, str] | None = None  # each weights file the run left (best, last) -> its SHA-256
    loss_ignore_index: int | None = None  # the label the loss skipped (train.ignore_index resolved)
    seed: int | None = None
    epochs: NonNegativeInt | None = None
    scored_epoch: NonNegativeInt | None = None
    precision: str | None = None
    distribute: Distribute | None = None
    seconds: Seconds | None = None
    environment: Environment | None = None
    finished: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Metrics:
        if self.protocol != "paper" or self.standard.protocol != "standard":
            raise ValueError("protocol must be paper at the top level and standard under standard")
        if None in self.per_class_iou:
            raise ValueError("per_class_iou: the paper protocol scores every class, so none may be null")
        # What readers zip with the classes must have one entry per class, or a report's columns would shift.
        count = len(self.classes)
        for name, values in (("per_class_iou", self.per_class_iou),
                             ("boundary_per_class_iou", self.boundary_per_class_iou),
                             ("standard.per_class_iou", self.standard.per_class_iou),
                             ("standard.boundary_per_class_iou", self.standard.boundary_per_class_iou)):
            if values is not None and len(values) != count:
                raise ValueError(f"{name} has {len(values)} entries for {count} classes")
        widths = sorted({len(row) for row in self.confusion_matrix})
        if len(self.confusion_matrix) != count or widths != [count]:
            raise ValueError(f"confusion_matrix is not {count}x{count} for {count} classes "
                             f"({len(self.confusion_matrix)} rows of {', '.join(map(str, widths)) or 0})")
        return self


class Exported(_Section):
    """The exported file ``segbench evaluate --onnx`` ran instead of the run's Keras model."""

    file: str
    sha256: str
    precision: Literal["float32", "fp16", "int8"]
    bytes: NonNegativeInt
    runtime: str  # "onnxruntime 1.32.0"


class Mode(_Section):
    """How ``segbench evaluate`` scored: the test-time views (:class:`segbench.engine.inference.Views`), the
    corruption (:mod:`segbench.data.corrupt`), the weights and, where a file computed instead of Keras, that
    file."""

    name: str  # the file's name in eval/, without .json
    weights: str
    weights_sha256: str
    flip: bool
    scales: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)
    window: list[Annotated[int, Field(gt=0)]] | None = Field(None, min_length=2, max_length=2)
    stride: Annotated[int, Field(gt=0)] | None = None
    corruption: str | None = None
    severity: Annotated[int, Field(ge=1, le=5)] | None = None
    corruption_seed: int | None = None
    seconds: Annotated[float, Field(ge=0)]
    onnx: Exported | None = None


class Rescored(Metrics):
    """``eval/<mode>.json``: a run scored again, as ``metrics.json`` is, and how."""

    mode: Mode


def eval_path(run_dir: Path, mode: str) -> Path:
    return run_dir / EVAL / f"{mode}.json"


def write_eval(run_dir: Path, metrics: dict) -> dict:
    """Check ``metrics`` against :class:`Rescored` and write it atomically as ``eval/<mode name>.json``."""
    path = eval_path(run_dir, metrics["mode"]["name"])
    checked = _checked(Rescored, metrics, path)
    write_json(path, checked)
    return checked


def read_eval(run_dir: Path, mode: str) -> dict | None:
    """The run's ``eval/<mode>.json`` checked against :class:`Rescored`, or None where there is none."""
    path = eval_path(run_dir, mode)
    if not path.is_file():
        return None
    try:
        found = json.loads(read_record(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    checked = _checked(Rescored, found, path)
    if checked["mode"]["name"] != mode:  # eval/single.json copied over flip.json was read as the flip scoring
        raise DataError(f"{path}: holds the scoring {checked['mode']['name']!r}, not {mode!r}")
    if config_edited(run_dir, checked):  # another run's scoring copied in was shown, and compared, as this run's
        raise DataError(f"{path}: a scoring of another config than {run_dir / CONFIG} (another run's, copied in, or "
                        "one made before the config changed); score the run again with `segbench evaluate`")
    return checked


def checked_metrics(metrics: dict, source: Path) -> dict:
    """``metrics`` as the schema has it (the keys it was given, figures as floats), or one line naming ``source``
    and what is wrong."""
    return _checked(Metrics, metrics, source)


def _checked(schema: type[Metrics], metrics: dict, source: Path) -> dict:
    try:
        return schema.model_validate(metrics).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise DataError(f"{source}: not a segbench metrics file ({_problems(exc)})") from None


def _problems(exc: ValidationError, limit: int = 3) -> str:
    missing = [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "missing"]
    wrong = [f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg'].removeprefix('Value error, ')}"
             for e in exc.errors() if e["type"] != "missing"]
    found = ([f"missing {', '.join(missing)}"] if missing else []) + wrong
    return "; ".join(found[:limit]) + (f"; and {len(found) - limit} more" if len(found) > limit else "")


def read_metrics(run_dir: Path, config_unchanged: bool = True) -> dict:
    """The run's ``metrics.json``, checked against :class:`Metrics`. A dict, as the JSON is: a section a run
    predates is absent, and readers (the report, compare, the scripts) look it up as they always have. Unless
    ``config_unchanged`` is False, a ``config.yaml`` (or a plugin file it imported) changed since the run finished
    is refused: every reader shows or rebuilds the run from it, and would put its figures beside a config they were
    not computed with."""
    path = run_dir / METRICS
    try:
        metrics = json.loads(read_record(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    checked = checked_metrics(metrics, path)
    if config_unchanged and config_edited(run_dir, checked):
        raise DataError(f"{run_dir / CONFIG}: changed since the run finished ({METRICS} records another file), so "
                        "its figures are not this config's; restore it, or run the edited config into a new folder")
    changed = plugin_changed(checked) if config_unchanged else None  # its code is part of the config
    if changed:
        raise DataError(f"{changed}: the plugin {run_dir} imported has changed (or gone) since the run finished, so "
                        "its model is not the one scored; restore it, or run the config again")
    return checked


def plugin_changed(metrics: dict) -> str | None:
    """The first plugin file the run imported that is not as it was then (None when all are): a model's code
    edited keeps its weights' shapes, and another model's score was written as the run's re-scoring."""
    for plugin, digest in (metrics.get("plugins_sha256") or {}).items():
        try:
            if sha256(plugin) == digest:
                continue
        except OSError:
            pass
        return plugin
    return None


def config_edited(run_dir: Path, metrics: dict) -> bool:
    """Whether the run's ``config.yaml`` differs from the one its ``metrics.json`` records (runs finished before
    that record: never said)."""
    recorded, config = metrics.get("config_file_sha256"), run_dir / CONFIG
    try:
        return recorded is not None and sha256(config) != recorded
    except OSError:
        return True  # gone or unreadable: not the file the run finished with


def write_metrics(run_dir: Path, metrics: dict) -> dict:
    """Check ``metrics`` against :class:`Metrics` and write it atomically as the run's ``metrics.json``; returns
    what was written."""
    checked = checked_metrics(metrics, run_dir / METRICS)
    write_json(run_dir / METRICS, checked)
    return checked


# What the per-image file holds besides ``ids``: evaluate()'s per-image arrays under these names.
PER_IMAGE_ARRAYS = {"matrices": "per_image", "boundary": "boundary", "confidence": "confidence", "nll": "nll"}


def per_image_path(run_dir: Path, mode: str | None = None) -> Path:
    """Where the per-image arrays of the run's own scoring are, or of its re-scoring ``mode``
    (``eval/<mode>.npz``, beside ``eval/<mode>.json``)."""
    return run_dir / PER_IMAGE if mode is None else eval_path(run_dir, mode).with_suffix(".npz")


def write_per_image(run_dir: Path, samples: list, scored: dict, ignore_index: int | None,
                    mode: str | None = None) -> None:
    """The per-image arrays of a detailed ``evaluate``, each image named by its file name; for the run's own scoring,
    also each image's figures worst first, each named as ``predictions/`` names it (without its suffix)."""
    arrays = {name: scored[key] for name, key in PER_IMAGE_ARRAYS.items()}
    with atomic_path(per_image_path(run_dir, mode)) as tmp:
        np.savez_compressed(tmp, ids=np.array([sample.name for sample in samples]), **arrays)
    if mode is None:
        table = worst_first([sample.stem for sample in samples], arrays, ignore_index)
        write_text(run_dir / WORST_FIRST, table.to_csv(index=False))


def worst_first(names: list[str], arrays: dict, ignore_index: int | None) -> pd.DataFrame:
    """Per image: its mIoU and Boundary mIoU under the standard protocol (over the classes in its labels or its
    prediction, the void class left out: on one image, the paper protocol's zeros for absent classes would swamp
    it), its pixel accuracy and its calibration error, in %, lowest mIoU first."""
    import pandas as pd

    figures = summarize_stack(arrays["matrices"], "standard", ignore_index)
    table = pd.DataFrame({"image": names, "miou": 100 * figures["miou"],
                          "pixel_accuracy": 100 * figures["pixel_accuracy"]})
    if "boundary" in arrays:
        table["boundary_miou"] = 100 * boundary.summarize_stack(arrays["boundary"], "standard", ignore_index)["miou"]
    if "confidence" in arrays:
        table["ece"] = 100 * calibration.ece(arrays["confidence"])
    return table.round(2).sort_values("miou", kind="stable").reset_index(drop=True)


def read_per_image(run_dir: Path, mode: str | None = None) -> dict:
    """The per-image arrays of a finished run (or of its re-scoring ``mode``): ``ids`` (a list), ``matrices`` and,
    for runs since they were kept, ``boundary``, ``confidence`` and ``nll``; one line where the file is not
    there."""
    path = per_image_path(run_dir, mode)
    if path.exists() and not path.is_file():
        raise DataError(f"{path}: unreadable (it {why_not_a_file(path)})")
    if not path.is_file():
        again = ("runs finished before segbench kept it get it from `python scripts/add_statistics.py RUN_DIR`"
                 if mode is None else f"scorings made before segbench kept it get it from `segbench evaluate` "
                                      f"again with the options of {EVAL}/{mode}.json")
        raise DataError(f"{path}: missing; {again}")
    try:
        with np.load(path) as saved:
            found = {name: saved[name] for name in saved.files if name in PER_IMAGE_ARRAYS}
            found["ids"] = [str(i) for i in saved["ids"]]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # numpy: empty; zipfile: cut short
        raise DataError(f"{path}: unreadable ({exc})") from None
    if "matrices" not in found:
        raise DataError(f"{path}: unreadable (no matrices in it)")
    matrices = found["matrices"]
    # What the bootstrap resamples must be counts, one square matrix per named image; anything else is a damaged
    # file, said as such rather than blamed on the images it names.
    if (matrices.ndim != 3 or matrices.shape[1] != matrices.shape[2] or len(matrices) != len(found["ids"])
            or not np.issubdtype(matrices.dtype, np.integer) or (matrices < 0).any()):
        raise DataError(f"{path}: damaged (its matrices are not one confusion matrix of whole counts per image: "
                        f"{matrices.dtype} of shape {matrices.shape} for {len(found['ids'])} images)")
    return found
