"""segbench installed as a wheel (not editable) works from a directory that is not its source tree: the shipped
configs run by name and the paper's tables are found inside the package."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with segbench's wheel installed; the dependencies (TensorFlow alone is half a
    gigabyte) are borrowed from this environment through a path file, which puts them on sys.path after the
    environment's own site-packages, without their .pth files, so that the editable segbench here is not seen."""
    root = tmp_path_factory.mktemp("packaging")
    wheels = root / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(wheels), str(REPO)], check=True, timeout=600)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    [wheel] = wheels.glob("segbench-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=600)
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
