"""``segbench report``: per dataset of a suite, the paper's table with ours beside it, the qualitative figure, each
run's curves and confusion matrix, and a README that ties them together."""

from __future__ import annotations

import sys
from pathlib import Path

from segbench.config import merged
from segbench.engine import predictions
from segbench.errors import DataError
from segbench.io import write_text
from segbench.paper import METHODS, PRETRAINED, SUITES, TABLES, read_paper
from segbench.registry import DATASETS
from segbench.report import figures
from segbench.report.curves import plot_confusion, plot_curves, plot_reliability
from segbench.report.figures import SUFFIXES, qualitative
from segbench.report.readme import read_config, readme
from segbench.report.table import RENDER, Comparison, compare, scores
from segbench.rundir import METRICS, read_metrics, seed_folders
from segbench.shipped import CONFIGS


def finished_runs(folder: Path) -> dict[str, list[Path]]:
    """Per paper row (config stem), its finished run folders in ``folder`` where ``segbench sweep`` puts them: the
    ``<stem>-seed<k>`` folders in seed order when there are any (a plain ``<stem>`` beside them would repeat one
    seed), else ``<stem>``."""
    runs = {}
    for stem in METHODS:
        plain = folder / stem
        runs[stem] = seed_folders(folder, stem) or ([plain] if (plain / METRICS).is_file() else [])
    return runs


def pretrained(run: Path) -> bool:
    """Whether the run started from pretrained weights (an encoder's or a whole model's), by its config.yaml."""
    model = read_config(run).get("model", {})
    return bool(model.get("encoder_weights") or model.get("weights"))


def report(suite: str, results: Path, out: Path, formats, worst: int = 0) -> list[Path]:
    """Write the report of every table of ``suite`` under ``out/<its folder>/``, from the runs in
    ``results/<its folder>/``; with ``worst``, also a figure of each row's ``worst`` worst images. Returns the
    files written."""
    if not results.is_dir():
        raise DataError(f"{results}: no such folder")
    return [path for table in SUITES[suite]
            for path in report_dataset(table.dataset, results / table.name, out / table.name, formats, worst)]


def report_dataset(dataset: str, runs_folder: Path, folder: Path, formats, worst: int = 0) -> list[Path]:
    """The report of ``dataset``'s paper table from the runs in ``runs_folder``, written into ``folder``."""
    paper = read_paper(dataset)
    found = finished_runs(runs_folder)
    stem_of = {method: stem for stem, method in METHODS.items()}
    runs = {stem_of[method]: found[stem_of[method]] for method in paper.index}  # this table's row order
    _say_what_was_found(dataset, runs_folder, runs)
    metrics = {stem: [read_metrics(run) for run in dirs] for stem, dirs in runs.items()}
    comparison = compare(dataset, paper,
                         {stem: [scores(m, dataset, run) for m, run in zip(metrics[stem], dirs)]
                          for stem, dirs in runs.items()},
                         tuple(stem for stem, dirs in runs.items() if stem in PRETRAINED and dirs
                               and not any(map(pretrained, dirs))),
                         {stem: off_recipe(dataset, stem, dirs[0]) for stem, dirs in runs.items() if dirs})
    written = []
    for fmt in formats:
        write_text(folder / f"table.{fmt}", RENDER[fmt](comparison))
        written.append(folder / f"table.{fmt}")
    for stem, dirs in runs.items():
        for run, m in zip(dirs, metrics[stem]):
            written += [plot_curves(run, m), plot_confusion(run, m)]
            written += filter(None, [plot_reliability(run, m)])
    figure = _figure(dataset, runs, folder / "figure", comparison)
    failures = _worst_figure(dataset, runs, folder / "worst", worst, comparison)
    written += figure + failures
    written.append(readme(dataset, comparison, runs, metrics, folder, formats, figure, failures))
    return written


def _say_what_was_found(dataset: str, runs_folder: Path, runs: dict[str, list[Path]]) -> None:
    """One line of what the table is made of, and one per finished run it cannot use (a folder named after no row
    of the table), so that an all-'-' table or a missing row is never a silent surprise."""
    used = {run for dirs in runs.values() for run in dirs}
    rows = [f"{stem} ({len(dirs)} run{'s' * (len(dirs) != 1)})" for stem, dirs in runs.items() if dirs]
    print(f"{runs_folder}: {len(rows)} of {len(runs)} rows of Table {TABLES[dataset].number} have finished runs"
          + (f": {', '.join(rows)}" if rows else f" (none: run `segbench sweep` into {runs_folder.parent} first)"),
          file=sys.stderr)
    for metrics in sorted(runs_folder.glob(f"*/{METRICS}")) if runs_folder.is_dir() else []:
        if metrics.parent not in used:
            print(f"skipped {metrics.parent}: not named after a row ({', '.join(runs)}, or <row>-seed<k>)",
                  file=sys.stderr)


def _figure(dataset: str, runs: dict[str, list[Path]], out: Path, comparison: Comparison) -> list[Path]:
    """The qualitative figure from each row's first run, leaving out (and naming) rows whose first run kept no
    predictions; none at all when no run kept any, and then no figure of an earlier report is left behind. Methods
    are labelled as in the table (from scratch, off the paper's recipe)."""
    kept = {stem: predictions.read(dirs[0]) for stem, dirs in runs.items() if dirs}
    columns = [(comparison.label(METHODS[stem], "\n"), images) for stem, images in kept.items() if images]
    if not columns:
        return _removed(out)
    absent = [METHODS[stem] for stem in runs if not kept.get(stem)]
    adapter = DATASETS.get(dataset)
    title = (f"{TABLES[dataset].title}: input, ground truth and each model's prediction (first seed)"
             + (f"; no predictions from {', '.join(absent)}" if absent else ""))
    return qualitative(title, adapter.classes, adapter.palette, columns, out)


def _worst_figure(dataset: str, runs: dict[str, list[Path]], out: Path, count: int,
                  comparison: Comparison) -> list[Path]:
    """Each row's ``count`` worst test images (from its first run), worst first; none when ``count`` is 0 or no
    run kept any, and then no figure of an earlier report is left behind."""
    kept = {stem: predictions.read(dirs[0], worst=True) for stem, dirs in runs.items() if dirs and count}
    columns = [(comparison.label(METHODS[stem], "\n"), images) for stem, images in kept.items() if images]
    if not columns:
        return _removed(out)
    adapter = DATASETS.get(dataset)
    title = (f"{TABLES[dataset].title}: each model's {count} worst test images by their own mIoU (first seed), "
             "worst first")
    return figures.worst(title, adapter.classes, adapter.palette, adapter.ignore_index, columns, out, count)


# What makes a run's recipe, with how a difference from the paper's is written.
RECIPE = (("model", "input_size", lambda v: "x".join(map(str, v))),
          ("train", "epochs", lambda v: f"{v} epoch{'s' * (v != 1)}"), ("train", "batch_size", lambda v: f"batch {v}"),
          ("train", "learning_rate", lambda v: f"lr {v:g}"), ("dataset", "subset", lambda v: f"subset {v}"))


def off_recipe(dataset: str, stem: str, run: Path) -> str:
    """How the run's ``config.yaml`` differs from the paper's config of its row (``configs/<dataset>/<stem>.yaml``)
    in the keys of ``RECIPE``: '192x256, 40 epochs'; '' where it does not (or where the paper config is not here)."""
    paper_config = CONFIGS / dataset / f"{stem}.yaml"
    if not paper_config.is_file():
        return ""
    # As written (what the paper config and its bases set), not validated: the report loads no model code.
    paper = merged(paper_config)
    ours = read_config(run)
    return ", ".join(write(ours[section][key]) for section, key, write in RECIPE
                     if (ours.get(section) or {}).get(key) is not None
                     and ours[section][key] != (paper.get(section) or {}).get(key))


def _removed(out: Path) -> list[Path]:
    for suffix in SUFFIXES:
        out.with_suffix(suffix).unlink(missing_ok=True)
    return []
