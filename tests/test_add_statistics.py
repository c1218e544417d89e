"""scripts/add_statistics.py: a run finished before per-image statistics were kept gets them: the same per-image
file, intervals, Boundary IoU and calibration as a run finishing today."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from segbench.config import load_config
from segbench.engine.run import execute
from segbench.rundir import write_metrics

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "add_statistics.py"


def test_an_old_run_gets_the_same_matrices_and_intervals(smoke_config, tmp_path):
    out = tmp_path / "run"
    execute(load_config(smoke_config, [f"output.dir={out}"]))
    new = json.loads((out / "metrics.json").read_text())
    kept = (out / "confusion_per_image.npz").read_bytes()
    # As a run of an earlier version left it.
    old = {key: value for key, value in new.items()
           if key not in ("intervals", "calibration", "boundary") and not key.startswith("boundary_")}
    old["standard"] = {key: value for key, value in new["standard"].items() if not key.startswith("boundary_")}
    write_metrics(out, old)
    (out / "confusion_per_image.npz").unlink()
    worst = sorted(p.name for p in (out / "predictions" / "worst").iterdir())
    shutil.rmtree(out / "predictions" / "worst")

    done = subprocess.run([sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "(same confusion matrix)" in done.stdout
    assert json.loads((out / "metrics.json").read_text()) == new
    assert (out / "confusion_per_image.npz").stat().st_size == len(kept)
    assert sorted(p.name for p in (out / "predictions" / "worst").iterdir()) == worst

    moved = [[n + 1 for n in row] for row in old["confusion_matrix"]]  # the right shape, other counts
    tampered = write_metrics(out, {**old, "confusion_matrix": moved})
    shutil.rmtree(out / "predictions" / "worst")
    # The tampered run and a folder holding none, in one call (one framework start-up): each its own line, exit 2.
    refused = subprocess.run([sys.executable, str(SCRIPT), str(out), str(tmp_path / "nothing")], capture_output=True,
                             text=True, timeout=300, check=False)
    assert refused.returncode == 2
    tampered_line, missing_line = refused.stderr.strip().splitlines()[-2:]
    assert "pixels from the confusion matrix of metrics.json; nothing written" in tampered_line
    assert json.loads((out / "metrics.json").read_text()) == tampered
    assert not (out / "predictions" / "worst").exists() and not (out / ".rescoring").exists()  # nothing written
    assert "no finished run there (no metrics.json)" in missing_line
    assert not (tmp_path / "nothing").exists()
