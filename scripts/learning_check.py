#!/usr/bin/env python3
"""Does SegNet learn on real CamVid? Trains it from scratch at half resolution on whatever machine this is and
prints the val mIoU (paper protocol, native 360x480 labels) after every epoch, then the test figures.

    python scripts/learning_check.py --root ../shared/data/camvid [--epochs 12] [--out results/learning-check]
    python scripts/learning_check.py --precisions float32,mixed_bfloat16 --epochs 10   # the curves side by side

Not a test (it takes tens of minutes on a CPU): a model that does not learn on real data is the one failure no
unit test catches. With several precisions, each trains from the same seed into <out>/<precision>, and the val
mIoU curves are printed side by side: does bf16 cost accuracy? Any extra arguments go to `segbench run` (e.g.
--resume, --set train.learning_rate=0.001).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # segbench from this checkout, installed or not (as scripts/add_statistics.py)

from segbench.rundir import read_metrics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT.parent / "shared" / "data" / "camvid"), help="CamVid folder")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", default="results/learning-check", help="run folder (a folder of them with "
                                                                        "several --precisions)")
    parser.add_argument("--precisions", help="comma-separated dtype policies to train in turn and compare "
                                             "(default: the config's, auto)")
    args, extra = parser.parse_known_args()
    precisions = [p.strip() for p in args.precisions.split(",")] if args.precisions else [None]
    curves, scores = {}, {}
    for precision in precisions:
        out = Path(args.out) / precision if precision else Path(args.out)
        command = [sys.executable, "-m", "segbench", "run", str(ROOT / "configs" / "camvid" / "segnet.yaml"),
                   "--out", str(out), "--set", f"dataset.root={args.root}", "--set", "model.input_size=[176,240]",
                   "--set", f"train.epochs={args.epochs}", "--set", "train.learning_rate=0.002", *extra]
        if precision:
            command += ["--set", f"train.precision={precision}"]
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            return result.returncode
        history = pd.read_csv(out / "history.csv")
        metrics = read_metrics(out)
        name = metrics["precision"]
        curves[f"loss ({name})"] = history["loss"].round(3)
        curves[f"val mIoU % ({name})"] = (100 * history["val_miou"]).round(2)
        scores[name] = {"scored epoch": metrics["scored_epoch"], "test mIoU %": round(100 * metrics["miou"], 2),
                        "test fIoU %": round(100 * metrics["fiou"], 2),
                        "test mIoU % (standard)": round(100 * metrics["standard"]["miou"], 2),
                        "train s/epoch": round(metrics["seconds"]["train"] / len(history), 1)}
    table = pd.DataFrame(curves)
    table.index = table.index + 1
    print(table.rename_axis("epoch").to_markdown())
    print()
    print(pd.DataFrame(scores).T.rename_axis("precision").to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
