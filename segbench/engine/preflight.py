"""What a run reads before it trains, checked before it starts: the dataset's root, and any weights file its
config names. Cheap and framework-free, so that a sweep checks every config's before its first run (six runs that
each fail on the same missing folder, one after the other, tell the user nothing the first could not)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from segbench.data.base import refuse_out_in_the_data
from segbench.errors import ConfigError, DataError, SegbenchError
from segbench.io import why_not_a_file
from segbench.pretrained import PRETRAINED
from segbench.registry import DATASETS
from segbench.rundir import foreign_config, replaced_with_a_run, run_folder_of
from segbench.schema import Config

# Weights named rather than given as files (imagenet, ade20k): fetched into the cache and checked there, by the
# sweep's own look for them (engine/sweep.py) or where the model is built.
NAMED_WEIGHTS = frozenset(entry.value for entry in PRETRAINED.values())


def problems(config: Config) -> list[SegbenchError]:
    """One error per thing ``config`` needs that is not there (empty when all is)."""
    found = []
    adapter = DATASETS.get(config.dataset.name)(config.dataset)
    try:
        # The adapter's own listing of the split the run scores: an adapter of files stops there with the one line
        # naming its missing root or folder, one that draws its samples in memory (the synthetic set, a plugin's)
        # has nothing to look for and lists at once; no flag of its own to declare.
        for split in dict.fromkeys(("train", config.eval.split)):  # an image of a format not read, too
            adapter.whole_split(split)
    except DataError as exc:
        found.append(exc)
    try:  # its predictions/ joined the test split as images, and the next run trained on them
        refuse_out_in_the_data(adapter, config.run_dir(), "the run")
    except DataError as exc:
        found.append(exc)
    # A run inside another run's folder (its eval/ or predictions/) is removed with them when that run is scored
    # again or started over, without a word.
    outer = run_folder_of(config.run_dir().parent)
    if outer is not None:
        found.append(ConfigError(replaced_with_a_run(config.run_dir(), outer, "give --out a folder of its own")))
    # A user's own config.yaml where the run would write its own: refused by the run, but only once a sweep had begun.
    foreign = foreign_config(config.run_dir())
    if foreign is not None:
        found.append(foreign)
    # Keras' TensorBoard callback writes through tf.summary, which needs the tensorboard package (TensorFlow's wheel
    # does not bring it): found missing once training began, it left a config.yaml that looked resumable.
    if config.train.tensorboard and importlib.util.find_spec("tensorboard") is None:
        found.append(ConfigError("train.tensorboard: true needs the tensorboard package: pip install "
                                 "'segbench[cluster]' (or pip install tensorboard)"))
    for key in ("encoder_weights", "weights"):  # weights: a whole model's pretrained file (pspnet_50)
        value = getattr(config.model, key, None)
        if value is not None and value not in NAMED_WEIGHTS and not Path(value).is_file():
            # A folder or a FIFO there was "no such file" of a path `ls` shows.
            said = why_not_a_file(value)
            found.append(ConfigError(f"model.{key}: {value}: {'no such file' if said == 'not found' else said}"))
    return found


def check(config: Config) -> None:
    """Raise what ``problems`` finds: the one error, or all of them in one line."""
    found = problems(config)
    if len(found) == 1:
        raise found[0]
    if found:
        raise SegbenchError("; ".join(map(str, found)))
