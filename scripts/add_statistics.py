#!/usr/bin/env python3
"""Give a run finished before segbench kept its per-image statistics what a run finishing today writes: the
per-image file (``confusion_per_image.npz``), ``per_image.csv``, its worst images under ``predictions/worst/``, and in
``metrics.json`` the bootstrap intervals, Boundary IoU and calibration, by scoring its scored checkpoint again.

    python scripts/add_statistics.py RUN_DIR [RUN_DIR ...]

The run's weights must be there (``best.weights.h5`` or ``model.weights.h5``, as ``eval.checkpoint`` scored), and
so must its dataset. The new scoring must give exactly the confusion matrix that ``metrics.json`` holds: where it
does not (another machine's arithmetic, another version of the data), nothing is written and the difference is
said. ``metrics.json`` is rewritten atomically with those figures added (or replaced); nothing else in it changes. The
folder is locked meanwhile, as a run locks it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segbench.engine import predictions
from segbench.engine.evaluate import evaluate
from segbench.engine.loaded import load_run
from segbench.engine.run import scored_figures
from segbench.errors import SegbenchError
from segbench.lock import locked
from segbench.rundir import METRICS, read_metrics, write_metrics, write_per_image

STAGING = ".rescoring"  # inside the run folder, so that the final rename stays on one file system


def add_statistics(run_dir: Path) -> str:
    if not (run_dir / METRICS).is_file():
        raise SegbenchError(f"{run_dir}: no finished run there (no {METRICS})")
    with locked(run_dir):
        staging = run_dir / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        try:
            return _add(run_dir, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _add(run_dir: Path, staging: Path) -> str:
    metrics = read_metrics(run_dir)
    # What the run scored (its best epoch's weights where it kept them under eval.checkpoint: best, else the last),
    # in the precision it computed in.
    run = load_run(run_dir)
    config, adapter, weights = run.config, run.adapter, run.weights
    samples = adapter.samples(metrics["split"])
    # Predictions go to a staging folder first: a scoring that disagrees with metrics.json changes nothing.
    keep = predictions.Keeper(staging, samples, config.eval.figure_images, adapter.ignore_index)
    scored = evaluate(run.model, adapter, samples, config.eval.batch_size, progress=True, on_prediction=keep,
                      detailed=True)
    if scored["confusion_matrix"].tolist() != metrics["confusion_matrix"]:
        differ = int(abs(scored["confusion_matrix"] - metrics["confusion_matrix"]).sum()) // 2
        raise SegbenchError(f"{run_dir}: scoring {weights.name} again moves {differ:,} pixels from the confusion "
                            "matrix of metrics.json; nothing written")
    keep.finish()  # the kept predictions again (the same images), and the worst images
    shutil.rmtree(run_dir / predictions.FOLDER, ignore_errors=True)
    if (staging / predictions.FOLDER).is_dir():
        (staging / predictions.FOLDER).rename(run_dir / predictions.FOLDER)
    write_per_image(run_dir, samples, scored, adapter.ignore_index)
    figures = scored_figures(scored, adapter.ignore_index)
    # Only what is new; the standard section gets its Boundary mIoU beside what it held.
    metrics["standard"].update({key: figures["standard"][key] for key in figures["standard"] if "boundary" in key})
    metrics.update({key: value for key, value in figures.items() if key != "standard"})
    metrics = write_metrics(run_dir, metrics)
    low, high = metrics["intervals"]["paper"]["miou"]
    return (f"{run_dir}: mIoU {100 * metrics['miou']:.2f} [{100 * low:.1f}, {100 * high:.1f}], Boundary mIoU "
            f"{100 * metrics['boundary_miou']:.2f}, ECE {100 * metrics['calibration']['ece']:.2f} % (same confusion "
            "matrix)")


def main(paths: list[str]) -> int:
    status = 0
    for path in paths:
        try:
            print(add_statistics(Path(path)), flush=True)
        except (SegbenchError, OSError, KeyError, ValueError) as exc:
            print(f"add_statistics: {path}: {exc}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
