"""The robustness of a run: mIoU under each corruption at each severity, beside the clean mIoU, as a table (CSV,
Markdown) and a plot, written into the run's ``eval/`` folder by ``segbench evaluate --robustness``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from segbench.io import atomic_path, write_text
from segbench.markdown import markdown_table
from segbench.report.plotting import plt

MEAN, RELATIVE = "mean", "relative"


def table(clean: float, scores: dict[tuple[str, int], float]) -> pd.DataFrame:
    """mIoU in % per corruption (rows, in the order given) and severity (columns), each row's mean over severities
    and that mean relative to the clean mIoU (1.00: no loss); a last row averages the corruptions."""
    frame = pd.Series(scores).unstack()  # rows: corruptions, columns: severities
    frame = frame.loc[list(dict.fromkeys(name for name, _ in scores))] * 100
    frame.columns = [str(severity) for severity in frame.columns]
    frame.loc[MEAN] = frame.mean()
    frame[MEAN] = frame.mean(axis=1)
    frame[RELATIVE] = frame[MEAN] / (100 * clean) if clean > 0 else float("nan")
    frame.index.name = "corruption"
    return frame


def markdown(frame: pd.DataFrame, clean: float, title: str) -> str:
    shown = frame.copy()
    scores = [column for column in shown.columns if column != RELATIVE]
    shown[scores] = shown[scores].map(lambda value: f"{value:.2f}")
    shown[RELATIVE] = shown[RELATIVE].map(lambda value: f"{value:.3f}")
    return (f"{title}: mIoU (paper protocol, %) under each corruption at severities 1-5; clean {100 * clean:.2f}. "
            f"{MEAN}: over the severities (last row: over the corruptions too); {RELATIVE}: that mean over the "
            "clean mIoU.\n\n" + markdown_table(shown.reset_index()) + "\n")


def write(folder: Path, frame: pd.DataFrame, clean: float, title: str, stem: str = "robustness") -> list[Path]:
    """``<stem>.csv``, ``<stem>.md`` and ``<stem>.png`` in ``folder``."""
    csv, md, png = (folder / f"{stem}.{suffix}" for suffix in ("csv", "md", "png"))
    write_text(csv, frame.round(4).to_csv())
    write_text(md, markdown(frame, clean, title))
    plot(frame, clean, title, png)
    return [csv, md, png]


def plot(frame: pd.DataFrame, clean: float, title: str, path: Path) -> Path:
    """mIoU against severity, a line per corruption, the clean mIoU as a dashed line, the mean over corruptions in
    black."""
    severities = [column for column in frame.columns if column not in (MEAN, RELATIVE)]
    x = [int(severity) for severity in severities]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for name, row in frame.drop(index=MEAN).iterrows():
        ax.plot(x, row[severities], marker="o", markersize=4, label=name.replace("_", " "))
    ax.plot(x, frame.loc[MEAN, severities], color="black", linewidth=2.2, marker="s", markersize=5,
            label=f"mean ({frame.loc[MEAN, MEAN]:.1f}, {frame.loc[MEAN, RELATIVE]:.2f} of clean)")
    ax.axhline(100 * clean, color="0.4", linestyle="--", linewidth=1.2, label=f"clean ({100 * clean:.1f})")
    ax.set(xlabel="severity", ylabel="mIoU (%)", xticks=x, title=title, ylim=(0, max(100 * clean * 1.1, 1)))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path
