"""``segbench report``: per dataset of a suite, the paper's table with ours beside it, the qualitative figure, each
run's curves and confusion matrix, and a README that ties them together."""

from __future__ import annotations

import re
from pathlib import Path

from segbench.engine import predictions
from segbench.engine.sweep import SUITES
from segbench.errors import DataError
from segbench.io import write_text
from segbench.registry import DATASETS, load_builtins
from segbench.report.curves import plot_confusion, plot_curves
from segbench.report.figures import SUFFIXES, qualitative
from segbench.report.paper import METHODS, TABLES, read_paper
from segbench.report.readme import readme
from segbench.report.runs import METRICS, read_metrics
from segbench.report.table import RENDER, compare, scores


def finished_runs(results: Path, dataset: str) -> dict[str, list[Path]]:
    """Per paper row (config stem), its finished run folders where ``segbench sweep`` puts them: the
    ``<stem>-seed<k>`` folders in seed order when there are any (a plain ``<stem>`` beside them would repeat one
    seed), else ``<stem>``."""
    runs = {}
    for stem in METHODS:
        seeded = [path for path in (results / dataset).glob(f"{stem}-seed*")
                  if re.fullmatch(rf"{re.escape(stem)}-seed\d+", path.name) and (path / METRICS).is_file()]
        plain = results / dataset / stem
        runs[stem] = (sorted(seeded, key=lambda path: int(path.name.rpartition("seed")[2])) or
                      ([plain] if (plain / METRICS).is_file() else []))
    return runs


def report(suite: str, results: Path, out: Path, formats) -> list[Path]:
    """Write the report of every dataset of ``suite`` under ``out/<dataset>/``; returns the files written."""
    if not results.is_dir():
        raise DataError(f"{results}: no such folder")
    load_builtins()  # the adapters' palettes
    return [path for dataset in SUITES[suite] for path in report_dataset(dataset, results, out / dataset, formats)]


def report_dataset(dataset: str, results: Path, folder: Path, formats) -> list[Path]:
    paper = read_paper(dataset)
    found = finished_runs(results, dataset)
    stem_of = {method: stem for stem, method in METHODS.items()}
    runs = {stem_of[method]: found[stem_of[method]] for method in paper.index}  # this table's row order
    metrics = {stem: [read_metrics(run) for run in dirs] for stem, dirs in runs.items()}
    comparison = compare(dataset, paper,
                         {stem: [scores(m, dataset, run) for m, run in zip(metrics[stem], dirs)]
                          for stem, dirs in runs.items()})
    written = []
    for fmt in formats:
        write_text(folder / f"table.{fmt}", RENDER[fmt](comparison))
        written.append(folder / f"table.{fmt}")
    for stem, dirs in runs.items():
        for run, m in zip(dirs, metrics[stem]):
            written += [plot_curves(run, m), plot_confusion(run, m)]
    figure = _figure(dataset, runs, folder / "figure")
    written += figure
    written.append(readme(dataset, comparison, runs, metrics, folder, formats, figure))
    return written


def _figure(dataset: str, runs: dict[str, list[Path]], out: Path) -> list[Path]:
    """The qualitative figure from each row's first run, leaving out (and naming) rows whose first run kept no
    predictions; none at all when no run kept any, and then no figure of an earlier report is left behind."""
    kept = [(METHODS[stem], predictions.read(dirs[0])) for stem, dirs in runs.items() if dirs]
    columns = [(method, images) for method, images in kept if images]
    if not columns:
        for suffix in SUFFIXES:
            out.with_suffix(suffix).unlink(missing_ok=True)
        return []
    absent = [METHODS[stem] for stem in runs if METHODS[stem] not in dict(columns)]
    adapter = DATASETS.get(dataset)
    title = (f"{TABLES[dataset].title}: input, ground truth and each model's prediction (first seed)"
             + (f"; no predictions from {', '.join(absent)}" if absent else ""))
    return qualitative(title, adapter.classes, adapter.palette, columns, out)
