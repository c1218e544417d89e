"""Rows beyond the paper's table: the finished runs of a report's folder that are named after none of the paper's
rows (a modern baseline, a user's own model), each with the same figures and intervals as the paper's rows, and its
paired difference to the best of ours among those rows (``segbench compare``'s bootstrap), so that a new model
stands beside the paper's without a paper figure to set it against."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from segbench.errors import DataError
from segbench.markdown import markdown_table
from segbench.paper import METHODS, TABLES
from segbench.report.paired import compare_runs
from segbench.report.table import INTERVAL, OURS_ONLY, STANDARD, cell, interval, scores
from segbench.rundir import METRICS, one_recipe, read_metrics

SEEDED = re.compile(r"(?P<stem>.+)-seed\d+")
VERSUS = "mIoU vs "  # + the reference row's label: the paired difference, its interval and the verdict


def other_runs(folder: Path, dataset: str, used: set[Path]) -> tuple[dict[str, list[Path]], dict[Path, str]]:
    """The finished runs in ``folder`` that no paper row took, grouped as ``segbench sweep`` names them (a stem's
    ``<stem>-seed<k>`` folders together, in seed order; any other folder on its own), and those that cannot stand
    in ``dataset``'s table, each with the reason: {stem: run folders}, {run folder: why not}."""
    grouped: dict[str, list[tuple[int, Path]]] = {}
    refused: dict[Path, str] = {}
    classes = list(TABLES[dataset].headers)
    for path in sorted(folder.glob(f"*/{METRICS}")) if folder.is_dir() else []:
        run = path.parent
        if run in used:
            continue
        try:
            metrics = read_metrics(run)
        except DataError as exc:
            refused[run] = str(exc)
            continue
        if metrics["dataset"] != dataset or metrics["classes"] != classes:
            refused[run] = f"a {metrics['dataset']} run with other classes than Table {TABLES[dataset].number}'s"
            continue
        seeded = SEEDED.fullmatch(run.name)
        stem = seeded["stem"] if seeded else run.name
        if stem in METHODS:  # a plain <row> folder beside the row's seed folders, which the row takes
            refused[run] = f"the {stem} row takes its seed folders {stem}-seed<k>, and this run would repeat a seed"
            continue
        order = int(run.name.rpartition("seed")[2]) if seeded else -1
        grouped.setdefault(stem, []).append((order, run))
    return {stem: one_recipe([run for _, run in sorted(runs)]) for stem, runs in sorted(grouped.items())}, refused


@dataclass(frozen=True)
class Beyond:
    """The rows beyond the paper's table, indexed by their stems, with the paper's columns and ours."""

    dataset: str
    columns: list[str]  # the paper's: mIoU, fIoU, the class headers
    labels: dict[str, str]  # stem -> the row's name, with how its recipe differs from the paper's
    mean: pd.DataFrame
    std: pd.DataFrame
    seeds: pd.Series
    interval: pd.DataFrame
    reference: str | None  # the paper row (its method) the differences are taken against; None with no row to take
    reference_label: str  # that row as the table above labels it: 'SegNet (64x96)'
    versus: dict[str, dict | None]  # stem -> compare_runs' paper-protocol mIoU (difference, interval, verdict)


def beyond(dataset: str, columns: list[str], runs: dict[str, list[Path]], labels: dict[str, str],
           reference: tuple[str, str, list[Path]] | None) -> Beyond:
    """``runs``: stem -> its run folders (one per seed); ``reference``: (method, label, run folders) of the paper
    row every one is compared with, or None."""
    frames = {stem: pd.DataFrame([scores(read_metrics(run), dataset, run) for run in dirs], dtype=float)
              for stem, dirs in runs.items()}
    every = [*columns, *OURS_ONLY]
    versus = {stem: _versus(dirs, reference[2]) if reference else None for stem, dirs in runs.items()}
    return Beyond(dataset, columns, labels,
                  mean=pd.DataFrame({stem: frame[every].mean(skipna=False) for stem, frame in frames.items()}).T,
                  std=pd.DataFrame({stem: frame[every].std(skipna=False) for stem, frame in frames.items()}).T,
                  seeds=pd.Series({stem: len(frame) for stem, frame in frames.items()}, dtype=int),
                  interval=pd.DataFrame({stem: interval(frame) for stem, frame in frames.items()},
                                        index=["low", "high"]).T,
                  reference=reference[0] if reference else None,
                  reference_label=reference[1] if reference else "", versus=versus)


def _versus(dirs: list[Path], reference: list[Path]) -> dict | None:
    """The paired bootstrap of a row's runs against the reference row's, as ``segbench compare`` gives it (None
    where they were not scored on the same images, or a side kept no per-image matrices)."""
    try:
        return compare_runs(_side(dirs), _side(reference))["paper"].get("miou")
    except DataError:
        return None


def _side(dirs: list[Path]) -> Path:
    """What ``compare_runs`` takes for these runs: the folder of one run, or the stem of a sweep's seed folders."""
    return dirs[0] if len(dirs) == 1 else dirs[0].parent / SEEDED.fullmatch(dirs[0].name)["stem"]


def best_row(mean_miou: pd.Series, runs: dict[str, list[Path]], from_scratch: list[str]) -> str | None:
    """The paper row (config stem) whose runs here score the highest mean mIoU, of those trained from random
    weights (a fair match for rows from scratch); None where no such row has a run."""
    candidates = {stem: mean_miou[METHODS[stem]] for stem, dirs in runs.items() if dirs and stem in from_scratch
                  and not math.isnan(mean_miou[METHODS[stem]])}
    return max(candidates, key=candidates.get) if candidates else None


def caption(b: Beyond) -> str:
    table = TABLES[b.dataset]
    against = (f"{VERSUS}{b.reference}: the paired difference in mIoU (this row minus our {b.reference_label}, "
               "the best of our runs from scratch of the paper's rows), its 95 % "
               "interval from `segbench compare`'s bootstrap over the test images (and over the seeds, where a side "
               "has several), and whether the row is better, worse or not distinguishable at 95 %; '-' where the two "
               "were not scored on the same images"
               if b.reference else "No paper row has a run from scratch here to compare with")
    return (f"{len(b.seeds)} row{'s' * (len(b.seeds) != 1)} beyond the paper's Table {table.number}: the finished runs "
            "in this folder named after none of its rows, on the same test images and protocol (IoU in %, paper "
            f"protocol, mean ± std where there are several seeds; {STANDARD}, Boundary mIoU, ECE and {INTERVAL} as "
            f"in the table above). {against}.")


def text_table(b: Beyond) -> pd.DataFrame:
    rows = []
    for stem in b.seeds.index:
        row = {"Method": b.labels[stem], "mIoU": cell(b.mean.at[stem, "mIoU"], b.std.at[stem, "mIoU"])}
        if b.reference:
            row[VERSUS + b.reference] = _difference(b.versus[stem])
        row.update({col: cell(b.mean.at[stem, col], b.std.at[stem, col]) for col in [*b.columns[1:], *OURS_ONLY]})
        low, high = b.interval.at[stem, "low"], b.interval.at[stem, "high"]
        row[INTERVAL] = "-" if math.isnan(low) else f"[{low:.2f}, {high:.2f}]"
        row["seeds"] = str(b.seeds[stem])
        rows.append(row)
    return pd.DataFrame(rows)


def _difference(judged: dict | None) -> str:
    if judged is None:
        return "-"
    low, high = judged["interval"]
    return f"{100 * judged['difference']:+.2f} [{100 * low:+.2f}, {100 * high:+.2f}], {said(judged['verdict'])}"


def said(verdict: str) -> str:
    """compare's verdict, A being the row and B the reference, from the row's side, as the column reads."""
    return {"A better": "better", "B better": "worse"}.get(verdict, "not distinguishable")


def markdown(b: Beyond) -> str:
    table = text_table(b)
    return (f"{caption(b)}\n\n" + markdown_table(table,
                                                       colalign=("left",) + ("right",) * (len(table.columns) - 1))
            + "\n")


def render_md(b: Beyond) -> str:
    table = TABLES[b.dataset]
    return f"# Beyond the paper's Table {table.number}, {table.title}\n\n" + markdown(b)


def render_csv(b: Beyond) -> str:
    """The paper's columns first, as table.csv has them, then ours, the interval, the paired difference and the
    std of each column."""
    judged = b.versus
    versus = pd.DataFrame({"vs": {stem: b.reference or "-" for stem in judged},
                           **{f"vs {name}": {stem: 100 * pick(j) if j else math.nan for stem, j in judged.items()}
                              for name, pick in (("difference", lambda j: j["difference"]),
                                                 ("low", lambda j: j["interval"][0]),
                                                 ("high", lambda j: j["interval"][1]))},
                           "vs verdict": {stem: j["verdict"] if j else "-" for stem, j in judged.items()}})
    frame = pd.concat([pd.Series(b.labels, name="label"), b.mean[b.columns], b.seeds.rename("seeds"),
                       b.mean[list(OURS_ONLY)], b.interval.add_prefix("mIoU "), versus, b.std.add_suffix(" std")],
                      axis=1)
    return frame.rename_axis("run").to_csv(float_format="%.2f", na_rep="-")


def render_tex(b: Beyond) -> str:
    frame = text_table(b)
    table = TABLES[b.dataset]
    return frame.to_latex(index=False, escape=True, column_format="l" + "r" * (len(frame.columns) - 1),
                          caption=f"{table.title}: beyond the paper's Table {table.number}. "
                                  + caption(b).replace("%", r"\%"),
                          label=f"tab:{b.dataset}-beyond")


RENDER = {"md": render_md, "csv": render_csv, "tex": render_tex}
