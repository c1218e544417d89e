"""`segbench compare A B`: is the difference between two runs, or two sets of seeds, more than their test images
(and their seeds) explain?"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from segbench import bootstrap
from segbench.errors import DataError, one_line
from segbench.markdown import markdown_table
from segbench.rundir import (
    EVAL,
    METRICS,
    eval_path,
    per_image_path,
    read_eval,
    read_metrics,
    read_per_image,
    seed_folders,
)

FIGURE_NAMES = {"miou": "mIoU", "fiou": "fIoU", "pixel_accuracy": "pixel acc"}
SAME = ("dataset", "split", "classes", "ignore_index")


def runs_at(path: Path) -> list[tuple[Path, str | None]]:
    """The scorings ``path`` names, each (run folder, re-scoring mode or None for the run's own): a finished run
    folder, the stem of a sweep's seed folders (``NAME`` for ``NAME-seed0``, ``-seed1``, ...), or a re-scoring by
    ``segbench evaluate``, ``RUN/eval/<mode>.json``."""
    if path.suffix == ".json" and path.parent.name == EVAL:
        if not path.is_file():
            raise DataError(f"{path}: no such file (`segbench evaluate` writes {EVAL}/<mode>.json)")
        return [(path.parent.parent, path.stem)]
    if (path / METRICS).is_file():
        return [(path, None)]
    seeds = seed_folders(path.parent, path.name)
    if not seeds:
        raise DataError(f"{path}: no finished run there ({METRICS}), nor seed folders {path.name}-seed<k> beside it, "
                        f"nor a re-scoring ({EVAL}/<mode>.json)")
    return [(seed, None) for seed in seeds]


def _per_image(run: Path, mode: str | None, metrics: dict) -> dict:
    """The per-image arrays of a scoring, refused where they are not those of its JSON: the bootstrap resamples
    them while the table shows the JSON, and another run's file put in place made the two contradict."""
    found = read_per_image(run, mode)
    if not np.array_equal(found["matrices"].sum(axis=0), np.asarray(metrics["confusion_matrix"])):
        raise DataError(f"{per_image_path(run, mode)}: its images' confusion matrices do not add up to the one of "
                        f"{METRICS if mode is None else f'{EVAL}/{mode}.json'}; not the per-image file of that scoring")
    return found


def compare_runs(a: Path, b: Path, resamples: int = bootstrap.RESAMPLES, seed: int = bootstrap.SEED) -> dict:
    """The paired bootstrap of two finished runs (or seed sets, or re-scorings) scored on the same images, with
    what each says of itself (averaged over its seeds)."""
    sides = [runs_at(a), runs_at(b)]
    names = [[str(run if mode is None else eval_path(run, mode)) for run, mode in side] for side in sides]
    first = names[0][0]
    metrics = [[read_metrics(run) if mode is None else read_eval(run, mode) for run, mode in side] for side in sides]
    reference = metrics[0][0]
    per_image = [[_per_image(run, mode, m) for (run, mode), m in zip(side, side_metrics)]
                 for side, side_metrics in zip(sides, metrics)]
    for side_names, side_metrics, side_images in zip(names, metrics, per_image):
        for name, m, images in zip(side_names, side_metrics, side_images):
            for key in SAME:
                if m.get(key) != reference.get(key):
                    raise DataError(f"{name}: its {key} ({m.get(key)}) is not {first}'s ({reference.get(key)}); "
                                    "only runs scored on the same images compare")
            if images["ids"] != per_image[0][0]["ids"]:
                raise DataError(f"{name}: scored other images than {first} ({len(images['ids'])} and "
                                f"{len(per_image[0][0]['ids'])}, or another order); only runs scored on the same "
                                "images compare")
            # Ids are file stems (synthetic: indices): another root, seed or size gives the same names to other
            # images. Scored on the same images, both sides' labels hold the same pixels of each class.
            if not np.array_equal(images["matrices"].sum(axis=-1), per_image[0][0]["matrices"].sum(axis=-1)):
                raise DataError(f"{name}: scored other images than {first} under the same names (their labels' "
                                "pixels per class differ: another dataset root, seed or size?); only runs scored on "
                                "the same images compare")
    stacks = [np.stack([images["matrices"] for images in side]) for side in per_image]
    with_bands = all("boundary" in images for side in per_image for images in side)
    # Runs scored before the standard bands dropped void pixels have three columns: both sides then compare under
    # that older rule, never one rule against the other.
    bands = None
    if with_bands:
        columns = min(images["boundary"].shape[-1] for side in per_image for images in side)
        bands = tuple(np.stack([images["boundary"][..., :columns] for images in side]) for side in per_image)
    found = bootstrap.paired(*stacks, reference["ignore_index"], resamples=resamples, seed=seed, boundary=bands)
    found.update(a=str(a), b=str(b), runs={"a": names[0], "b": names[1]},
                 classes=reference["classes"], figures={"a": _mean(metrics[0]), "b": _mean(metrics[1])})
    return found


def _mean(metrics: list[dict]) -> dict:
    """The figures a side's ``metrics.json`` files give, averaged over its seeds (None where one lacks it)."""
    def average(values):
        return None if any(v is None for v in values) else float(np.mean(values))

    return {**{key: average([m.get(key) for m in metrics]) for key in (*FIGURE_NAMES, "boundary_miou")},
            "per_class_iou": [average(values) for values in zip(*(m["per_class_iou"] for m in metrics))],
            "standard": {key: average([m["standard"].get(key) for m in metrics]) for key in ("miou", "boundary_miou")}}


def table(found: dict) -> pd.DataFrame:
    """One row per figure, then per class (paper protocol): A, B, A - B, its interval and the verdict, in %."""
    rows = []
    a, b = found["figures"]["a"], found["figures"]["b"]
    names = {**FIGURE_NAMES, "boundary_miou": "Boundary mIoU"}
    for protocol, suffix in (("paper", ""), ("standard", " (standard)")):
        mine, theirs = (a if protocol == "paper" else a["standard"]), (b if protocol == "paper" else b["standard"])
        for key, name in names.items():
            if (protocol == "standard" and key not in ("miou", "boundary_miou")) or key not in found[protocol]:
                continue
            rows.append(_row(name + suffix, mine.get(key), theirs.get(key), found[protocol][key]))
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
    def side(key: str) -> str:
        runs = found["runs"][key]
        # A run's name is anyone's: a NEL or a terminal escape in it broke this line, or coloured the terminal.
        return one_line(found[key]) + (f" (mean of {len(runs)} seeds)" if len(runs) > 1 else "")

    over = (f"{found['images']} test images" + (f" and the seeds ({' and '.join(map(str, found['seeds']))})"
                                                 if max(found["seeds"]) > 1 else ""))
    head = (f"A: {side('a')}\nB: {side('b')}\n{over}, {found['resamples']:,} paired resamples (seed "
            f"{found['seed']}); IoU in %, paper protocol unless marked.\n\n")
    return head + markdown_table(table(found))
