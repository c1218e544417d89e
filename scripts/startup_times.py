"""The wall time of the verbs that neither train nor infer, as a user meets it: each a fresh process, timed REPEATS
times (best and median), for docs/development.md#start-up-times.

    python scripts/startup_times.py [--repeats 5]

`results`, `report --suite camvid-cpu` and `compare` (its first two runs) read a copy of results/reference (report
writes into the run folders); the dataset verbs a CamVid tree imitated at 90x120 (12 pairs), both in a temporary
folder. `report` is timed twice: over runs whose figures are current (after one report, untimed), and with
`--redraw`, drawing every figure. Timing wants a machine doing nothing else: the load average is printed beside the table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEGBENCH = [sys.executable, "-m", "segbench"]


def timed(argv: list[str], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(SEGBENCH + argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - start)
    return seconds


def commands(results: Path, tmp: Path) -> list[tuple[str, list[str]]]:
    runs = sorted(path.parent for path in (results / "camvid-cpu").glob("*/metrics.json"))
    camvid = str(tmp / "camvid")
    return [("segbench --help", ["--help"]),
            ("segbench models list", ["models", "list"]),
            ("segbench weights list", ["weights", "list"]),
            ("segbench env", ["env"]),
            ("segbench datasets list", ["datasets", "list"]),
            ("segbench datasets verify camvid", ["datasets", "verify", "camvid", "--root", camvid]),
            ("segbench datasets stats camvid --split train",
             ["datasets", "stats", "camvid", "--root", camvid, "--split", "train"]),
            ("segbench datasets show camvid --split train",
             ["datasets", "show", "camvid", "--root", camvid, "--split", "train", "--out", str(tmp / "show.png")]),
            ("segbench results results/reference", ["results", str(results)]),
            (f"segbench compare RUN RUN ({runs[0].name}, {runs[1].name})",
             ["compare", str(runs[0]), str(runs[1])]),
            *((f"segbench report --suite camvid-cpu --formats md --worst 3{redraw}",
               ["report", "--suite", "camvid-cpu", "--results", str(results), "--out", str(tmp / "report"),
                "--formats", "md", "--worst", "3", *redraw.split()]) for redraw in ("", " --redraw"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="segbench-startup-"))
    try:
        results = tmp / "reference"
        shutil.copytree(Path(__file__).resolve().parents[1] / "results" / "reference", results)
        subprocess.run(SEGBENCH + ["datasets", "imitate", "camvid", "--root", str(tmp / "camvid"),
                                   "--images", "6,2,4"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(SEGBENCH + commands(results, tmp)[-2][1], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # the report's own figures, current from here on
        load = os.getloadavg()[0]
        print("| command | best | median |\n|---|---:|---:|")
        for label, argv in commands(results, tmp):
            seconds = timed(argv, args.repeats)
            print(f"| `{label}` | {min(seconds):.2f} s | {statistics.median(seconds):.2f} s |", flush=True)
        print(f"\nload average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f}; {args.repeats} calls each")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
