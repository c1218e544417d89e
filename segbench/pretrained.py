"""The pretrained weight files segbench knows, as data: where each is cached, where it comes from, how it is checked
and which config asks for it; and the environment that steers downloads. No Keras here: ``segbench weights list``
reads this and the cache without loading a framework."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from segbench.errors import ConfigError
from segbench.io import why_not_a_file

KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"
# Where the converted PSPNet-50 ADE20K release is published: the URL the older library downloads it from
# (divamgupta/image-segmentation-keras, keras_segmentation/pretrained.py, pspnet_50_ADE_20K).
PSPNET50_ADE20K_URL = "https://www.dropbox.com/s/0uxn14y26jcui4v/pspnet50_ade20k.h5?dl=1"

OFFLINE_ENV = "SEGBENCH_OFFLINE"   # 1: never download, as before segbench fetched anything
MIRROR_ENV = "SEGBENCH_WEIGHTS_URL"  # a base URL that serves every file under its own name
TIMEOUT_ENV = "SEGBENCH_WEIGHTS_TIMEOUT"  # seconds without an answer before a download gives up
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Pretrained:
    """One file. ``file``: its name in the cache ($KERAS_HOME/models), the name keras.applications looks for;
    ``md5``: the hash Keras ships for it, or None where there is none and ``layers`` names the model whose layer
    names and weight shapes the file must fit instead; ``key``/``value``: the config setting that asks for it,
    ``models``: which models read it."""

    name: str
    file: str
    url: str
    md5: str | None
    layers: str | None
    key: str
    value: str
    models: str

    @property
    def setting(self) -> str:
        return f"{self.key}: {self.value}"


# The md5 hashes are those keras.applications passes to get_file for these files (vgg16.py, resnet.py).
# Keras publishes none for MobileNet (mobilenet.py calls get_file without one), nor does the PSPNet release:
# those two are checked by their layer names and weight shapes against the model that reads them.
PRETRAINED = {entry.name: entry for entry in (
    Pretrained("vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               f"{KERAS_WEIGHTS}vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "6d6bbae143d832006294945121d1f1fc", None, "model.encoder_weights", "imagenet", "vgg_*"),
    Pretrained("resnet50", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
               f"{KERAS_WEIGHTS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "4d473c1dd8becc155b73f8504c6f6626", None, "model.encoder_weights", "imagenet", "resnet50_*"),
    Pretrained("mobilenet", "mobilenet_1_0_224_tf_no_top.h5",
               f"{KERAS_WEIGHTS}mobilenet/mobilenet_1_0_224_tf_no_top.h5",
               None, "mobilenet", "model.encoder_weights", "imagenet", "mobilenet_*"),
    Pretrained("pspnet50_ade20k", "pspnet50_ade20k.h5", PSPNET50_ADE20K_URL,
               None, "pspnet_50", "model.weights", "ade20k", "pspnet_50"),
)}
def keras_cache() -> Path:
    """Where keras.applications keeps downloaded weights: $KERAS_HOME/models, by default ~/.keras/models."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "models"


def cached(entry: Pretrained) -> Path:
    return keras_cache() / entry.file


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0")


def source_url(entry: Pretrained) -> str:
    """The entry's own URL, or the file under the mirror that SEGBENCH_WEIGHTS_URL names: a URL, or a folder (a
    shared disk; as a path, urllib said only "unknown url type")."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror and "://" not in mirror:
        mirror = Path(mirror).expanduser().resolve().as_uri()
    return f"{mirror.rstrip('/')}/{entry.file}" if mirror else entry.url


def timeout() -> float:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:  # NaN is not
        raise ConfigError(f"{TIMEOUT_ENV}={text}: expected a number of seconds above 0")
    return seconds


# What a file is known to be: written beside it once it passed its check (``.<file>.verified``), holding its size
# and modification time then, so that a file replaced or changed since reads as unchecked again.
def record_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def verified_by(path: Path) -> str | None:
    """How the file at ``path`` was checked ("md5 ..." or "layers of ..."), None where it was not (or changed)."""
    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or [record.get("size"), record.get("mtime_ns")] != [stat.st_size,
                                                                                      stat.st_mtime_ns]:
        return None
    return str(record.get("check"))


def listing() -> list[dict]:
    """One row per known file: where it is cached, its size, whether it is there and how it was checked."""
    rows = []
    for entry in PRETRAINED.values():
        path = cached(entry)
        there = path.is_file()
        blocked = why_not_a_file(path) if not there and (path.exists() or path.is_symlink()) else None
        rows.append({"name": entry.name, "path": str(path), "bytes": path.stat().st_size if there else None,
                     "blocked": blocked,
                     "verified": verified_by(path) if there else None, "setting": entry.setting,
                     "models": entry.models, "url": source_url(entry)})
    return rows
