#!/usr/bin/env python3
"""Does SegNet learn on real CamVid? Trains it from scratch at half resolution on whatever machine this is and
prints the val mIoU (paper protocol, native 360x480 labels) after every epoch, then the test figures.

    python scripts/learning_check.py --root ../shared/data/camvid [--epochs 12] [--out results/learning-check]

Not a test (it takes tens of minutes on a CPU): a model that does not learn on real data is the one failure no
unit test catches. Any extra arguments go to `segbench run` (e.g. --resume, --set train.learning_rate=0.001).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT.parent / "shared" / "data" / "camvid"), help="CamVid folder")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", default="results/learning-check", help="run folder")
    args, extra = parser.parse_known_args()
    command = [sys.executable, "-m", "segbench", "run", str(ROOT / "configs" / "camvid" / "segnet.yaml"),
               "--out", args.out, "--set", f"dataset.root={args.root}", "--set", "model.input_size=[176,240]",
               "--set", f"train.epochs={args.epochs}", "--set", "train.learning_rate=0.002", *extra]
    result = subprocess.run(command)
    if result.returncode != 0:
        return result.returncode
    history = pd.read_csv(Path(args.out) / "history.csv")
    print(history.assign(val_miou=lambda h: (100 * h["val_miou"]).round(2)).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
