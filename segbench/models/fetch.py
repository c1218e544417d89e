"""Pretrained files fetched on first use: downloaded with Keras' own ``get_file`` into a hidden folder of the cache,
checked, then moved into place in one step, so that a download cut short or a wrong file is never where a later run
would take it for whole. Every failure is one line naming the URL or the file and how to place it by hand."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import keras

from segbench.errors import ConfigError, first_line
from segbench.io import why_not_a_file, write_json
from segbench.models.weights import Mismatch, match_legacy_h5
from segbench.pretrained import (
    MIRROR_ENV,
    OFFLINE_ENV,
    PRETRAINED,
    TIMEOUT_ENV,
    Pretrained,
    cached,
    offline,
    record_path,
    source_url,
    timeout,
    verified_by,
)

DOWNLOAD_PREFIX = ".segbench-download-"
# A download folder untouched for this long is one a killed process left behind (a live download's file is
# written to as it grows): removed by the next fetch into the same cache.
STALE_SECONDS = 3600


def _mobilenet() -> keras.Model:
    # The weights do not depend on the input size: the smallest MobileNet takes builds fastest.
    return keras.applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3))


def _pspnet_50() -> keras.Model:
    from segbench.registry import MODELS  # here: segbench.models.pspnet50 imports the encoders, which import us

    config = MODELS.options("pspnet_50").model_validate({"name": "pspnet_50", "input_size": [64, 64]})
    return MODELS.get("pspnet_50")(config, 150)  # the release's 150 ADE20K classes: conv6 must fit too


# The model each ``Pretrained.layers`` names: a file without a published hash must fit its layers exactly.
LAYER_CHECKS = {"mobilenet": _mobilenet, "pspnet_50": _pspnet_50}


def ensure(entry: Pretrained) -> Path:
    """The entry's file in the cache: downloaded and checked first where it is not there (unless SEGBENCH_OFFLINE),
    checked first where it was placed by hand and not checked yet."""
    path = cached(entry)
    url = source_url(entry)
    if path.is_file():
        if verified_by(path) is None:
            problem = check(entry, path)
            if problem:
                raise ConfigError(f"{entry.setting}: {path} {problem}; delete it (segbench downloads it again) or "
                                  f"place {url} there")
            _record(entry, path)
        return path
    if path.exists() or path.is_symlink():  # a folder, a FIFO, a link to /dev/zero: "not there" sent users looking
        raise ConfigError(f"{entry.setting} needs {path}, which {why_not_a_file(path)}; move it away, then place {url} "
                          f"there{'' if offline() else ' or let segbench download it'}")
    if offline():
        raise ConfigError(f"{entry.setting} needs {path}, which is not there and is not downloaded here: place {url} "
                          f"there, or set {entry.key}: null")
    return _fetch(entry, path, url)


def check(entry: Pretrained, path: Path) -> str | None:
    """What is wrong with the file at ``path`` as the entry's file, worded to follow its name; None if nothing."""
    if entry.md5 is not None:
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
        found = digest.hexdigest()
        return None if found == entry.md5 else f"has md5 {found}, not {entry.md5} (cut short, damaged or another file)"
    model = LAYER_CHECKS[entry.layers]()
    try:
        match_legacy_h5(model, path)
    except Mismatch as exc:
        return str(exc)
    return None


def _fetch(entry: Pretrained, path: Path, url: str) -> Path:
    by_hand = (f"place {url} at {path} by hand (or point {MIRROR_ENV} at a mirror of these files; "
               f"{OFFLINE_ENV}=1 never downloads), or set {entry.key}: null")
    mirrored = url != entry.url  # placing the very file a mirror served, or failed to serve, was the advice
    unset = f"(or unset it: the file's own release is {entry.url}), or set {entry.key}: null"
    seconds = timeout()
    path.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(path.parent)
    folder = Path(tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX, dir=path.parent))
    try:
        part = folder / entry.file
        reason = _download(url, part, seconds)
        if reason:
            advice = f"check that the mirror {MIRROR_ENV} names serves {entry.file} {unset}" if mirrored else by_hand
            raise ConfigError(f"{entry.setting} needs {path}: downloading {url} failed ({reason}); {advice}")
        problem = check(entry, part)
        if problem:
            advice = f"put a good copy of {entry.file} in the mirror {MIRROR_ENV} names {unset}" if mirrored \
                else by_hand
            raise ConfigError(f"{entry.setting}: the file downloaded from {url} {problem}, so it was not kept; "
                              f"{advice}")
        os.replace(part, path)
        _record(entry, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return path


def _download(url: str, target: Path, seconds: float) -> str | None:
    """Fetch ``url`` to ``target`` with Keras' progress bar; None, or why it failed."""
    if url.startswith("file://"):  # a mirror folder: a FIFO there blocked the read for good, past any timeout
        source = Path(url2pathname(urlparse(url).path))
        if not source.is_file():
            return f"{source} {why_not_a_file(source)}"
    # get_file sets no timeout: without one, a server that accepts and never answers would hold the run for ever.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        keras.utils.get_file(fname=target.name, origin=url, cache_dir=str(target.parent), cache_subdir=".")
    except Exception as exc:  # noqa: BLE001  (get_file turns urllib's errors into plain Exceptions)
        reason = first_line(exc).removeprefix(f"URL fetch failure on {url}: ")
        # get_file writes "<code> -- <reason>", with None for a code where the connection itself failed.
        code, dashes, why = reason.partition(" -- ")
        reason = (why if code == "None" else f"{code} {why}") if dashes else reason
        if isinstance(exc, TimeoutError) or "timed out" in reason:
            return f"no answer within {seconds:g} s; {TIMEOUT_ENV} sets how long to wait"
        return reason
    finally:
        socket.setdefaulttimeout(previous)
    return None


def _record(entry: Pretrained, path: Path) -> None:
    stat = path.stat()
    how = f"md5 {entry.md5}" if entry.md5 else f"layer names and shapes of {entry.layers}"
    write_json(record_path(path), {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "check": how})


def _clear_stale(cache: Path) -> None:
    for folder in cache.glob(f"{DOWNLOAD_PREFIX}*"):
        try:
            touched = max([folder.stat().st_mtime, *(part.stat().st_mtime for part in folder.iterdir())])
            if time.time() - touched > STALE_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # not a folder, or another process removed it first
            continue


def needed(model_config) -> list[Pretrained]:
    """The pretrained files a run of this model config will read."""
    from segbench.registry import MODELS

    wanted = []
    encoder = getattr(MODELS.get(model_config.name), "encoder", None)
    if model_config.encoder_weights == "imagenet" and getattr(encoder, "pretrained", None):
        wanted.append(PRETRAINED[encoder.pretrained])
    weights = getattr(model_config, "weights", None)
    return wanted + [entry for entry in PRETRAINED.values() if (entry.key, entry.value) == ("model.weights", weights)]


def ensure_all(entries) -> dict[str, str | None]:
    """Each entry's file in the cache, fetched or checked as ``ensure`` does, all of them tried: by name, None for
    a file that is there, else the line that says why it cannot be had."""
    problems = {}
    for entry in entries:
        if entry.name not in problems:
            try:
                ensure(entry)
                problems[entry.name] = None
            except ConfigError as exc:
                problems[entry.name] = str(exc)
    return problems
