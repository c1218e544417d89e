"""The sweep's launchers that need no engine: local runs side by side on devices, the live summary, the Slurm
launcher's dry run, flags given to the wrong launcher, a missing engine, and two sweeps over one results folder.
Ray and Slurm (submitit) themselves are tested in tests/cluster (`make test-cluster`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from segbench.cli import main
from segbench.launch import slurm

TINY = ["--set", "train.epochs=1", "--set", "dataset.num_images={train: 4, val: 2, test: 2}",
        "--set", "model.input_size=[32,48]"]


def hook(tmp_path, monkeypatch, body: str):
    """Python code each child runs at start-up (sitecustomize), before segbench: ``argv`` is its command line."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text("import sys\nargv = sys.orig_argv\n" + body)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])))


def test_local_devices_run_one_per_device_at_once(smoke_config, stand_in, tmp_path, monkeypatch, capsys):
    stand_in(2)  # each run long enough that the second starts before the first ends
    record = tmp_path / "record.jsonl"
    # Each run's process notes its device and when it started and ended.
    hook(tmp_path, monkeypatch, f"""
import atexit, json, os, time
if 'run' in argv and '--out' in argv:
    note = dict(out=argv[argv.index('--out') + 1], device=os.environ.get('CUDA_VISIBLE_DEVICES'), start=time.time())
    def end():
        with open({str(record)!r}, 'a') as f:
            f.write(json.dumps(dict(note, end=time.time())) + '\\n')
    atexit.register(end)
""")
    results = tmp_path / "r"
    assert main(["sweep", str(smoke_config), "--seeds", "3", "--results", str(results), "--devices", "7,9",
                 *TINY]) == 0
    out = capsys.readouterr().out
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert sorted(run["out"] for run in runs) == [str(results / "smoke" / f"segnet-seed{s}") for s in range(3)]
    assert all((results / "smoke" / f"segnet-seed{s}" / "metrics.json").is_file() for s in range(3))
    assert {run["device"] for run in runs} == {"7", "9"}
    first, second = sorted(runs, key=lambda run: run["start"])[:2]
    assert first["device"] != second["device"] and second["start"] < first["end"]  # side by side
    assert "[smoke/segnet-seed0] " in out and "on device 7" in out  # each run's lines led by its name
    assert "sweep: 1 queued, 2 running, 0 finished, 0 failed" in out
    assert out.count("sweep: 0 queued, 0 running, 3 finished, 0 failed") == 1


def test_the_summary_counts_and_ends_with_the_failures(smoke_config, stand_in, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"  # a config whose runs fail (the stand-in's rule)
    broken.write_text(f"base: {smoke_config}\n")
    assert main(["sweep", str(broken), str(smoke_config), "--results", str(tmp_path / "r"), *TINY]) == 1
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("sweep: ")]
    assert lines == [f"sweep: {counts}" for counts in ("2 queued, 0 running, 0 finished, 0 failed",
                                                       "1 queued, 1 running, 0 finished, 0 failed",
                                                       "1 queued, 0 running, 0 finished, 1 failed",
                                                       "0 queued, 1 running, 0 finished, 1 failed",
                                                       "0 queued, 0 running, 1 finished, 1 failed")]
    assert f"failed: {tmp_path.name}/broken: " in out
    [line] = err.strip().splitlines()
    assert line.startswith(f"segbench: error: {broken}: ") and "the stand-in run failed" in line


def test_a_late_word_that_a_run_began_does_not_reopen_it(capsys):
    from segbench.engine.sweep import Job
    from segbench.launch.summary import Summary

    job = Job(Path("c.yaml"), None, Path("r/c"))
    summary = Summary([job])
    summary.ended(job, None)
    summary.running(job)  # a remote launcher's note that arrived after the end
    assert capsys.readouterr().out.splitlines()[-1] == "sweep: 0 queued, 0 running, 1 finished, 0 failed"


def test_slurm_dry_run_prints_the_array_and_submits_nothing(smoke_config, tmp_path, capsys):
    results = tmp_path / "r"
    assert main(["sweep", str(smoke_config), "--seeds", "2", "--results", str(results), "--launcher", "slurm",
                 "--dry-run", "--partition", "gpu", "--time", "90", "--gpus-per-run", "1", "--cpus-per-run", "8",
                 "--slurm-option", "account=abc", "--slurm-option", "mem=32G", "--set", "train.epochs=1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "dry run: 2 runs as one Slurm job array (0-1), nothing submitted"
    assert lines[1] == ("sbatch --job-name=segbench --time=90 --nodes=1 --ntasks-per-node=1 --cpus-per-task=8 "
                        "--gpus-per-node=1 --partition=gpu --account=abc --mem=32G --array=0-1 --signal=USR2@90")
    assert lines[2].endswith(f"output in {results / slurm.LOGS}/; each task in {os.getcwd()}:")
    for seed, line in enumerate(lines[3:]):
        assert line == (f"  [{seed}] {sys.executable} -m segbench run {smoke_config} --out "
                        f"{results / 'smoke' / f'segnet-seed{seed}'} --resume --set train.epochs=1 "
                        f"--set train.seed={seed}")
    assert len(lines) == 5 and not results.exists()


def test_a_flag_for_another_launcher_is_refused(smoke_config, capsys):
    for argv, said in ((["--devices", "0,1", "--launcher", "ray"], "--devices is for --launcher local, not ray"),
                       (["--retries", "0"], "--retries is for --launcher ray or slurm, not local"),
                       (["--partition", "gpu"], "--partition is for --launcher slurm, not local"),
                       (["--launcher", "slurm", "--gpus-per-run", "0.5", "--dry-run"],
                        "--launcher slurm: --gpus-per-run 0.5: Slurm gives whole GPUs")):
        assert main(["sweep", str(smoke_config), *argv]) == 2
        assert capsys.readouterr().err.strip() == f"segbench: error: {'' if 'slurm:' in said else 'sweep: '}{said}"


def test_a_missing_engine_is_one_line(smoke_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as it does where Ray is not installed
    monkeypatch.setitem(sys.modules, "submitit", None)
    monkeypatch.setattr(slurm, "CLUSTER", "local")  # past the check for sbatch
    for launcher, name in (("ray", "Ray"), ("slurm", "submitit")):
        assert main(["sweep", str(smoke_config), "--results", str(tmp_path), "--launcher", launcher]) == 2
        assert capsys.readouterr().err == (f"segbench: error: --launcher {launcher} needs {name}: "
                                           "pip install 'segbench[cluster]'\n")


def test_a_sweep_started_twice_runs_each_run_once(smoke_config, tmp_path):
    from segbench.lock import locked

    results = tmp_path / "r"
    argv = [sys.executable, "-m", "segbench", "sweep", str(smoke_config), "--results", str(results), *TINY]
    # This process holds the folder as a first sweep does while it runs: a real first sweep could finish before a
    # second one (seconds of imports on a loaded machine) reached the lock, and the second then ran, as it should.
    with locked(results, "results folder"):
        second = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 2
    assert second.stderr.startswith(f"segbench: error: {results}: this results folder is in use by another segbench "
                                    f"process (PID {os.getpid()})")
    assert not (results / "smoke").exists()  # refused before anything ran
    first = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    third = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert third.returncode == 0 and third.stdout.count("finished already, skipped") == 1
    history = (results / "smoke" / "segnet" / "history.csv").read_text().splitlines()
    assert len(history) == 2  # its header and its one epoch: trained once


def test_the_flags_become_the_launchers_options(tmp_path):
    from segbench.cli import build_parser
    from segbench.commands.sweep import options

    given = options(build_parser().parse_args(
        ["sweep", "x.yaml", "--results", str(tmp_path), "--launcher", "slurm", "--retries", "0", "--gpus-per-run",
         "2", "--slurm-option", "constraint=a100|h100", "--slurm-option", "comment=a=b"]))
    assert (given.results, given.retries, given.gpus_per_run, given.dry_run) == (tmp_path, 0, 2.0, False)
    assert given.slurm_options == {"constraint": "a100|h100", "comment": "a=b"}
    assert options(build_parser().parse_args(["sweep", "x.yaml", "--devices", "0, 1"])).devices == ("0", "1")
