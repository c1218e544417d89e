"""scripts/add_intervals.py: a run finished before per-image matrices were kept gets them, and its intervals."""

import json
import subprocess
import sys
from pathlib import Path

from segbench.config import load_config
from segbench.engine.run import execute

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "add_intervals.py"


def test_an_old_run_gets_the_same_matrices_and_intervals(smoke_config, tmp_path):
    out = tmp_path / "run"
    execute(load_config(smoke_config, [f"output.dir={out}"]))
    new = json.loads((out / "metrics.json").read_text())
    kept = (out / "confusion_per_image.npz").read_bytes()
    old = {key: value for key, value in new.items() if key != "intervals"}  # as a run of an earlier version left it
    (out / "metrics.json").write_text(json.dumps(old))
    (out / "confusion_per_image.npz").unlink()

    done = subprocess.run([sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "(same confusion matrix)" in done.stdout
    assert json.loads((out / "metrics.json").read_text()) == new
    assert (out / "confusion_per_image.npz").stat().st_size == len(kept)

    tampered = {**old, "confusion_matrix": [[0] * 5] * 5}
    (out / "metrics.json").write_text(json.dumps(tampered))
    refused = subprocess.run([sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, timeout=300,
                             check=False)
    assert refused.returncode == 2 and "pixels from the confusion matrix of metrics.json; nothing written" in \
        refused.stderr
    assert json.loads((out / "metrics.json").read_text()) == tampered
