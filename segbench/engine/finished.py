"""Whether a folder's finished run is the run a config asks for: the same config (by its hash, which a hand edit of
``config.yaml`` cannot pass for), the same data and the same plugin code. Framework-free, so that a sweep looks at
every job's folder before its first run, as ``run`` does under the folder's lock."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from segbench.errors import ConfigError, DataError, SegbenchError
from segbench.io import load_yaml, read_record
from segbench.plugins import unrecorded
from segbench.registry import DATASETS, plugin_files
from segbench.rundir import (
    CONFIG,
    METRICS,
    config_edited,
    data_record_changes,
    plugin_changed,
    read_metrics,
    tree_changes,
)
from segbench.schema import Config


def finished_conflict(run_dir: Path, config: Config, resolved: dict, advice: str) -> SegbenchError | None:
    """Why the finished run in ``run_dir`` is not the run of ``config`` (``resolved``: its dump), ending in
    ``advice`` (the way out the caller's verb has); None when it is that run."""
    changes = finished_changes(run_dir, resolved)
    if changes:
        return ConfigError(f"{run_dir}: holds a finished run of another config ({changes}); {advice}")
    changes = data_changes(run_dir, config)
    if changes:
        return DataError(f"{run_dir}: holds a finished run of this config on other data ({changes}); {advice}")
    other = unrecorded(read_metrics(run_dir).get("plugins_sha256"), plugin_files(config))
    if other:
        return ConfigError(f"{run_dir}: holds a finished run of other plugin code than this config loads from here "
                           f"({other}, which the run did not load); {advice}")
    return None


def config_hash(resolved: dict) -> str:
    """SHA-256 of the resolved config as canonical JSON, without ``output.dir`` (a run may be moved)."""
    kept = {**resolved, "output": {k: v for k, v in resolved.get("output", {}).items() if k != "dir"}}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def finished_changes(run_dir: Path, resolved: dict) -> str:
    """How ``resolved`` differs from the config of the finished run in ``run_dir`` ('' when it is the same).
    ``metrics.json`` records the hash of the config that was run, so a hand-edited ``config.yaml`` cannot pass for
    it; runs finished before that record fall back to ``config.yaml``."""
    changes = config_changes(run_dir / CONFIG, resolved)
    try:
        metrics = read_metrics(run_dir, config_unchanged=False)
    except DataError:
        return f"{METRICS} unreadable"
    recorded = metrics.get("config_sha256")
    plugin = plugin_changed(metrics)
    if plugin:
        return changes or f"the plugin {plugin} changed since"
    if not config_edited(run_dir, metrics) and recorded in (None, config_hash(resolved)):
        return changes
    return changes or "config.yaml was edited after the run: it no longer matches the config metrics.json records"


def data_changes(run_dir: Path, config: Config) -> str:
    """How the dataset the config names now differs from the one the finished run in ``run_dir`` was scored on
    ('' when it does not): one config reads a class file and a split that may have been edited since, and a finished
    run skipped as such would be reported under class names, or over images, its figures were not computed on."""
    recorded = read_metrics(run_dir)
    try:
        adapter = DATASETS.get(config.dataset.name)(config.dataset)
        scored = len(adapter.samples(config.eval.split))
    except SegbenchError:
        return ""  # the data cannot be read now: the finished run stands as it was, and a new run would say why
    now = {**adapter.data_record(), "dataset_root": None, "class_file": None, "num_images": scored,
           "split": config.eval.split}
    return data_record_changes(recorded, now)  # places not compared: a relative one is refused where it differs


def config_changes(path: Path, resolved: dict, limit: int = 3) -> str:
    """The keys whose values differ between the config saved at ``path`` and ``resolved``, as 'key: old -> new'."""
    try:
        saved = load_yaml(read_record(path)) or {}
    except (OSError, yaml.YAMLError):
        return f"{path.name} unreadable"
    return tree_changes(saved, resolved, limit)
