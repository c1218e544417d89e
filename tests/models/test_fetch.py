"""Pretrained files fetched on first use, against a server on 127.0.0.1 that serves files the tests write (legacy
Keras 2 HDF5 files with the layer names and shapes a check expects, the expected md5 patched to theirs): nothing is
ever fetched from outside this machine, and nothing a failed download wrote is left in the cache."""

import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keras
import pytest
from keras import layers

from segbench import cli
from segbench.config import load_config
from segbench.data.imitation import imitate
from segbench.errors import ConfigError
from segbench.models import fetch
from segbench.pretrained import PRETRAINED, cached, listing, record_path
from segbench.registry import DATASETS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"


class Server:
    """Files by URL path; ``requests`` lists the paths asked for; a path in ``short`` is sent with a Content-Length
    larger than its body (a transfer cut off)."""

    def __init__(self):
        self.files, self.requests, self.short = {}, [], set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + 1000 * (self.path in server.short)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A local server as the mirror of every file, an empty Keras cache, downloads allowed."""
    monkeypatch.delenv("SEGBENCH_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    served = Server()
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", f"{served.url}/mirror")
    yield served
    served.close()


def tiny(name: str = "tiny", filters: int = 4) -> keras.Model:
    """What the layer checks are patched to: a model as small as one with a BatchNorm gets."""
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(filters, 3, use_bias=False, name="conv1")(inputs)
    return keras.Model(inputs, layers.BatchNormalization(name="conv1_bn")(x), name=name)


@pytest.fixture
def serve(server, write_legacy_h5, monkeypatch, tmp_path):
    """``serve(name, fits=True)``: the entry's file, a legacy HDF5 file of ``tiny()``, on the server (under the
    mirror), its expected md5 or layer check patched to match it, or to a file of other shapes where not ``fits``;
    returns the bytes served."""
    for check in fetch.LAYER_CHECKS:
        monkeypatch.setitem(fetch.LAYER_CHECKS, check, tiny)

    def put(name: str, fits: bool = True) -> bytes:
        entry = PRETRAINED[name]
        path = write_legacy_h5(tiny(filters=4 if fits else 6), tmp_path / f"{name}-served.h5")
        body = path.read_bytes()
        if entry.md5 is not None:
            digest = hashlib.md5(body if fits else b"another file").hexdigest()
            monkeypatch.setitem(PRETRAINED, name, replace(entry, md5=digest))
        server.files[f"/mirror/{entry.file}"] = body
        return body

    return put


def cache_is_empty() -> bool:
    cache = Path(os.environ["KERAS_HOME"]) / "models"
    return not cache.exists() or not any(cache.iterdir())


@pytest.mark.parametrize("name", ["vgg16", "mobilenet"])  # checked by md5, by layers
def test_a_good_file_is_fetched_once_then_reused(serve, server, name):
    body = serve(name)
    path = fetch.ensure(PRETRAINED[name])
    assert path == cached(PRETRAINED[name]) and path.read_bytes() == body
    assert fetch.ensure(PRETRAINED[name]) == path
    assert server.requests == [f"/mirror/{PRETRAINED[name].file}"]  # the second call asked nothing
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, record_path(path).name])
    row = next(row for row in listing() if row["name"] == name)
    assert row["bytes"] == len(body) and row["verified"].startswith("md5" if name == "vgg16" else "layer names")


@pytest.mark.parametrize("name, wrong", [("vgg16", "has md5 "), ("mobilenet", "has weights of shapes")])
def test_a_file_that_does_not_match_is_named_and_not_kept(serve, name, wrong):
    serve(name, fits=False)
    with pytest.raises(ConfigError) as error:
        fetch.ensure(PRETRAINED[name])
    message = str(error.value)
    assert "\n" not in message and wrong in message and "so it was not kept" in message
    assert f"/mirror/{PRETRAINED[name].file}" in message and "put a good copy of" in message
    assert cache_is_empty()


@pytest.mark.parametrize("case, reason", [("truncated", "retrieval incomplete"), ("404", "failed (404 ")])
def test_a_cut_transfer_or_a_404_is_one_line_naming_the_url_with_the_advice(serve, server, case, reason):
    entry = PRETRAINED["vgg16"]
    if case == "truncated":
        serve("vgg16")
        server.short.add(f"/mirror/{entry.file}")
    with pytest.raises(ConfigError) as error:
        fetch.ensure(entry)
    message = str(error.value)
    assert "\n" not in message and reason in message
    assert f"downloading {server.url}/mirror/{entry.file} failed" in message
    # From a mirror, it is the mirror to look at: placing the very file it failed to serve was the advice (probe 16c
    # case 11).
    assert f"check that the mirror SEGBENCH_WEIGHTS_URL names serves {entry.file} (or unset it: the file's own " \
        f"release is {entry.url}), or set model.encoder_weights: null" in message
    assert message.endswith("or set model.encoder_weights: null")
    assert cache_is_empty()


def test_a_server_that_never_answers_times_out(server, monkeypatch):
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts connections; nobody ever answers
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setenv("SEGBENCH_WEIGHTS_TIMEOUT", "1")
    start = time.monotonic()
    with silent, pytest.raises(ConfigError, match=r"failed \(no answer within 1 s; SEGBENCH_WEIGHTS_TIMEOUT"):
        fetch.ensure(PRETRAINED["resnet50"])
    assert time.monotonic() - start < 10
    assert cache_is_empty()


def test_no_server_at_all_is_the_same_one_line(server, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(ConfigError, match=f"downloading http://127.0.0.1:{port}/mobilenet_1_0_224_tf_no_top.h5 "
                                          r"failed \(\[Errno \d+\] Connection refused\); check that the mirror"):
        fetch.ensure(PRETRAINED["mobilenet"])
    assert cache_is_empty()


def test_a_bad_timeout_setting_is_refused(server, monkeypatch):
    monkeypatch.setenv("SEGBENCH_WEIGHTS_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="SEGBENCH_WEIGHTS_TIMEOUT=soon: expected a number of seconds above 0"):
        fetch.ensure(PRETRAINED["vgg16"])


def test_without_a_mirror_the_file_comes_from_its_own_url_and_with_one_from_the_mirror(serve, server, monkeypatch):
    body = serve("vgg16")
    entry = PRETRAINED["vgg16"]
    monkeypatch.setitem(PRETRAINED, "vgg16", replace(entry, url=f"{server.url}/origin/{entry.file}"))
    server.files[f"/origin/{entry.file}"] = body
    monkeypatch.delenv("SEGBENCH_WEIGHTS_URL")
    fetch.ensure(PRETRAINED["vgg16"])
    cached(entry).unlink()
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", f"{server.url}/mirror/")
    fetch.ensure(PRETRAINED["vgg16"])
    assert server.requests == [f"/origin/{entry.file}", f"/mirror/{entry.file}"]


def test_offline_keeps_the_old_line_and_asks_nothing(serve, server, monkeypatch):
    serve("mobilenet")
    monkeypatch.setenv("SEGBENCH_OFFLINE", "1")
    with pytest.raises(ConfigError, match="model.encoder_weights: imagenet needs .*mobilenet_1_0_224_tf_no_top.h5, "
                                          "which is not there and is not downloaded here: place .* there, or set "
                                          "model.encoder_weights: null"):
        fetch.ensure(PRETRAINED["mobilenet"])
    assert server.requests == [] and cache_is_empty()


def test_a_file_placed_by_hand_is_checked_once_and_a_bad_one_is_named_and_left_alone(serve, server):
    entry = PRETRAINED["vgg16"]
    body = serve("vgg16")
    path = cached(entry)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the weights")
    with pytest.raises(ConfigError, match=f"model.encoder_weights: imagenet: {path} has md5 .*; delete it"):
        fetch.ensure(entry)
    assert path.read_bytes() == b"not the weights"  # the user's file: named, not removed
    path.write_bytes(body)
    assert next(row for row in listing() if row["name"] == "vgg16")["verified"] is None
    fetch.ensure(PRETRAINED["vgg16"])
    assert server.requests == [] and record_path(path).is_file()


def test_a_download_folder_a_killed_fetch_left_is_cleared_by_the_next(serve):
    cache = Path(os.environ["KERAS_HOME"]) / "models"
    old, live = cache / f"{fetch.DOWNLOAD_PREFIX}old", cache / f"{fetch.DOWNLOAD_PREFIX}live"
    for folder in (old, live):
        folder.mkdir(parents=True)
        (folder / "part.h5").write_bytes(b"half")
    hours_ago = time.time() - 2 * fetch.STALE_SECONDS
    for path in (old / "part.h5", old):
        os.utime(path, (hours_ago, hours_ago))
    serve("vgg16")
    fetch.ensure(PRETRAINED["vgg16"])
    assert not old.exists() and live.is_dir()


def test_weights_fetch_suite_camvid_and_weights_list(serve, server, capsys):
    for name in PRETRAINED:
        serve(name)
    assert cli.main(["weights", "fetch", "--suite", "camvid"]) == 0
    assert sorted(server.requests) == sorted(f"/mirror/{entry.file}" for entry in PRETRAINED.values())
    out = capsys.readouterr().out
    assert all(f"{name}: {cached(PRETRAINED[name])}" in out for name in PRETRAINED)
    assert cli.main(["weights", "fetch", "mobilenet"]) == 0 and len(server.requests) == len(PRETRAINED)
    listed = subprocess.run([sys.executable, "-m", "segbench", "weights", "list"], capture_output=True, text=True,
                            check=True).stdout  # light: a process of its own reads the cache without Keras
    for name, entry in PRETRAINED.items():
        line = next(line for line in listed.splitlines() if line.startswith(name))
        assert str(cached(entry)) in line and "MB, verified by " in line


def test_weights_fetch_names_each_failure_and_exits_2(server, capsys):
    assert cli.main(["weights", "fetch", "resnet50", "pspnet50_ade20k"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5 failed (404" in errors[0]
    assert "pspnet50_ade20k.h5 failed (404" in errors[1] and cache_is_empty()


@pytest.fixture
def camvid(tmp_path) -> Path:
    root = tmp_path / "camvid"
    config = load_config(CONFIGS / "smoke" / "camvid" / "segnet.yaml", [f"dataset.root={root}"])
    imitate(DATASETS.get("camvid")(config.dataset), {"train": 2, "val": 2, "test": 2}, (64, 96))
    return root


def test_a_sweep_fetches_before_its_first_run_and_stops_on_a_missing_file(server, camvid, tmp_path, capsys):
    results = tmp_path / "results"
    code = cli.main(["sweep", str(CONFIGS / "camvid" / "mobilenet_unet.yaml"), str(CONFIGS / "camvid" / "segnet.yaml"),
                     "--results", str(results), "--set", f"dataset.root={camvid}"])
    assert code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "/mirror/mobilenet_1_0_224_tf_no_top.h5 failed (404" in errors[0]
    assert errors[1].endswith("1 pretrained file cannot be had; nothing was run")
    assert not results.exists() and cache_is_empty()


def test_a_run_fetches_the_imagenet_file_once_trains_and_scores(server, camvid, write_legacy_h5, build_model,
                                                                 tmp_path):
    """The real check (no patch reaches the run's process): a MobileNet no-top file as Keras 2 saved it. The second
    use builds the model here rather than in a second run, which would cost CI another half minute of training for
    the same call of the same code: it reads the cache and its record from disk as a fresh process does."""
    reference = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3))
    served = write_legacy_h5(reference, tmp_path / "served.h5")
    server.files["/mirror/mobilenet_1_0_224_tf_no_top.h5"] = served.read_bytes()
    done = subprocess.run([sys.executable, "-m", "segbench", "run", "smoke/camvid/mobilenet_unet", "--out",
                           tmp_path / "run", "--set", "model.encoder_weights=imagenet", "--set",
                           f"dataset.root={camvid}"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Downloading data from" in done.stdout and (tmp_path / "run" / "metrics.json").is_file()
    assert server.requests == ["/mirror/mobilenet_1_0_224_tf_no_top.h5"]
    model = build_model("mobilenet_unet", input_size=[32, 32], encoder_weights="imagenet")
    assert server.requests == ["/mirror/mobilenet_1_0_224_tf_no_top.h5"]
    for got, want in zip(model.get_layer("conv_pw_13").weights, reference.get_layer("conv_pw_13").weights, strict=True):
        assert (keras.ops.convert_to_numpy(got) == keras.ops.convert_to_numpy(want)).all()


def test_weights_fetch_refuses_an_unknown_name(capsys):
    assert cli.main(["weights", "fetch", "vgg19"]) == 2
    assert "no pretrained file named 'vgg19' (one of vgg16, resnet50, mobilenet, pspnet50_ade20k)" in \
        capsys.readouterr().err


def test_a_folder_is_a_mirror_as_a_url_is(serve, server, monkeypatch, tmp_path):
    """SEGBENCH_WEIGHTS_URL=/shared/weights (a disk the nodes share) failed with urllib's "unknown url type"."""
    body = serve("vgg16")
    entry = PRETRAINED["vgg16"]  # its md5 patched to the served file's
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / entry.file).write_bytes(body)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", "shared")
    fetch.ensure(entry)
    assert cached(entry).read_bytes() == (tmp_path / "shared" / entry.file).read_bytes() and server.requests == []


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_something_else_at_the_cache_path_is_named_not_called_missing(server, monkeypatch, kind):
    """A folder, a FIFO or a link to /dev/zero there was "missing ... place <url> there", advice that cannot work
    while it holds the name."""
    monkeypatch.setenv("SEGBENCH_OFFLINE", "1")
    entry = PRETRAINED["vgg16"]
    path = cached(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir() if kind == "folder" else os.mkfifo(path)
    said = "is a folder, not a file" if kind == "folder" else "is a FIFO (a named pipe), not a file"
    with pytest.raises(ConfigError, match=f"needs {re.escape(str(path))}, which {re.escape(said)}; move it away, then "
                                          "place "):
        fetch.ensure(entry)
    assert [row["blocked"] for row in listing() if row["name"] == "vgg16"] == [said]
    assert server.requests == []


def test_a_fifo_in_a_mirror_folder_is_named_not_a_hang(serve, server, monkeypatch, tmp_path):
    """urllib opened a file:// FIFO for reading and blocked for good, past SEGBENCH_WEIGHTS_TIMEOUT (probe 16c case
    12)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    os.mkfifo(mirror / PRETRAINED["mobilenet"].file)
    monkeypatch.setenv("SEGBENCH_WEIGHTS_URL", str(mirror))
    with pytest.raises(ConfigError, match=r"downloading file://.* failed \(.*mobilenet_1_0_224_tf_no_top.h5 is a FIFO "
                                          r"\(a named pipe\), not a file\)"):
        fetch.ensure(PRETRAINED["mobilenet"])
    assert cache_is_empty()
