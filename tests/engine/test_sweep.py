import json
import os
import sys
from pathlib import Path

import pytest

from segbench.cli import main
from segbench.engine.sweep import command, plan
from segbench.paper import PAPER_ROWS, suite_configs

TINY = ["--set", "train.epochs=1", "--set", "dataset.num_images={train: 4, val: 2, test: 2}",
        "--set", "model.input_size=[32,48]"]


def test_plan_names_one_folder_per_config_and_seed(tmp_path):
    config = Path("configs/camvid/segnet.yaml")
    assert [j.out for j in plan([config], 1, tmp_path)] == [tmp_path / "camvid" / "segnet"]
    jobs = plan([config], 2, tmp_path)
    assert [(j.seed, j.out.name) for j in jobs] == [(0, "segnet-seed0"), (1, "segnet-seed1")]


def test_suites_follow_the_papers_rows():
    assert [p.stem for p in suite_configs("camvid")] == list(PAPER_ROWS)
    paper = suite_configs("paper")
    assert len(paper) == 18 and all(p.is_file() for p in paper)
    assert [p.parent.name for p in paper[::6]] == ["camvid", "sitting", "suim"]


def test_each_seeds_run_is_a_segbench_run_resumed_in_its_own_folder(tmp_path):
    [job] = plan([Path("configs/camvid/segnet.yaml")], 2, tmp_path)[1:]
    assert command(job, ["train.epochs=1"]) == [sys.executable, "-m", "segbench", "run", "configs/camvid/segnet.yaml",
                                                "--out", str(tmp_path / "camvid" / "segnet-seed1"), "--resume",
                                                "--set", "train.epochs=1", "--set", "train.seed=1"]


def test_sweep_runs_seeds_skips_finished_and_reports_failures(smoke_config, stand_in, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"  # a config that loads, whose runs fail (the stand-in's rule)
    broken.write_text(f"base: {smoke_config}\n")
    args = ["sweep", str(smoke_config), str(broken), "--seeds", "2", "--results", str(tmp_path / "r"), *TINY]
    assert main(args) == 1
    out, err = capsys.readouterr()
    for seed in (0, 1):
        metrics = json.loads((tmp_path / "r" / "smoke" / f"segnet-seed{seed}" / "metrics.json").read_text())
        assert metrics["seed"] == seed
    assert f"{tmp_path / 'r' / 'smoke' / 'segnet'}: mean ± std of 2" in out
    errors = err.strip().splitlines()
    assert len(errors) == 2 and all("broken.yaml" in e and "the stand-in run failed" in e for e in errors)

    assert main(args) == 1  # the finished runs are skipped, the broken one fails again
    assert capsys.readouterr().out.count("finished already, skipped") == 2

    # Another setting over the finished folders: refused before anything runs, with a way out a sweep has (each
    # job failed once the sweep had begun, advising --force and --out, which sweep does not take).
    assert main([*args[:2], *args[3:], "--set", "train.learning_rate=0.01"]) == 2
    out, err = capsys.readouterr()
    seed0 = tmp_path / "r" / "smoke" / "segnet-seed0"
    assert f"segbench: error: {smoke_config}: {seed0}: holds a finished run of another config (train.learning_rate: " \
        "0.001 -> 0.01); remove it to run it again, or give --results another folder" in err.splitlines()
    assert "[1/" not in out and "--force" not in err


def test_every_config_is_checked_before_anything_runs(smoke_config, tmp_path, capsys):
    typo = tmp_path / "typo.yaml"
    typo.write_text(f"base: {smoke_config}\ntrain:\n  epochz: 3\n")
    missing = tmp_path / "missing.yaml"
    results = tmp_path / "r"
    assert main(["sweep", str(smoke_config), str(typo), str(missing), "--seeds", "2", "--results", str(results),
                 *TINY]) == 2
    out, err = capsys.readouterr()
    assert not results.exists() and "[1/" not in out  # the good config did not start either
    lines = err.strip().splitlines()
    assert lines[-1] == "segbench: error: 2 of 3 configs cannot run; nothing was run"
    assert lines[0].startswith(f"segbench: error: {typo}: ") and "train.epochz" in lines[0]
    assert lines[1] == f"segbench: error: {missing}: no such config file"  # the path once, not twice
    assert main(["sweep", str(smoke_config), "--results", str(results), *TINY, "--set", "dataset.root=/data"]) == 2
    assert "reads no folder" in capsys.readouterr().err


def test_a_config_named_twice_or_two_into_one_folder_are_refused_before_anything_runs(smoke_config, tmp_path,
                                                                                       capsys):
    """Named twice, its seeds were run, then skipped as finished, and the table counted each twice ("mean ± std of
    4" over 2 runs); x.yaml and x.yml shared a folder, the second refused only after the first had trained."""
    results = tmp_path / "r"
    relative = os.path.relpath(smoke_config)
    assert main(["sweep", str(smoke_config), relative, "--seeds", "2", "--results", str(results), *TINY]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {relative}: named twice ({smoke_config} and {relative}); each config runs once")
    (tmp_path / "x.yaml").write_text(f"base: {smoke_config}\n")
    (tmp_path / "x.yml").write_text(f"base: {smoke_config}\ntrain:\n  epochs: 2\n")
    assert main(["sweep", str(tmp_path / "x.yaml"), str(tmp_path / "x.yml"), "--results", str(results), *TINY]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {tmp_path / 'x.yaml'} and {tmp_path / 'x.yml'} would both run into "
        f"{results / tmp_path.name / 'x'}; rename one of them")
    # x-seed0.yaml beside x.yaml: both trained, then the second was pooled as the first's seed.
    (tmp_path / "x-seed0.yaml").write_text((tmp_path / "x.yml").read_text())
    assert main(["sweep", str(tmp_path / "x.yaml"), str(tmp_path / "x-seed0.yaml"), "--results", str(results),
                 *TINY]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {tmp_path / 'x-seed0.yaml'}: named like a seed of {tmp_path / 'x.yaml'} (its folder "
        "x-seed0 would be pooled with that config's seeds); rename it")
    assert not results.exists()


def test_sweep_arguments(capsys):
    assert main(["sweep"]) == 2
    assert main(["sweep", "configs/smoke/segnet.yaml", "--suite", "camvid"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_a_suite_sweep_ends_in_the_papers_table(fake_run, stand_in, tmp_path, monkeypatch, capsys):
    results = tmp_path / "r"
    # The pretrained files the suite reads count as there: fetching them is tests/models/test_fetch.py's matter.
    monkeypatch.setattr("segbench.engine.sweep.fetch_pretrained", lambda jobs, overrides: [])
    # The fake run stands for one of the job's own config and data (whether it is: the test of another setting above).
    monkeypatch.setattr("segbench.engine.sweep.finished_conflict", lambda *args: None)
    data = tmp_path / "data"
    data.mkdir()
    fake_run(results / "sitting" / "segnet", "sitting", [0.5] * 15)
    monkeypatch.setenv("STAND_IN_FAIL", ",".join(set(PAPER_ROWS) - {"segnet"}))  # the other rows' runs fail
    # (A root that exists, empty, beside the results, gets them past the sweep's look for what they read.)
    assert main(["sweep", "--suite", "sitting", "--results", str(results), "--set", f"dataset.root={data}"]) == 1
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("segbench: error: ")]
    assert len(errors) == len(PAPER_ROWS) - 1 and all("the stand-in run failed" in line for line in errors)
    assert f"{results / 'sitting' / 'segnet'}: finished already, skipped" in out
    assert f"{results / 'sitting'}: 1 of 6 rows of Table 2 have finished runs: segnet (1 run)" in err
    table = (results / "sitting" / "table.md").read_text()
    assert f"{results / 'sitting' / 'table.md'}\n\n{table}" in out
    assert "1 of 6 rows are ours" in table
    assert all((results / "sitting" / f"table.{fmt}").is_file() for fmt in ("csv", "tex"))


def test_a_run_whose_process_dies_does_not_end_the_sweep(smoke_config, tmp_path, monkeypatch, capsys):
    """Each run has a process of its own: one killed outright (as the kernel kills a process out of memory) is
    reported, and the runs after it go on."""
    doomed = tmp_path / "doomed.yaml"
    doomed.write_text(f"base: {smoke_config}\n")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    # Python imports sitecustomize at start-up, before segbench: the process of the doomed run kills itself there.
    (hooks / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "if any(arg.endswith('doomed.yaml') for arg in sys.orig_argv):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])))
    results = tmp_path / "r"
    assert main(["sweep", str(doomed), str(smoke_config), "--results", str(results), *TINY]) == 1
    out, err = capsys.readouterr()
    assert (results / "smoke" / "segnet" / "metrics.json").is_file()  # the run after the dead one finished
    assert not (results / tmp_path.name / "doomed" / "metrics.json").exists()
    [line] = [line for line in err.splitlines() if line.startswith("segbench: error: ")]
    assert line.startswith(f"segbench: error: {doomed}: the run's process was killed by SIGKILL")
    assert "[2/2]" in out and "finished already" not in out


def test_every_configs_data_and_weights_are_looked_for_before_anything_runs(tmp_path, capsys):
    """As `make camvid` without the data: one line per problem, and no run started (nor any folder made)."""
    camvid, suim = Path("configs/smoke/camvid/segnet.yaml"), Path("configs/smoke/suim/segnet.yaml")
    results = tmp_path / "r"
    assert main(["sweep", str(camvid), str(suim), "--results", str(results),
                 "--set", f"dataset.root={tmp_path / 'nowhere'}"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 3 and lines[-1] == "segbench: error: 2 of 2 configs cannot run; nothing was run"
    for config, line in zip((camvid, suim), lines):
        assert line.startswith(f"segbench: error: {config}: {tmp_path / 'nowhere'}: no such folder")
    assert not results.exists() and "[1/" not in out

    weights = Path("configs/smoke/camvid/vgg_unet.yaml")
    (tmp_path / "data").mkdir()
    assert main(["run", str(weights), "--out", str(tmp_path / "run"), "--set", f"dataset.root={tmp_path / 'data'}",
                 "--set", f"model.encoder_weights={tmp_path / 'vgg.h5'}"]) == 2
    assert capsys.readouterr().err == f"segbench: error: model.encoder_weights: {tmp_path / 'vgg.h5'}: no such file\n"
    (tmp_path / "vgg.h5").mkdir()  # there, but no file: it was "no such file" of a path `ls` shows (probe 17c 14)
    assert main(["run", str(weights), "--out", str(tmp_path / "run"), "--set", f"dataset.root={tmp_path / 'data'}",
                 "--set", f"model.encoder_weights={tmp_path / 'vgg.h5'}"]) == 2
    assert capsys.readouterr().err == (f"segbench: error: model.encoder_weights: {tmp_path / 'vgg.h5'}: is a folder, "
                                       "not a file\n")
    assert not (tmp_path / "run").exists()


def test_a_relay_whose_pipe_is_closed_under_it_ends_quietly():
    """A Ctrl-C closes the child's pipes while the relay threads read them: "ValueError: read of closed file" was a
    thread's traceback above the sweep's own line."""
    import io

    from segbench.engine.sweep import _relay_output, _until_closed

    closed = io.BufferedReader(io.BytesIO(b"epoch 1\n"))
    closed.close()
    _until_closed(_relay_output, closed, None)  # quietly
    broken = io.BufferedReader(io.BytesIO(b""))

    def failing(stream, prefix):
        raise ValueError("not a closed pipe")

    with pytest.raises(ValueError, match="not a closed pipe"):  # any other error still shows
        _until_closed(failing, broken, None)


def test_the_sweeps_table_holds_only_runs_of_its_own_configs(smoke_config, tmp_path):
    """A job refused on a folder holding another config's finished run (another learning rate) showed that run's
    figures as the sweep's row, above the failure."""
    import yaml

    from segbench.engine.sweep import _config, finished_runs

    overrides = ["train.learning_rate=0.01"]
    [job] = plan([smoke_config], 1, tmp_path / "r")
    job.out.mkdir(parents=True)
    (job.out / "metrics.json").write_text("{}")
    recipe = _config(job, overrides).model_dump(mode="json")
    (job.out / "config.yaml").write_text(yaml.safe_dump({**recipe, "train": {**recipe["train"], "learning_rate": 0.001}}))
    assert finished_runs([job], overrides) == []
    (job.out / "config.yaml").write_text(yaml.safe_dump(recipe))
    assert finished_runs([job], overrides) == [job.out]


@pytest.mark.parametrize("seeds", [1, 2])
def test_a_users_own_config_yaml_in_a_jobs_folder_is_refused_before_anything_runs(smoke_config, tmp_path, capsys,
                                                                                   seeds):
    """Refused by the job's run once the sweep had begun, with advice to use an --out a sweep does not have; in a
    second seed's folder, only once the first seed had trained (only each config's first job was looked at)."""
    results = tmp_path / "r"
    job = plan([smoke_config], seeds, results)[-1]
    job.out.mkdir(parents=True)
    mine = "# mine\ndataset: {name: synthetic}\nmodel: {name: segnet}\ntrain: {epochs: 7}\neval: {batch_size: 2}\n"
    (job.out / "config.yaml").write_text(mine)
    assert main(["sweep", str(smoke_config), "--results", str(results), "--seeds", str(seeds), *TINY]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == (f"segbench: error: {smoke_config}: {job.out / 'config.yaml'}: not the config a run "
                                   "writes (a user's own, kept there?), and a run would replace it; run it into a "
                                   "folder of its own")
    assert "[1/" not in out and (job.out / "config.yaml").read_text() == mine


def test_an_interrupted_run_of_another_config_in_a_jobs_folder_is_refused_before_anything_runs(smoke_config,
                                                                                             tmp_path, capsys):
    """Found by the job's `run --resume` once the sweep had begun, advising "drop --resume", which a sweep does not
    take (probe 17c case 4)."""
    from segbench.config import load_config
    from segbench.io import write_yaml

    results = tmp_path / "r"
    job = plan([smoke_config], 2, results)[-1]
    other = load_config(smoke_config, [*TINY[1::2], "train.epochs=3", f"train.seed={job.seed}"])
    write_yaml(job.out / "config.yaml", other.model_dump(mode="json"))
    (job.out / "checkpoints").mkdir()
    (job.out / "checkpoints" / "state.json").write_text(json.dumps({"epoch": 1, "weights": "e1.weights.h5"}))
    assert main(["sweep", str(smoke_config), "--results", str(results), "--seeds", "2", *TINY]) == 2
    out, err = capsys.readouterr()
    assert f"segbench: error: {smoke_config}: {job.out}: holds an interrupted run of another config (train.epochs: " \
        "3 -> 1); remove it to run it again, or give --results another folder" in err.splitlines()
    assert "[1/" not in out


@pytest.mark.parametrize("kind, said", [
    ("file", "not a folder; name a folder (new or not) for the run folder"),
    ("users", ("holds history.csv but no config.yaml, so it is not a run folder, and a run would replace them; give "
               "the run a folder of its own")),
    ("dangling", "is a link to nothing (it leads to {gone}); remove it, or make what it leads to")])
def test_a_seed_folder_that_cannot_be_a_runs_is_refused_before_anything_runs(smoke_config, tmp_path, capsys, kind,
                                                                             said):
    """Found once seed 0 had trained, advising --out, which a sweep does not take (probe 17c case 19)."""
    results = tmp_path / "r"
    job = plan([smoke_config], 2, results)[-1]
    job.out.parent.mkdir(parents=True)
    if kind == "file":
        job.out.write_text("mine")
    elif kind == "users":
        job.out.mkdir()
        (job.out / "history.csv").write_text("epoch,loss\n1,0.5\n")
    else:
        job.out.symlink_to(tmp_path / "gone")
    assert main(["sweep", str(smoke_config), "--results", str(results), "--seeds", "2", *TINY]) == 2
    out, err = capsys.readouterr()
    assert f"segbench: error: {smoke_config}: {job.out}: {said.format(gone=tmp_path / 'gone')}" in err.splitlines()
    assert "[1/" not in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_a_sweep_killed_outright_takes_its_run_with_it(tmp_path, smoke_config):
    """Probe 22b case 6: a local sweep SIGKILLed left its run training under PID 1, holding the folder's lock, so
    that the run's --resume (and the sweep started again) was refused as "in use by another segbench process",
    until the run's next line of output (an epoch's end) met the closed pipe."""
    import subprocess
    import time

    # An epoch of 20,000 images: its first line of output comes minutes after the run's start-up lines.
    sweep = subprocess.Popen([sys.executable, "-m", "segbench", "sweep", str(smoke_config), "--results",
                              str(tmp_path), "--set", "train.epochs=2", "--set", "dataset.num_images.train=20000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(tmp_path.rglob("config.yaml")) and sweep.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # until the run is under way
    [run] = map(int, Path(f"/proc/{sweep.pid}/task/{sweep.pid}/children").read_text().split())
    time.sleep(5)  # past its start-up lines, into the epoch
    sweep.kill()
    sweep.wait()
    gone = time.monotonic() + 30
    while Path(f"/proc/{run}").exists() and time.monotonic() < gone:
        time.sleep(0.2)
    alive = Path(f"/proc/{run}").exists()
    if alive:
        os.kill(run, 9)
    assert not alive, "the sweep's run outlived it"  # killed by the kernel with its parent, not by us
