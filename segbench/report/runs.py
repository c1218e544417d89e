"""A table of finished runs read from their ``metrics.json``: one row per run, and mean ± std over the seeds of
each config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from segbench.bootstrap import interval_text
from segbench.io import load_yaml, read_record
from segbench.markdown import markdown_table
from segbench.rundir import CONFIG, one_recipe, read_eval, read_metrics

# The multi-scale and flip score of `segbench evaluate RUN --scales ms --tta flip` (the name of its eval/ file, which
# segbench.engine.inference names; that module loads Keras, this one must not), a column where a run of a table has it.
MS_FLIP, MS_FLIP_COLUMN = "ms+flip", "mIoU (ms+flip)"


def runs_tables(run_dirs: list[Path]) -> dict[str, pd.DataFrame]:
    """Per dataset, a table in percent: run, model, input size, test images, seed, epochs, headline figures, then
    IoU per class."""
    by_dataset: dict[str, list[dict]] = {}
    left_out: dict[str, str] = {}
    for run_dir in run_dirs:
        m = read_metrics(run_dir)
        left_out[m["dataset"]] = _standard_leaves_out(m)
        tta = read_eval(run_dir, MS_FLIP)  # segbench evaluate RUN --scales ms --tta flip, where it was run
        tta = tta if tta and tta["split"] == m["split"] else None
        row = {"run": str(run_dir), "model": m["model"], "input": _input_size(run_dir), "images": m.get("num_images"),
               "seed": m.get("seed"), "epochs": m.get("epochs"), "mIoU": m["miou"],
               MS_FLIP_COLUMN: tta["miou"] if tta else None, "fIoU": m["fiou"], "pixel acc": m["pixel_accuracy"],
               "mIoU (standard)": m["standard"]["miou"]}
        if "boundary_miou" in m:  # runs since Boundary IoU and calibration were measured
            row.update({"Boundary mIoU": m["boundary_miou"], "ECE": m["calibration"]["ece"]})
        row.update(zip(m["classes"], m["per_class_iou"]))
        row[INTERVALS] = _intervals(m)
        if row[MS_FLIP_COLUMN] is not None and "intervals" in tta:
            row[INTERVALS][MS_FLIP_COLUMN] = tuple(tta["intervals"]["paper"]["miou"])
        by_dataset.setdefault(m["dataset"], []).append(row)
    tables = {}
    for dataset, rows in by_dataset.items():
        table = pd.DataFrame(rows)
        tables[dataset] = _with_means(table.drop(columns=MS_FLIP_COLUMN) if table[MS_FLIP_COLUMN].isna().all()
                                      else table)
        tables[dataset].attrs[LEFT_OUT] = left_out[dataset]  # for render's caption
    return tables


LEFT_OUT = "standard_leaves_out"


def _standard_leaves_out(metrics: dict) -> str:
    """What mIoU (standard) leaves out of the mean on the run's dataset, as the caption says it."""
    classes, void = metrics["classes"], metrics["ignore_index"]
    absent = "the classes absent from both labels and predictions"
    if void is not None and 0 <= void < len(classes):
        return f"the void class ({classes[void]}) and {absent}"
    return f"only {absent} ({metrics['dataset']} has no void class)"


def _input_size(run_dir: Path) -> str | None:
    """The input size the model saw, from the run's config.yaml ('192x256'); None where it does not say."""
    try:
        size = (load_yaml(read_record(run_dir / CONFIG)) or {})["model"]["input_size"]
        return "x".join(map(str, size))
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None


LABELS = ("run", "model", "input", "images", "seed", "epochs")  # what a row is, before its figures


def _intervals(metrics: dict) -> dict[str, tuple[float, float]]:
    """The headline columns' bootstrap intervals, where ``metrics.json`` has them (runs since they were added)."""
    found = metrics.get("intervals")
    if not found:
        return {}
    return {column: tuple(found[protocol][key]) if protocol else tuple(found[key])
            for column, (protocol, key) in HEADLINES.items() if key in (found.get(protocol) if protocol else found)}


INTERVALS = "_intervals"  # a column that carries each row's intervals until they are written into its cells
HEADLINES = {"mIoU": ("paper", "miou"), "fIoU": ("paper", "fiou"), "pixel acc": ("paper", "pixel_accuracy"),
             "mIoU (standard)": ("standard", "miou"), "Boundary mIoU": ("paper", "boundary_miou"), "ECE": (None, "ece")}


def _with_means(table: pd.DataFrame) -> pd.DataFrame:
    intervals = table.pop(INTERVALS)
    scores = [c for c in table.columns if c not in LABELS]
    shown = table.copy()
    shown[scores] = shown[scores].map(lambda v: "-" if pd.isna(v) else f"{100 * v:.2f}")
    for index, found in intervals.items():  # "41.20 [39.8, 42.6]": the run's figure and its 95 % interval
        for column, (low, high) in found.items():
            shown.at[index, column] += f" {interval_text(low, high)}"
    shown[list(LABELS[2:])] = shown[list(LABELS[2:])].astype("string").fillna("-")
    means = []
    # Seeds of one config live in sibling folders NAME-seed0, NAME-seed1, ...: those, and only those, are averaged.
    for name, group in table.groupby(table["run"].str.replace(r"-seed\d+$", "", regex=True), sort=False):
        if len(group) > 1:
            one_recipe([Path(run) for run in group["run"]])
            # skipna=False: a figure one seed lacks (measured since its run finished) is no mean of the others'.
            mean, std = group[scores].mean(skipna=False) * 100, group[scores].std(skipna=False) * 100
            means.append({"run": f"{name}: mean ± std of {len(group)}", "model": group["model"].iloc[0],
                          **dict.fromkeys(LABELS[2:], "-"),
                          **{c: "-" if pd.isna(mean[c]) else f"{mean[c]:.2f} ± {std[c]:.2f}" for c in scores}})
    return pd.concat([shown, pd.DataFrame(means)], ignore_index=True) if means else shown


def render(tables: dict[str, pd.DataFrame], fmt: str = "md") -> str:
    if fmt == "csv":
        return pd.concat([t.assign(dataset=name) for name, t in tables.items()]).to_csv(index=False)
    return "\n\n".join(f"{name} (IoU in %; mIoU (standard) leaves out {t.attrs[LEFT_OUT]}; Boundary mIoU scores "
                       "the bands along each class's contour; ECE: expected calibration error in %, lower is better; "
                       "[low, high]: the 95 % bootstrap interval over test images)\n\n"
                       + markdown_table(t) for name, t in tables.items())
