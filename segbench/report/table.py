"""One of the paper's tables with our runs set beside it, as Markdown, CSV and LaTeX.

Rows are the paper's methods in its order, columns its mIoU, fIoU and class headers, in percent. Each of our
figures carries its difference to the paper's (ours - paper); several seeds give mean ± std; a row without a
finished run shows '-'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import scipy.special

from segbench.errors import DataError
from segbench.markdown import markdown_table
from segbench.paper import METHODS, TABLES

STANDARD = "mIoU (standard)"
BOUNDARY, ECE = "Boundary mIoU", "ECE"  # ours only: the paper has neither; NaN for runs finished before them
OURS_ONLY = (STANDARD, BOUNDARY, ECE)
LOW, HIGH = "mIoU low", "mIoU high"  # a run's 95 % bootstrap interval over test images, where metrics.json has one
INTERVAL, INSIDE = "mIoU 95 % interval", "paper inside"


def scores(metrics: dict, dataset: str, source: Path) -> dict[str, float]:
    """One run's figures in percent under the paper's headers, and its standard-protocol mIoU."""
    headers = TABLES[dataset].headers
    per_class = dict(zip(metrics["classes"], metrics["per_class_iou"]))
    if metrics["dataset"] != dataset or list(per_class) != list(headers):
        raise DataError(f"{source}: a {metrics['dataset']} run with classes {', '.join(metrics['classes'])}, "
                        f"not the {dataset} classes of the paper's Table {TABLES[dataset].number}")
    figures = {"mIoU": metrics["miou"], "fIoU": metrics["fiou"], STANDARD: metrics["standard"]["miou"],
               BOUNDARY: metrics.get("boundary_miou", math.nan),
               ECE: (metrics.get("calibration") or {}).get("ece", math.nan),
               **{headers[name]: iou for name, iou in per_class.items()}}
    low, high = (metrics.get("intervals") or {}).get("paper", {}).get("miou", (math.nan, math.nan))
    return {column: 100 * value for column, value in {**figures, LOW: low, HIGH: high}.items()}


def interval(runs: pd.DataFrame, level: float = 0.95) -> tuple[float, float]:
    """The mIoU interval of a method's runs: one run's bootstrap interval over test images; with three seeds or
    more, the t-interval of their mean (what another training would give); NaN otherwise (two seeds are too few
    for a useful t-interval, and no single run's interval stands for their mean)."""
    if len(runs) == 1:
        return runs[LOW].iloc[0], runs[HIGH].iloc[0]
    if len(runs) >= 3:
        # Student's t quantile from scipy.special: scipy.stats would cost a report about half a second to import.
        half = scipy.special.stdtrit(len(runs) - 1, 0.5 + level / 2) * runs["mIoU"].std() / math.sqrt(len(runs))
        return runs["mIoU"].mean() - half, runs["mIoU"].mean() + half
    return math.nan, math.nan


@dataclass(frozen=True)
class Comparison:
    """The paper's table and ours, both indexed by the paper's method names in its order."""

    dataset: str
    paper: pd.DataFrame  # mIoU, fIoU and the class headers
    mean: pd.DataFrame  # the paper's columns and OURS_ONLY; NaN where a method has no run
    std: pd.DataFrame  # NaN with fewer than two seeds
    seeds: pd.Series  # runs per method, 0 where none
    interval: pd.DataFrame  # LOW and HIGH of the mIoU per method (see ``interval``); NaN where there is none
    from_scratch: tuple[str, ...] = ()  # methods the paper pretrained whose runs here started from random weights
    recipe: dict[str, str] = field(default_factory=dict)  # method -> how its runs differ from the paper's recipe

    def label(self, method: str, separator: str = " ") -> str:
        """The method's name, with what sets its runs apart from the paper's row: '(from scratch; 192x256, 40
        epochs)'."""
        notes = (["from scratch"] if method in self.from_scratch else []) + \
            ([self.recipe[method]] if method in self.recipe else [])
        return method + (f"{separator}({'; '.join(notes)})" if notes else "")

    @property
    def delta(self) -> pd.DataFrame:
        # Against our figure as printed, so that ours - delta gives back the paper's; + 0.0 turns -0.00 into 0.00.
        return (self.mean[self.paper.columns].round(2) - self.paper).round(2) + 0.0

    @property
    def paper_inside(self) -> pd.Series:
        """Whether the paper's mIoU lies inside our interval (None where we have none)."""
        paper, low, high = self.paper["mIoU"], self.interval[LOW], self.interval[HIGH]
        return pd.Series([None if math.isnan(lo) else bool(lo <= p <= hi) for p, lo, hi in zip(paper, low, high)],
                         index=self.paper.index, dtype=object)

    @property
    def ours(self) -> int:
        return int((self.seeds > 0).sum())


def compare(dataset: str, paper: pd.DataFrame, runs: dict[str, list[dict[str, float]]],
            from_scratch: tuple[str, ...] = (), recipe: dict[str, str] | None = None) -> Comparison:
    """``runs``: config stem -> the ``scores`` of its runs, one per seed; ``from_scratch``: config stems whose runs
    started from random weights where the paper's row was pretrained; ``recipe``: config stem -> how its runs
    differ from the paper's recipe (input size, epochs, ...), for those that do."""
    columns = [*paper.columns, *OURS_ONLY]
    by_method = {METHODS[stem]: pd.DataFrame(scored, columns=[*columns, LOW, HIGH], dtype=float)
                 for stem, scored in runs.items()}
    frames = [by_method.get(method, pd.DataFrame(columns=[*columns, LOW, HIGH], dtype=float))
              for method in paper.index]
    # skipna=False: a figure one seed lacks (its run finished before segbench measured it) leaves the mean over
    # seeds without it, rather than one seed's figure passing for the mean of all.
    return Comparison(dataset, paper,
                      mean=pd.DataFrame([frame[columns].mean(skipna=False) for frame in frames], index=paper.index),
                      std=pd.DataFrame([frame[columns].std(skipna=False) for frame in frames], index=paper.index),
                      seeds=pd.Series([len(frame) for frame in frames], index=paper.index),
                      interval=pd.DataFrame([interval(frame) for frame in frames], index=paper.index,
                                            columns=[LOW, HIGH]),
                      from_scratch=tuple(METHODS[stem] for stem in from_scratch),
                      recipe={METHODS[stem]: text for stem, text in (recipe or {}).items() if text})


def caption(c: Comparison) -> str:
    table = TABLES[c.dataset]
    missing = [method for method, n in c.seeds.items() if n == 0]
    return (f"{c.ours} of {len(c.paper)} rows are ours"
            + (f" ({', '.join(missing)}: no finished run yet, shown as -)" if missing else "")
            + (f". {', '.join(c.from_scratch)}: trained from scratch (marked so), where the paper started from "
               "pretrained weights" if c.from_scratch else "")
            + (f". {', '.join(c.recipe)}: not at the paper's recipe; the input size, epochs, batch, learning rate "
               "or subset that differ follow the name" if c.recipe else "")
            + ". IoU in %, paper protocol (every class in the mean, void and background included). Each method's "
            "row is ours, a cell reading ours (ours - paper), mean ± std where there are several seeds; the row "
            f"below it, (paper), is Table {table.number} of the paper. {STANDARD} leaves out the void class, where "
            "the dataset has one, and classes absent from both labels and predictions; the paper has no such figure, "
            f"nor {BOUNDARY} (IoU of the bands within 2 % of the image diagonal of each class's contour, paper "
            f"protocol) or {ECE} (expected calibration error over pixels, 15 bins; lower is better), shown where every "
            "seed of a row measured them. "
            f"{INTERVAL}: for one run, the 95 % bootstrap interval over the test images; for three seeds or more, "
            f"the t-interval of their mean; {INSIDE} says whether the paper's mIoU lies within it.")


def cell(mean: float, std: float, delta: float | None = None) -> str:
    if math.isnan(mean):
        return "-"
    text = f"{mean:.2f}" + ("" if math.isnan(std) else f" ± {std:.2f}")
    return text if delta is None else f"{text} ({delta:+.2f})"


def text_table(c: Comparison) -> pd.DataFrame:
    """For Markdown and LaTeX: our row, then the paper's, per method; then OURS_ONLY, the interval and the seeds."""
    delta = c.delta
    rows = []
    for method in c.paper.index:
        ours = {"Method": c.label(method)}
        ours.update({col: cell(c.mean.at[method, col], c.std.at[method, col], delta.at[method, col])
                     for col in c.paper.columns})
        ours.update({col: cell(c.mean.at[method, col], c.std.at[method, col]) for col in OURS_ONLY})
        low, high = c.interval.at[method, LOW], c.interval.at[method, HIGH]
        ours[INTERVAL] = "-" if math.isnan(low) else f"[{low:.2f}, {high:.2f}]"
        ours[INSIDE] = {None: "-", True: "yes", False: "no"}[c.paper_inside[method]]
        ours["seeds"] = str(c.seeds[method]) if c.seeds[method] else "-"
        paper = {"Method": "(paper)", **{col: f"{value:.2f}" for col, value in c.paper.loc[method].items()},
                 **dict.fromkeys([*OURS_ONLY, INTERVAL, INSIDE, "seeds"], "")}
        rows += [ours, paper]
    return pd.DataFrame(rows)


def render_md(c: Comparison) -> str:
    return f"# Table {TABLES[c.dataset].number}, {TABLES[c.dataset].title}: ours beside the paper's\n\n" + markdown(c)


def markdown(c: Comparison) -> str:
    """The caption and the table, without a title."""
    table = text_table(c)
    return (f"{caption(c)}\n\n" + markdown_table(table,
                                                       colalign=("left",) + ("right",) * (len(table.columns) - 1))
            + "\n")


def render_csv(c: Comparison) -> str:
    """Our figures first, under exactly the paper's header (Method, mIoU, fIoU, classes); then the seeds, our
    figures the paper has not (standard mIoU, Boundary mIoU, ECE), and the std, the paper's figure and the difference
    of each column."""
    scratch = pd.Series([method in c.from_scratch for method in c.paper.index], index=c.paper.index,
                        name="from scratch")
    recipe = pd.Series([c.recipe.get(method, "paper" if c.seeds[method] else None) for method in c.paper.index],
                       index=c.paper.index, name="recipe")
    frame = pd.concat([c.mean[c.paper.columns], c.seeds.rename("seeds"), c.mean[list(OURS_ONLY)], scratch, recipe,
                       c.interval, c.paper_inside.rename(INSIDE),
                       c.std.add_suffix(" std"), c.paper.add_suffix(" paper"), c.delta.add_suffix(" delta")], axis=1)
    return frame.rename_axis("Method").to_csv(float_format="%.2f", na_rep="-")


def render_tex(c: Comparison) -> str:
    table = TABLES[c.dataset]
    frame = text_table(c)
    return frame.to_latex(index=False, escape=True, column_format="l" + "r" * (len(frame.columns) - 1),
                          caption=f"{table.title}: ours beside the paper's Table {table.number}. "
                                  + caption(c).replace("%", r"\%"),  # escape=True leaves the caption as it is
                          label=f"tab:{c.dataset}")


RENDER = {"md": render_md, "csv": render_csv, "tex": render_tex}
