"""``segbench report``: per dataset of a suite, the paper's table with ours beside it, the qualitative figure, each
run's curves and confusion matrix, and a README that ties them together."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from segbench.config import merged
from segbench.engine import predictions
from segbench.errors import DataError
from segbench.io import read_record, remove_stale_temporaries, write_json, write_text
from segbench.lock import locked
from segbench.paper import METHODS, PRETRAINED, SUITES, TABLES, read_paper
from segbench.registry import DATASETS
from segbench.report import beyond, fresh
from segbench.report.fresh import SUFFIXES
from segbench.report.readme import read_config, readme
from segbench.report.table import RENDER, Comparison, compare, scores
from segbench.rundir import (
    CONFUSION,
    CURVES,
    HISTORY,
    METRICS,
    RELIABILITY,
    read_metrics,
    refuse_run_folder,
    seed_folders,
)
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


def report(suite: str, results: Path, out: Path, formats, worst: int = 0, redraw: bool = False) -> list[Path]:
    """Write the report of every table of ``suite`` under ``out/<its folder>/``, from the runs in
    ``results/<its folder>/``; with ``worst``, also a figure of each row's ``worst`` worst images. A figure is
    drawn only where what it shows changed (:mod:`segbench.report.fresh`), every one with ``redraw``. Returns the
    files written or found current."""
    if not results.is_dir():
        raise DataError(f"{results}: no such folder")
    for table in SUITES[suite]:  # where it writes: `--out X` wrote into the run folder X/camvid
        refuse_run_folder(out / table.name, "report")
    written = []
    for table in SUITES[suite]:
        # One report a folder at a time: a second cleared the first's temporaries as stale while it drew them.
        with locked(out / table.name, "report folder"):
            written += report_dataset(table.dataset, results / table.name, out / table.name, formats, worst, redraw)
    return written


def report_dataset(dataset: str, runs_folder: Path, folder: Path, formats, worst: int = 0,
                   redraw: bool = False) -> list[Path]:
    """The report of ``dataset``'s paper table from the runs in ``runs_folder``, written into ``folder``."""
    paper = read_paper(dataset)
    found = finished_runs(runs_folder)
    stem_of = {method: stem for stem, method in METHODS.items()}
    runs = {stem_of[method]: found[stem_of[method]] for method in paper.index}  # this table's row order
    for stem, dirs in runs.items():
        for run in dirs:
            check_row_model(dataset, stem, run)
    others, refused = beyond.other_runs(runs_folder, dataset, {run for dirs in runs.values() for run in dirs})
    _say_what_was_found(dataset, runs_folder, runs, others, refused)
    metrics = {stem: [read_metrics(run) for run in dirs] for stem, dirs in {**runs, **others}.items()}
    scratch = [stem for stem, dirs in runs.items() if dirs and not any(map(pretrained, dirs))]  # in row order
    comparison = compare(dataset, paper,
                         {stem: [scores(m, dataset, run) for m, run in zip(metrics[stem], dirs)]
                          for stem, dirs in runs.items()},
                         tuple(stem for stem in scratch if stem in PRETRAINED),
                         {stem: off_recipe(dataset, stem, dirs[0]) for stem, dirs in runs.items() if dirs})
    extra = _beyond(dataset, comparison, runs, others, scratch)
    planned = _planned(formats, bool(extra), worst)
    earlier = _claim(folder, runs_folder, planned)  # before anything is written
    # A killed report's temporaries of its names (an empty .figure.segbench-tmp.<random>.pdf) stayed for good, and
    # those of a format not asked for this time too.
    remove_stale_temporaries([folder / name for name in [*_report_names(), OWNED]])
    written = []
    # The figures first, the tables after: what a figure is drawn from (a run's whole history, its kept worst
    # images) is found wanting while they are drawn, and the tables of a report that stopped there were this run's
    # already, beside the earlier report's figures (probe 21b case 7).
    for stem, dirs in {**runs, **others}.items():
        for run, m in zip(dirs, metrics[stem]):
            written += _run_plots(run, m, redraw)
    labels = {stem: comparison.label(METHODS[stem], "\n") for stem in runs}
    labels.update({stem: _beyond_label(dataset, stem, dirs[0], "\n") for stem, dirs in others.items()})
    figure = _figure(dataset, {**runs, **others}, folder / "figure", labels, redraw)
    failures = _worst_figure(dataset, {**runs, **others}, folder / "worst", worst, labels, redraw)
    written += figure + failures
    for fmt in formats:
        write_text(folder / f"table.{fmt}", RENDER[fmt](comparison))
        written.append(folder / f"table.{fmt}")
    for fmt in beyond.RENDER:
        if extra and fmt in formats:
            write_text(folder / f"{BEYOND}.{fmt}", beyond.RENDER[fmt](extra))
            written.append(folder / f"{BEYOND}.{fmt}")
    written.append(readme(dataset, comparison, {**runs, **others}, metrics, folder, formats, figure, failures,
                          extra))
    _settle(folder, runs_folder, earlier, {path.name for path in written if path.parent == folder})
    return written


OWNED = ".segbench-report.json"  # in a report folder: the names report claimed there (its files to replace)


def _report_names() -> list[str]:
    """The files a dataset's report writes (or removes, when stale) in its folder."""
    return ["README.md", *_stale_names()]


def _stale_names() -> list[str]:
    """The files an earlier report wrote that this one removes where it writes none: a table of rows beyond the
    paper's, or a figure, of runs no longer there would stand beside the new report as its own, and so would a table
    in a format not asked for this time (`--formats md` left the earlier table.csv and table.tex of other runs)."""
    return [*(f"table.{fmt}" for fmt in RENDER), *(f"{BEYOND}.{fmt}" for fmt in beyond.RENDER),
            *(f"{stem}{suffix}" for stem in ("figure", "worst") for suffix in SUFFIXES)]


def _planned(formats, extra: bool, worst: int) -> list[str]:
    """The names this report may write in its folder (a figure: where a run kept predictions, known only later)."""
    return ["README.md", *(f"table.{fmt}" for fmt in formats),
            *(f"{BEYOND}.{fmt}" for fmt in beyond.RENDER if extra and fmt in formats),
            *(f"{stem}{suffix}" for stem in ("figure", "worst")[:1 + bool(worst)] for suffix in SUFFIXES)]


def _claim(folder: Path, runs_folder: Path, planned: list[str]) -> set[str]:
    """The names an earlier report wrote in ``folder`` (by its claim; beside the runs, where `sweep` and the Makefile
    put it, committed reports included, every name is report's own), refusing a ``planned`` name that holds a file
    report did not write: into a folder of the user's (`--out`), a README.md and table.csv of theirs were replaced.
    The planned names are claimed first, so that a report cut short claims what it left."""
    if folder.resolve() == runs_folder.resolve():
        return set(_report_names())
    try:
        claimed = json.loads(read_record(folder / OWNED)) if (folder / OWNED).exists() else []
    except (OSError, ValueError):
        claimed = []
    earlier = {name for name in claimed if isinstance(name, str)} if isinstance(claimed, list) else set()
    for name in planned:
        path = folder / name
        if (path.exists() or path.is_symlink()) and name not in earlier:
            raise DataError(f"{path}: there already and not written by segbench report, which would replace it; "
                            "give --out a folder of its own")
    write_json(folder / OWNED, sorted(earlier | set(planned)))
    return earlier


def _settle(folder: Path, runs_folder: Path, earlier: set[str], written: set[str]) -> None:
    """Remove the stale files of an earlier report that this one did not write, and claim only what segbench wrote
    and is there: every name claimed, a user's beyond.csv or worst.pdf added later was deleted as stale."""
    for name in sorted(earlier.intersection(_stale_names()) - written):
        (folder / name).unlink(missing_ok=True)
    if folder.resolve() != runs_folder.resolve():
        write_json(folder / OWNED, sorted(name for name in earlier | written if (folder / name).exists()))


BEYOND = "beyond"  # beyond.{md,csv,tex}: the table of the rows beyond the paper's, where there are any


def _beyond(dataset: str, comparison: Comparison, runs: dict[str, list[Path]], others: dict[str, list[Path]],
            scratch: list[str]) -> beyond.Beyond | None:
    """The table of the runs named after no paper row, each compared with the best of our runs from scratch of
    the paper's rows; None where there are none."""
    if not others:
        return None
    best = beyond.best_row(comparison.mean["mIoU"], runs, scratch)
    reference = (METHODS[best], comparison.label(METHODS[best]), runs[best]) if best else None
    return beyond.beyond(dataset, list(comparison.paper.columns), others,
                         {stem: _beyond_label(dataset, stem, dirs[0]) for stem, dirs in others.items()}, reference)


def _beyond_label(dataset: str, stem: str, run: Path, separator: str = " ") -> str:
    """A row beyond the paper's: its folder's name, with how it differs from the paper's recipe where our
    configs give it one (configs/<dataset>/<stem>.yaml)."""
    recipe = off_recipe(dataset, stem, run)
    return stem + (f"{separator}({recipe})" if recipe else "")


def _say_what_was_found(dataset: str, runs_folder: Path, runs: dict[str, list[Path]],
                        others: dict[str, list[Path]], refused: dict[Path, str]) -> None:
    """One line of what the table is made of, one of the rows beyond it, and one per finished run it cannot use,
    so that an all-'-' table or a missing row is never a silent surprise."""
    def counted(groups: dict[str, list[Path]]) -> list[str]:
        return [f"{stem} ({len(dirs)} run{'s' * (len(dirs) != 1)})" for stem, dirs in groups.items() if dirs]

    rows = counted(runs)
    print(f"{runs_folder}: {len(rows)} of {len(runs)} rows of Table {TABLES[dataset].number} have finished runs"
          + (f": {', '.join(rows)}" if rows else f" (none: run `segbench sweep` into {runs_folder.parent} first)"),
          file=sys.stderr)
    if others:
        print(f"{runs_folder}: beyond the paper's rows: {', '.join(counted(others))}", file=sys.stderr)
    for run, why in refused.items():
        print(f"skipped {run}: {why}", file=sys.stderr)


def _run_plots(run: Path, metrics: dict, redraw: bool) -> list[Path]:
    """The run's curves, confusion matrix and (where it measured calibration) reliability diagram, each drawn only
    where its PNG was not drawn from the run's files as they are now."""
    plots = [(CURVES, "plot_curves", (HISTORY, METRICS)), (CONFUSION, "plot_confusion", (METRICS,))]
    if metrics.get("calibration"):
        plots.append((RELIABILITY, "plot_reliability", (METRICS,)))
    # A killed report's temporaries of these (.curves.segbench-tmp.<random>.png) stayed in the run folder for good.
    remove_stale_temporaries([run / name for name, _, _ in plots])
    written = []
    for name, plot, inputs in plots:
        # The folder's names are in the plot's title.
        key = fresh.digest(name, run.parent.name, run.name, *(run / file for file in inputs))
        if redraw or not fresh.current([run / name], key):
            from segbench.report import curves  # matplotlib, loaded only where something is drawn

            getattr(curves, plot)(run, metrics, key)
        written.append(run / name)
    return written


def _figure(dataset: str, runs: dict[str, list[Path]], out: Path, labels: dict[str, str], redraw: bool) -> list[Path]:
    """The qualitative figure from each row's first run (the paper's rows, then those beyond), leaving out (and
    naming) rows whose first run kept no predictions; none at all when no run kept any (and then report_dataset
    removes an earlier report's). Rows are labelled as in the tables (from scratch, off the paper's recipe). Drawn
    only where the PNG there was not drawn from these labels and the runs' predictions as they are now."""
    adapter = DATASETS.get(dataset)
    key = fresh.digest("figure", adapter.classes, np.asarray(adapter.palette).tolist(), labels,
                       *(dirs[0] / predictions.FOLDER for dirs in runs.values() if dirs))
    files = [out.with_suffix(suffix) for suffix in SUFFIXES]
    if not redraw and fresh.current(files, key):
        return files
    kept = {stem: predictions.read(dirs[0], len(adapter.classes)) for stem, dirs in runs.items() if dirs}
    columns = [(labels[stem], images) for stem, images in kept.items() if images]
    if not columns:
        return []
    absent = [METHODS.get(stem, stem) for stem in runs if not kept.get(stem)]
    beyond_drawn = any(stem not in METHODS for stem, images in kept.items() if images)
    title = (f"{TABLES[dataset].title}: input, ground truth and each model's prediction (first seed)"
             + ("; the paper's rows, then those beyond it" if beyond_drawn else "")
             + (f"; no predictions from {', '.join(absent)}" if absent else ""))
    from segbench.report.figures import qualitative

    return qualitative(title, adapter.classes, adapter.palette, columns, out, key)


def _worst_figure(dataset: str, runs: dict[str, list[Path]], out: Path, count: int,
                  labels: dict[str, str], redraw: bool) -> list[Path]:
    """Each row's ``count`` worst test images (from its first run), worst first; none when ``count`` is 0 or no
    run kept any (and then report_dataset removes an earlier report's). Drawn only where needed, as _figure."""
    adapter = DATASETS.get(dataset)
    key = fresh.digest("worst", adapter.classes, np.asarray(adapter.palette).tolist(), adapter.ignore_index, labels,
                       count, *(dirs[0] / predictions.FOLDER / predictions.WORST for dirs in runs.values() if dirs))
    files = [out.with_suffix(suffix) for suffix in SUFFIXES]
    if count and not redraw and fresh.current(files, key):
        return files
    kept = {stem: predictions.read(dirs[0], len(adapter.classes), worst=True) for stem, dirs in runs.items()
            if dirs and count}
    columns = [(labels[stem], images) for stem, images in kept.items() if images]
    if not columns:
        return []
    title = (f"{TABLES[dataset].title}: each model's {count} worst test images by their own mIoU (first seed), "
             "worst first")
    from segbench.report import figures

    return figures.worst(title, adapter.classes, adapter.palette, adapter.ignore_index, columns, out, count, key)


# What makes a run's recipe, with how a difference from the paper's is written.
RECIPE = (("model", "input_size", lambda v: "x".join(map(str, v))),
          ("train", "epochs", lambda v: f"{v} epoch{'s' * (v != 1)}"), ("train", "batch_size", lambda v: f"batch {v}"),
          ("train", "learning_rate", lambda v: f"lr {v:g}"), ("dataset", "subset", lambda v: f"subset {v}"))


def check_row_model(dataset: str, stem: str, run: Path) -> None:
    """Refuse a run in a paper row's folder that is of another model than the row's config names: a SegNet run
    copied (or run) into ``vgg_unet/`` was shown as the VGG UNet row, its difference taken from the paper's VGG
    UNet, since a row's runs are found by folder name."""
    paper_config = CONFIGS / dataset / f"{stem}.yaml"
    if not paper_config.is_file():
        return
    theirs = (merged(paper_config).get("model") or {}).get("name")
    ours = (read_config(run).get("model") or {}).get("name")
    if theirs and ours != theirs:
        raise DataError(f"{run}: a run of {ours} in the folder of the paper's {METHODS[stem]} row, whose model is "
                        f"{theirs}; move it to a folder of its own name")


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


