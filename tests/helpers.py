"""Small datasets and run folders written by the tests themselves, and the command's verbs and actions."""

import argparse
import shutil
import types
from pathlib import Path

import cv2
import numpy as np
import yaml

from segbench import rundir


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser) of every verb and action under ``parser``, the top level first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def commands() -> list[tuple[str, ...]]:
    """The words of every verb and action that ``segbench`` runs (not a verb that only groups its actions)."""
    from segbench.cli import build_parser

    paths = [path for path, _ in parsers(build_parser())]
    return [path for path in paths if path and not any(other[:len(path)] == path != other for other in paths)]


def loads_keras(path: tuple[str, ...]) -> bool:
    """Whether ``segbench`` loads Keras before it runs the verb (and action) ``path``."""
    from segbench.cli import _needs_keras

    return _needs_keras(types.SimpleNamespace(verb=path[0], action=path[1] if len(path) > 1 else None))


def one_error_line(result) -> str:
    """The one line a failed ``segbench`` process printed, after checking that it is one line, exit 2."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("segbench: error: ")
    return lines[0]


def write_pair(images: Path, labels: Path, stem: str, label: np.ndarray, image_suffix=".jpg", label_suffix=".png"):
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(len(stem)).integers(0, 255, (*label.shape[:2], 3), dtype=np.uint8)
    cv2.imwrite(str(images / f"{stem}{image_suffix}"), image)
    cv2.imwrite(str(labels / f"{stem}{label_suffix}"), label)
    return images / f"{stem}{image_suffix}", labels / f"{stem}{label_suffix}"


def stripes(height: int, width: int, values) -> np.ndarray:
    """A label with vertical stripes of the given class values."""
    label = np.zeros((height, width), np.uint8)
    for i, value in enumerate(values):
        label[:, i * width // len(values):(i + 1) * width // len(values)] = value
    return label


def write_metrics(folder: Path, classes, ious, **fields) -> dict:
    """A finished run's ``metrics.json`` in ``folder``, written through segbench's own schema: the least a run
    holds, its figures from the per-class IoU ``ious`` (paper protocol, in ``classes`` order), then ``fields`` on
    top (``standard``'s keys on top of its own)."""
    miou = float(np.mean(ious))
    figures = {"per_class_iou": list(ious), "miou": miou, "fiou": miou, "pixel_accuracy": 0.5}
    metrics = {"dataset": "synthetic", "model": folder.name.split("-seed")[0], "split": "test", "num_images": 4,
               "classes": list(classes), "ignore_index": None, "protocol": "paper", **figures,
               "confusion_matrix": np.eye(len(classes), dtype=int).tolist(), **fields,
               "standard": {"protocol": "standard", **figures, **fields.get("standard", {})}}
    folder.mkdir(parents=True, exist_ok=True)
    return rundir.write_metrics(folder, metrics)


# A model in one file outside segbench, as the "Plugins" section of docs/models.md writes one: a ModelConfig subclass
# with a key of its own, and the builder registered under ``name``.
MODEL_PLUGIN = '''\
import keras
from pydantic import Field

from segbench.registry import MODELS
from segbench.schema import ModelConfig


class TinyConfig(ModelConfig):
    filters: int = Field(8, ge=1)


def build(config, num_classes):
    image = keras.Input((*config.input_size, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255)(image)
    x = keras.layers.Conv2D(config.filters, 3, padding="same", activation="relu")(x)
    logits = keras.layers.Conv2D(num_classes, 1, dtype="float32", name="logits")(x)
    return keras.Model(image, logits, name=config.name)


build.default_classes = 12
MODELS.register({name!r}, options=TinyConfig)(build)
'''


def write_model_plugin(path: Path, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MODEL_PLUGIN.format(name=name))
    return path


def plugin_run_config(path: Path, model: str, imports=(), dataset: str = "{name: synthetic, image_size: [24, 32], "
                      "num_images: {train: 4, val: 2, test: 2}}", extra: str = "") -> Path:
    """A config of the smallest run there is (1 epoch of 4 images at 24x32) of the plugin model ``model``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"imports: {list(imports)}\n{extra}dataset: {dataset}\nmodel: {{name: {model}, input_size: [24, 32], "
                    "filters: 4}\ntrain: {epochs: 1, batch_size: 2}\neval: {figure_images: 0}\n")
    return path


def edited_copy(run: Path, dest: Path, edit=lambda text: text, ignore=None, **metrics) -> Path:
    """A copy at ``dest`` of the finished run ``run`` whose ``config.yaml`` is ``edit``-ed, and whose
    ``metrics.json`` records that file (and ``metrics``' keys) as a run of the edited config would have: the setup
    of tests on a run copied, reseeded or moved by hand."""
    from segbench.io import sha256

    shutil.copytree(run, dest, ignore=ignore)
    (dest / rundir.CONFIG).write_text(edit((dest / rundir.CONFIG).read_text()))
    rundir.write_metrics(dest, {**rundir.read_metrics(dest, config_unchanged=False),
                                "config_file_sha256": sha256(dest / rundir.CONFIG), **metrics})
    return dest


def reseeded(text: str) -> str:
    """A ``config.yaml`` as seed 1's of its recipe."""
    recipe = yaml.safe_load(text)
    return yaml.safe_dump({**recipe, "train": {**recipe["train"], "seed": 1}})


def after_each_epoch(patch, then) -> None:
    """``EpochScorer.on_epoch_end`` followed by ``then(epoch)`` (counted from 1), patched in with ``patch`` (a
    MonkeyPatch): a kill, an edit or a swap made just as an epoch has been saved."""
    from segbench.engine.train import EpochScorer

    original = EpochScorer.on_epoch_end

    def ended(self, epoch, logs=None):
        original(self, epoch, logs)
        then(epoch + 1)

    patch.setattr(EpochScorer, "on_epoch_end", ended)


def stop_at(stop_epoch: int, exc: type[BaseException] = KeyboardInterrupt):
    """A ``then`` for :func:`after_each_epoch` that raises ``exc`` at the end of epoch ``stop_epoch`` alone, so a
    resumed run in the same process goes on past it."""

    def stop(epoch):
        if epoch == stop_epoch:
            raise exc

    return stop
