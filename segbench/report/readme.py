"""The README of one dataset's report: links to the table, the figure and the runs, and the recipe and
environment each run had (from its ``config.yaml`` and ``metrics.json``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml

from segbench.engine.progress import hours
from segbench.errors import DataError
from segbench.io import load_yaml, read_record, write_text
from segbench.markdown import markdown_table
from segbench.paper import METHODS, TABLES
from segbench.registry import DATASETS
from segbench.report.beyond import Beyond
from segbench.report.beyond import markdown as beyond_markdown
from segbench.report.table import Comparison, markdown
from segbench.rundir import CONFIG, CONFUSION, CURVES, RELIABILITY

NOTES = "NOTES.md"  # a hand-written companion in the report folder, linked when present


def readme(dataset: str, comparison: Comparison, runs: dict[str, list[Path]], metrics: dict[str, list[dict]],
           folder: Path, formats, figure: list[Path], worst: list[Path] = (), extra: Beyond | None = None) -> Path:
    """Write ``folder/README.md``; ``runs`` and ``metrics`` are per config stem, the table's rows in its order and
    then those of ``extra``, the rows beyond the paper's."""
    table = TABLES[dataset]
    links = " · ".join(f"[table.{fmt}](table.{fmt})" for fmt in formats)
    parts = [f"# {table.title}: the paper's Table {table.number} and ours", "",
             f"Written by `segbench report`. The table as {links}.", ""]
    parts += [markdown(comparison), ""]
    if extra:
        beyond_links = " · ".join(f"[beyond.{fmt}](beyond.{fmt})" for fmt in formats)
        parts += ["## Beyond the paper's table", "", f"As {beyond_links}.", "", beyond_markdown(extra), ""]
    if figure:
        parts += ["## Qualitative results", "", f"![{table.title}: predictions](figure.png)", "",
                  ("Input, ground truth and each model's prediction on the same test images (from each row's first "
                   "run, drawn from the predictions it saved at evaluation); [PDF](figure.pdf)." + _credit(dataset)),
                  ""]
    else:
        parts += ["No run of this dataset saved predictions (`eval.figure_images`), so there is no figure.", ""]
    if worst:
        parts += ["## Where the models fail", "", f"![{table.title}: worst images](worst.png)", "",
                  ("Each model's worst test images by their own mIoU (standard protocol), worst first, from the "
                   "images each row's first run kept at evaluation (`segbench report --worst K`); every image's "
                   "figures are in the run's `per_image.csv`. [PDF](worst.pdf)." + _credit(dataset)), ""]
    if (folder / NOTES).is_file():
        parts += ["## Notes", "", (f"What differs from the paper, and why, is in [{NOTES}]({NOTES}), written by "
                                   "hand beside this generated README."), ""]
    rows = [_run_row(METHODS.get(stem, stem), run, m, folder) for stem in runs
            for run, m in zip(runs[stem], metrics[stem])]
    parts += ["## Runs: recipe and environment", ""]
    if rows:
        parts += [("From each run's `config.yaml` and `metrics.json`. `images` is how many test images were scored; "
                   "a `subset` marks a smoke run on part of the data."), "",
                  markdown_table(pd.DataFrame(rows)), ""]
    else:
        parts += ["No finished runs yet: `segbench sweep --suite " + dataset + "`, then `segbench report` again.", ""]
    path = folder / "README.md"
    write_text(path, "\n".join(parts))
    return path


def _credit(dataset: str) -> str:
    credit = DATASETS.get(dataset).credit
    return f" Frames and labels: {credit}." if credit else ""


def _run_row(method: str, run: Path, metrics: dict, folder: Path) -> dict:
    config = read_config(run)
    train, model, data = config.get("train", {}), config.get("model", {}), config.get("dataset", {})
    env = metrics.get("environment", {})
    link = Path(os.path.relpath(run, folder)).as_posix()
    return {
        "Method": method,
        "run": f"[{run.name}]({link}/)",
        "seed": metrics.get("seed", "?"),
        "model": metrics["model"],
        "input": "x".join(map(str, model.get("input_size", ["?"]))),
        "encoder weights": model.get("encoder_weights") or "none",
        "epochs (scored)": f"{metrics.get('epochs', '?')} ({metrics.get('scored_epoch', '?')})",
        "batch": train.get("batch_size", "?"),
        "optimiser": train.get("optimizer", "?"),
        "lr": train.get("learning_rate", "?"),
        "schedule": _schedule(train),
        "images": metrics.get("num_images", "?"),
        "subset": data.get("subset") or "-",
        "precision": metrics.get("precision", "?"),
        "wall time": _duration(metrics.get("seconds", {})),
        "backend": " ".join(filter(None, (env.get("backend", "?"), env.get(env.get("backend", ""))))),
        "Keras": env.get("keras", "?"),
        "devices": ", ".join(env.get("devices", [])) or "?",
        "CPU": env.get("cpu", "?"),
        "plots": f"[curves]({link}/{CURVES}) · [confusion]({link}/{CONFUSION})"
                 + (f" · [reliability]({link}/{RELIABILITY})" if metrics.get("calibration") else ""),
    }


def read_config(run: Path) -> dict:
    path = run / CONFIG
    try:
        return load_yaml(read_record(path)) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None


def _duration(seconds: dict) -> str:
    """Training and scoring time as '1 h 52 min (train 1 h 50 min)'."""
    if not seconds:
        return "?"
    total = sum(seconds.values())
    return f"{hours(total)} (train {hours(seconds.get('train', 0))})"


def _schedule(train: dict) -> str:
    schedule = train.get("schedule", "?")
    text = f"poly {train.get('poly_power')}" if schedule == "poly" else schedule
    warmup = train.get("warmup_epochs")
    return f"{text}, warm-up {warmup:g} epoch" if warmup else text
