"""`segbench sweep --launcher ray` on a real local Ray with logical GPUs, a worker killed while its run trains."""

import json
import os
import signal

import pytest

from segbench.cli import main

ray = pytest.importorskip("ray", reason="the Ray launcher's tests need Ray: make test-cluster installs it")


def test_a_ray_sweep_with_a_killed_worker_ends_as_in_process(configs, reference, settings, same_runs,
                                                             stop_when_checkpointed, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("RAY_DEDUP_LOGS", "0")  # every line of every run, as they come
    results = tmp_path / "r"
    # Each run's process notes the GPU Ray gave it (Python runs sitecustomize at start-up; Ray's processes inherit
    # PYTHONPATH from ours).
    hooks, record = tmp_path / "hooks", tmp_path / "devices.jsonl"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import json, os, sys\n"
        "if 'run' in sys.orig_argv and '--out' in sys.orig_argv:\n"
        f"    with open({str(record)!r}, 'a') as f:\n"
        "        f.write(json.dumps([sys.orig_argv[sys.orig_argv.index('--out') + 1],"
        " os.environ.get('CUDA_VISIBLE_DEVICES')]) + '\\n')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])))
    # A CPU machine with two logical GPUs and CPUs to spare: each run asks for one GPU, so two run at a time.
    ray.init(num_cpus=3, num_gpus=2, include_dashboard=False)
    try:
        watcher, killed = stop_when_checkpointed(results / "sitting" / "segnet", signal.SIGKILL)
        code = main(["sweep", *map(str, configs), "--results", str(results), "--launcher", "ray", "--gpus-per-run",
                     "1", *settings])
        watcher.join(timeout=1)
    finally:
        ray.shutdown()
    out = capfd.readouterr().out
    assert code == 0
    assert killed and not killed["finished"], killed  # the worker died mid-run
    assert f"[sitting/segnet] resuming after epoch {killed['epoch']} of 4" in out  # Ray's retry resumed it
    assert "sweep: 1 queued, 2 running, 0 finished, 0 failed" in out
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    retried = ("camvid", "sitting", "suim", "sitting")  # the killed run twice: its retry
    assert sorted(run for run, _ in runs) == sorted(str(results / dataset / "segnet") for dataset in retried)
    assert {device for _, device in runs} <= {"0", "1"}  # one of the two logical GPUs each
    assert "sweep: 0 queued, 0 running, 3 finished, 0 failed" in out
    same_runs(results, reference)
