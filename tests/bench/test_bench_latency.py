"""segbench bench latency: what it measures and where (the statistics are test_bench_timing.py's), and its report;
the real measurement of files and a run is tests/engine/test_quantize.py's."""

import os

import pytest

from segbench.bench.latency import bench_latency, measure_apart, target_kind
from segbench.bench.report import latency_markdown
from segbench.errors import SegbenchError


def figures(p50, stable=True):
    return {"p50": p50, "p95": 1.5 * p50, "p99": 2 * p50, "min": p50 / 2, "max": 3 * p50, "mean": p50,
            "calls": 50, "warmup": 5, "seconds": 1.0, "stable": stable}


def fake_measure(spec, cores, backend):
    if spec["target"].endswith("broken.onnx"):
        raise SegbenchError("broken.onnx: onnxruntime cannot run it (bad graph)")
    kind = spec["kind"]
    return {"target": spec["target"], "kind": kind, "backend": backend or ("tensorflow" if kind == "keras" else None),
            "runtime": "onnxruntime 1.32.0", "precision": "int8", "model": "segnet", "run": "run", "bytes": 2**20,
            "sha256": "ab", "threads": spec["threads"], "batch": spec["batch"], "input_size": [32, 48],
            "latency_ms": figures(10.0 / spec["threads"], stable=spec["threads"] == 1),
            "throughput": {"images_per_s": 400.0, "batch_ms": figures(20.0)}}


@pytest.fixture
def targets(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("model: {name: segnet}\n")
    onnx = tmp_path / "model-int8.onnx"
    onnx.write_bytes(b"not a graph")
    return run, onnx


def test_targets_are_run_folders_and_onnx_files_else_one_line(targets, tmp_path):
    run, onnx = targets
    assert target_kind(run) == "keras" and target_kind(onnx) == "onnx"
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("")
    for path, message in ((tmp_path / "empty", "not a run folder (no config.yaml) nor an .onnx file"),
                          (tmp_path / "gone.onnx", "no such file"),
                          (tmp_path / "notes.txt", "neither a run folder nor an .onnx file"),
                          (tmp_path / "gone", "no such file or folder")):
        with pytest.raises(SegbenchError) as caught:
            target_kind(path)
        assert str(caught.value) == f"{path}: {message}"


def test_every_target_on_every_backend_at_every_thread_count_with_the_machine(targets, monkeypatch):
    from segbench.bench import latency

    monkeypatch.setattr(latency.backends, "cpu", lambda: "AMD EPYC, 2 cores")
    monkeypatch.setattr(latency.os, "sched_getaffinity", lambda pid: {4, 6})
    run, onnx = targets
    broken = onnx.with_name("broken.onnx")
    broken.write_bytes(b"")
    document = bench_latency([run, onnx, broken], threads=[1, 2], backend_names=("tensorflow", "jax"),
                             measure=fake_measure, log=lambda *args, **kwargs: None)
    found = [(r["kind"], r["backend"], r["threads"], r["cores"]) for r in document["results"]]
    assert found == [("keras", "tensorflow", 1, [4]), ("keras", "tensorflow", 2, [4, 6]), ("keras", "jax", 1, [4]),
                     ("keras", "jax", 2, [4, 6]), ("onnx", None, 1, [4]), ("onnx", None, 2, [4, 6])]
    assert document["machine"] == "AMD EPYC, 2 cores" and {r["machine"] for r in document["results"]} == {
        "AMD EPYC, 2 cores"}
    assert document["failures"] == [f"{broken} (onnx), 1 thread: broken.onnx: onnxruntime cannot run it (bad graph)",
                                    f"{broken} (onnx), 2 threads: broken.onnx: onnxruntime cannot run it (bad graph)"]
    text = latency_markdown(document)
    assert text.startswith("Latency at batch 1 on AMD EPYC, 2 cores")
    assert "| 10.00" in text and "| 5.00*" in text and "the halves' medians still differed" in text
    assert "run (Keras, jax)" in text and "- failed: " in text
    with pytest.raises(SegbenchError, match="--threads 3: this process may use 2 cores"):
        bench_latency([onnx], threads=[1, 3], measure=fake_measure)


def test_a_file_onnxruntime_cannot_run_fails_in_its_process_as_one_line(targets):
    _, onnx = targets
    with pytest.raises(SegbenchError) as caught:
        measure_apart({"target": str(onnx), "kind": "onnx", "threads": 1, "batch": 2, "warmup": 1, "min_calls": 2,
                       "tolerance": 0.05, "budget_s": 0.1}, sorted(os.sched_getaffinity(0))[:1])
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{onnx}: onnxruntime cannot run it (")


def test_the_measuring_child_dies_with_its_parent():
    """A SIGKILLed `bench latency` left its measuring child at 100 % of a core for a minute, beside the next bench's
    figures (probe 15's note): the child is told our PID, and dies where its parent is not that process."""
    import signal
    import subprocess
    import sys

    from segbench.bench.latency import CHILD
    from segbench.bench.suite import run_apart
    from segbench.parent import PARENT_ENV

    said = run_apart([sys.executable, "-c", f"import os; print(os.environ[{PARENT_ENV!r}])"])
    assert said.strip() == str(os.getpid())
    # Told a parent that is not its own (as where ours died before it asked): it ends at once, measuring nothing.
    orphan = subprocess.run([sys.executable, "-c", CHILD, "{}"], env={**os.environ, PARENT_ENV: "1"},
                            capture_output=True, check=False)
    assert orphan.returncode == -signal.SIGKILL and orphan.stdout == b""


def test_a_backend_that_cannot_load_is_one_line_before_any_figure(targets, monkeypatch, capsys):
    """Probe 19b case 13: `--backends nope` (or KERAS_BACKEND=nope) was a child's "ValueError: Unable to import
    backend : nope" once per thread count, rc 1, where every other verb says one line, rc 2."""
    from segbench.cli import main

    run, _ = targets
    monkeypatch.setattr("segbench.bench.latency.measure_apart", lambda *a: pytest.fail("measured"))
    assert main(["bench", "latency", str(run), "--backends", "tensorflow,nope"]) == 2
    assert capsys.readouterr().err.strip() == ("segbench: error: --backends nope: not a Keras backend (one of "
                                               "tensorflow, jax, torch, numpy, openvino)")
    monkeypatch.setenv("KERAS_BACKEND", "nope")
    assert main(["bench", "latency", str(run)]) == 2
    assert capsys.readouterr().err.strip().startswith("segbench: error: KERAS_BACKEND=nope: not a Keras backend")
    monkeypatch.setenv("KERAS_BACKEND", "openvino")  # a backend whose package is not installed here
    assert main(["bench", "latency", str(run)]) == 2
    assert "the openvino package is not installed in this environment" in capsys.readouterr().err
