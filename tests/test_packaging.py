"""segbench installed as a wheel (not editable) works from a directory that is not its source tree: the shipped
configs run by name, the paper's tables and the models' table are found inside the package, and plugins (an installed
package's entry point, a config's ``imports:`` file) add models."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import plugin_run_config, write_model_plugin

from segbench.models.listing import tabled

REPO = Path(__file__).resolve().parents[1]


# A plugin package as a user would publish one: its module registers the model, its entry point names the module.
PLUGIN_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "segbench-tiny-plugin"
version = "0.1.0"

[project.entry-points."segbench.models"]
tiny_entry = "segbench_tiny_plugin"

[tool.hatch.build.targets.wheel]
packages = ["segbench_tiny_plugin"]
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with segbench's wheel and a plugin package's installed; the dependencies
    (TensorFlow alone is half a gigabyte) are borrowed from this environment through a path file, which puts them
    on sys.path after the environment's own site-packages, without their .pth files, so that the editable segbench
    here is not seen."""
    root = tmp_path_factory.mktemp("packaging")
    wheels = root / "wheels"
    plugin = root / "plugin"
    write_model_plugin(plugin / "segbench_tiny_plugin" / "__init__.py", "tiny_entry")
    (plugin / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    for source in (REPO, plugin):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--wheel-dir", str(wheels), str(source)], check=True, timeout=600)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", *map(str, wheels.glob("segbench*.whl"))], check=True, timeout=600)
    return venv


def in_venv(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, check=False,
                          env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)})


def test_the_wheel_is_what_runs(installed, tmp_path):
    done = in_venv(installed, [str(installed / "bin" / "python"), "-c", (
        "import json, segbench, segbench.paper as p, segbench.shipped as s; print(json.dumps({'package': "
        "segbench.__file__, 'configs': str(s.CONFIGS), 'rows': len(p.read_paper('camvid')), 'suites': "
        "[str(c) for c in p.suite_configs('paper')]}))")], tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(installed), "the source tree's segbench was imported"
    assert Path(found["configs"]).is_relative_to(installed) and found["rows"] == 6
    assert len(found["suites"]) == 18 and all(Path(path).is_file() for path in found["suites"])


def test_a_shipped_config_runs_by_name_from_another_directory(installed, tmp_path):
    done = in_venv(installed, ["segbench", "run", "smoke/segnet", "--set", "train.epochs=1"], tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "results" / "synthetic" / "segnet" / "metrics.json").read_text())
    assert metrics["model"] == "segnet" and 0 <= metrics["miou"] <= 1
    wrong = in_venv(installed, ["segbench", "run", "smoke/segnt"], tmp_path)
    assert wrong.returncode == 2 and "did you mean the shipped config smoke/segnet?" in wrong.stderr


def test_an_installed_plugin_package_adds_its_model_through_its_entry_point(installed, tmp_path):
    done = in_venv(installed, ["segbench", "run", str(plugin_run_config(tmp_path / "tiny.yaml", "tiny_entry")),
                               "--out", "run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["model"] == "tiny_entry"


def test_a_model_file_named_by_imports_trains_and_scores_from_another_directory(installed, tmp_path):
    write_model_plugin(tmp_path / "project" / "my_model.py", "tiny_file")
    config = plugin_run_config(tmp_path / "project" / "tiny.yaml", "tiny_file", ["my_model.py"])
    (tmp_path / "elsewhere").mkdir()
    done = in_venv(installed, ["segbench", "run", str(config), "--out", "run"], tmp_path / "elsewhere")
    assert done.returncode == 0, done.stderr
    scored = in_venv(installed, ["segbench", "evaluate", "elsewhere/run"], tmp_path)
    assert scored.returncode == 0, scored.stderr
    run = tmp_path / "elsewhere" / "run"
    assert json.loads((run / "metrics.json").read_text())["model"] == "tiny_file"
    assert (run / "eval" / "single.json").is_file()


def test_models_list_reads_the_shipped_table_and_builds_the_installed_plugin_s_model(installed, tmp_path):
    done = in_venv(installed, ["segbench", "models", "list", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert len(rows) == len(tabled()) + 1 and rows["pspnet_50"]["input_size"] == [473, 473]  # the table's, the plugin's
    assert rows["tiny_entry"] == {"name": "tiny_entry", "encoder": None, "decoder": None, "input_size": [224, 224],
                                  "num_classes": 12, "output_strides": None, "parameters": 27 * 8 + 8 + 8 * 12 + 12,
                                  "encoder_parameters": None, "macs": 224 * 224 * (27 * 8 + 8 * 12)}
