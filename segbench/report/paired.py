"""`segbench compare RUN_A RUN_B`: is the difference between two runs more than their test images explain?"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from segbench import bootstrap
from segbench.engine.run import read_per_image
from segbench.errors import DataError
from segbench.report.runs import read_metrics

FIGURE_NAMES = {"miou": "mIoU", "fiou": "fIoU", "pixel_accuracy": "pixel acc"}


def compare_runs(run_a: Path, run_b: Path, resamples: int = bootstrap.RESAMPLES, seed: int = bootstrap.SEED) -> dict:
    """The paired bootstrap of two finished runs scored on the same images, with what each run says of itself."""
    metrics = [read_metrics(run) for run in (run_a, run_b)]
    for key in ("dataset", "split", "classes", "ignore_index"):
        if metrics[0].get(key) != metrics[1].get(key):
            raise DataError(f"{run_b}: its {key} ({metrics[1].get(key)}) is not {run_a}'s ({metrics[0].get(key)}); "
                            "only runs scored on the same images compare")
    (ids_a, a), (ids_b, b) = read_per_image(run_a), read_per_image(run_b)
    if ids_a != ids_b:
        raise DataError(f"{run_b}: scored other images than {run_a} ({len(ids_b)} and {len(ids_a)}, or another "
                        "order); only runs scored on the same images compare")
    found = bootstrap.paired(a, b, metrics[0]["ignore_index"], resamples=resamples, seed=seed)
    found.update(a=str(run_a), b=str(run_b), classes=metrics[0]["classes"],
                 figures={"a": metrics[0], "b": metrics[1]})
    return found


def table(found: dict) -> pd.DataFrame:
    """One row per figure, then per class (paper protocol): A, B, A - B, its interval and the verdict, in %."""
    rows = []
    a, b = found["figures"]["a"], found["figures"]["b"]
    for protocol, suffix in (("paper", ""), ("standard", " (standard)")):
        mine, theirs = (a if protocol == "paper" else a["standard"]), (b if protocol == "paper" else b["standard"])
        for key, name in FIGURE_NAMES.items():
            if protocol == "standard" and key != "miou":
                continue
            rows.append(_row(name + suffix, mine[key], theirs[key], found[protocol][key]))
    for c, name in enumerate(found["classes"]):
        rows.append(_row(f"IoU {name}", a["per_class_iou"][c], b["per_class_iou"][c],
                         found["paper"]["per_class_iou"][c]))
    return pd.DataFrame(rows)


def _row(name: str, a: float | None, b: float | None, judged: dict | None) -> dict:
    percent = (lambda v: "-" if v is None or np.isnan(v) else f"{100 * v:.2f}")
    if judged is None:
        return {"figure": name, "A": percent(a), "B": percent(b), "A - B": "-", "95 % interval": "-", "verdict": "-"}
    low, high = judged["interval"]
    return {"figure": name, "A": percent(a), "B": percent(b), "A - B": f"{100 * judged['difference']:+.2f}",
            "95 % interval": f"[{100 * low:+.2f}, {100 * high:+.2f}]", "verdict": judged["verdict"]}


def render(found: dict) -> str:
    head = (f"A: {found['a']}\nB: {found['b']}\n{found['images']} test images, {found['resamples']:,} paired "
            f"resamples (seed {found['seed']}); IoU in %, paper protocol unless marked.\n\n")
    return head + table(found).to_markdown(index=False, disable_numparse=True)
