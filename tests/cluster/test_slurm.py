"""`segbench sweep --launcher slurm` on submitit's local executor (Slurm itself is not on this machine): the job
array runs, and a task preempted mid-run (Slurm's USR2) is requeued and resumes."""

import signal

import pytest

from segbench.cli import main
from segbench.launch import slurm

pytest.importorskip("submitit", reason="the Slurm launcher's tests need submitit: make test-cluster installs it")


def test_a_slurm_array_with_a_preempted_task_ends_as_in_process(configs, reference, settings, same_runs,
                                                                stop_when_checkpointed, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(slurm, "CLUSTER", "local")
    results = tmp_path / "r"
    watcher, preempted = stop_when_checkpointed(results / "suim" / "segnet", signal.SIGUSR2)
    code = main(["sweep", *map(str, configs), "--results", str(results), "--launcher", "slurm", "--time", "30",
                 *settings])
    watcher.join(timeout=1)
    out = capsys.readouterr().out
    assert code == 0
    assert preempted and not preempted["finished"], preempted
    assert "sweep: 0 queued, 0 running, 3 finished, 0 failed" in out
    logs = {path.name: path.read_text() for path in (results / slurm.LOGS).rglob("*_log.*")}
    resumed = [name for name, text in logs.items() if f"resuming after epoch {preempted['epoch']} of 4" in text]
    assert len(resumed) == 1 and resumed[0].endswith(".out"), sorted(logs)  # the requeued task resumed the run
    assert any("this job is preempted" in text for text in logs.values())
    same_runs(results, reference)
