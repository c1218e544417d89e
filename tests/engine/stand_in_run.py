"""A stand-in for the `segbench run` a sweep starts in each child, for the tests of what the sweep does around its
runs (seeds, skipping, failures, devices side by side, the summary, the table after), without a framework's start-up
and a training in every child. The real child is tested by the sweep tests that start `segbench run` itself
(tests/engine/test_sweep.py's dying run, tests/engine/test_sweep_launchers.py's sweep started twice).

    python stand_in_run.py run CONFIG --out OUT --resume [--set KEY=VALUE ...]

As `segbench run` does: a finished OUT is skipped; a run of a config named broken*.yaml, or of a folder named in
STAND_IN_FAIL, fails with one line; else it writes a finished run (per-class IoU drawn by the seed) after
STAND_IN_SECONDS (default 0) of "training"."""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for helpers
from helpers import write_metrics

from segbench.config import load_config
from segbench.io import write_yaml
from segbench.registry import DATASETS

argv = sys.argv[1:]
out = Path(argv[argv.index("--out") + 1])
overrides = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]
sets = dict(item.split("=", 1) for item in overrides)
seed = int(sets.get("train.seed", 0))
if (out / "metrics.json").is_file():
    print(f"{out}: finished already, skipped (--force runs it again)")
    sys.exit(0)
# A run that fails once the sweep has begun (what a sweep refuses before it starts, a file where a folder goes, never
# reaches its runs): a config named broken*.yaml, or a folder named in STAND_IN_FAIL (comma-separated).
if Path(argv[1]).name.startswith("broken") or out.name in os.environ.get("STAND_IN_FAIL", "").split(","):
    print(f"segbench: error: {out}: the stand-in run failed", file=sys.stderr)
    sys.exit(2)
print(f"{out}: stand-in run, seed {seed}", flush=True)
time.sleep(float(os.environ.get("STAND_IN_SECONDS", "0")))
out.mkdir(parents=True, exist_ok=True)
config = load_config(argv[1], overrides)  # a run writes its config first, as the sweep looks for it in the folder
config.output.dir = str(out)
write_yaml(out / "config.yaml", config.model_dump(mode="json"))
adapter = DATASETS.get(config.dataset.name)(config.dataset)  # the data it "ran" on, as a run records it
data = {**adapter.data_record(), "split": config.eval.split, "num_images": len(adapter.samples(config.eval.split))}
write_metrics(out, data.pop("classes"), np.random.default_rng(seed).uniform(0.2, 0.8, adapter.num_classes).tolist(),
              seed=seed, **data)
