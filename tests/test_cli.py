"""The command as a user meets it: fresh processes, exit codes, and what lands on stderr."""

import json

import pytest

from segbench.cli import main


def one_error_line(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("segbench: error: ")
    return lines[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("train:\n  epochs: 2\n  lerning_rate: 0.1\n", "unknown key 'train.lerning_rate' (did you mean 'train.learning_rate'?)"),
        ("dataset:\n  name: camvd\n", "dataset.name: unknown dataset 'camvd'"),
        ("train: !!python/object:os.system\n  a: 1\n", "the tag !!python/object:os.system is not allowed"),
    ],
    ids=["typo", "unknown-dataset", "python-tag"],
)
def test_bad_configs_end_in_one_line_and_exit_2(cli, smoke_config, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(f"base: {smoke_config}\n{text}")
    line = one_error_line(cli("run", path, "--out", tmp_path / "run"))
    assert str(path) in line and expected in line
    assert not (tmp_path / "run").exists()  # nothing was started


def test_missing_config_file(cli, tmp_path):
    line = one_error_line(cli("run", tmp_path / "nowhere.yaml"))
    assert line == f"segbench: error: {tmp_path / 'nowhere.yaml'}: no such config file"


def test_run_then_skip_then_results(cli, smoke_config, tmp_path):
    out = tmp_path / "runs" / "smoke"
    first = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1", "--set", "train.seed=3")
    assert first.returncode == 0, first.stderr
    assert "mIoU" in first.stdout and "epoch 1/1" in first.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 3 and metrics["epochs"] == 1

    again = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1", "--set", "train.seed=3")
    assert again.returncode == 0 and "skipped" in again.stdout

    table = cli("results", tmp_path / "runs")
    assert table.returncode == 0, table.stderr
    assert f"{100 * metrics['miou']:.2f}" in table.stdout
    assert "| segnet" in table.stdout and "void" in table.stdout


def test_results_without_runs(tmp_path, capsys):
    assert main(["results", str(tmp_path)]) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2
