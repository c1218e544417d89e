"""`segbench sweep --launcher ray` on a real local Ray with logical GPUs, a worker killed while its run trains."""

import signal

import pytest

from segbench.cli import main

ray = pytest.importorskip("ray", reason="the Ray launcher's tests need Ray: make test-cluster installs it")


def test_a_ray_sweep_with_a_killed_worker_ends_as_in_process(configs, reference, settings, same_runs,
                                                             stop_when_checkpointed, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("RAY_DEDUP_LOGS", "0")  # every line of every run, as they come
    results = tmp_path / "r"
    # A CPU machine with three logical GPUs: each run asks for one, so all three run at once.
    ray.init(num_cpus=3, num_gpus=3, include_dashboard=False)
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
    assert "sweep: 0 queued, 3 running, 0 finished, 0 failed" in out
    assert "sweep: 0 queued, 0 running, 3 finished, 0 failed" in out
    same_runs(results, reference)
