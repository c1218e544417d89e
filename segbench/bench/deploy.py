"""``segbench bench deploy``: the accuracy-latency table of runs and their exported files, and its Pareto figure.

Per run: its own scoring (Keras, metrics.json) and every file scored by ``segbench evaluate --onnx``
(``eval/onnx-<precision>.json``), each with its mIoU and interval, its paired change against the float32 file (the
run's own scoring where no float32 file was scored) from the same bootstrap ``segbench compare`` runs, and the
latency ``segbench bench latency`` measured for that very file (matched by its SHA-256; the Keras model by its run
folder's name), with the machine it was measured on. Reads files only: no framework is loaded.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

import pandas as pd

from segbench import bootstrap
from segbench.errors import DataError, SegbenchError
from segbench.io import (
    atomic_path,
    link_to_nothing,
    read_record,
    remove_stale_temporaries,
    staging_folder,
    write_text,
)
from segbench.markdown import markdown_table
from segbench.report.fresh import png_text
from segbench.report.paired import compare_runs
from segbench.rundir import (
    CONFIG,
    EVAL,
    METRICS,
    PER_IMAGE,
    read_eval,
    read_metrics,
    replaced_with_a_run,
    run_folder_of,
)

REFERENCE = "onnx-float32"  # the mode every other row is paired against, where the run has it
ORDER = {"keras": 0, "float32": 1, "fp16": 2, "int8": 3}
MARKERS = {"keras": "D", "float32": "o", "fp16": "s", "int8": "^"}
TITLE = "# Accuracy against latency on the CPU"  # the table's heading, which tells a table of deploy's from notes
SOFTWARE = "segbench bench deploy"  # in the figure's Software chunk: a deploy replaces its own figure only


def read_latency(paths: list[Path]) -> list[dict]:
    """The results of ``bench latency --out`` files, one line naming a file that is not one."""
    results = []
    for path in paths:
        try:
            document = json.loads(read_record(path))  # a FIFO blocked for good, /dev/zero read until memory ran out
            found = document["results"]
            if not isinstance(found, list) or not all("latency_ms" in r and "kind" in r for r in found):
                raise KeyError("results")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a `segbench bench latency --out` file ({type(exc).__name__}: "
                            f"{exc})") from None
        results += found
    return results


def scorings(run: Path) -> list[tuple[str, Path, dict]]:
    """``(row kind, file, its metrics)`` of the run's own scoring (``keras``) and of each exported file scored
    plainly (``eval/onnx-<precision>.json``: not under a corruption, on another split or from other weights)."""
    if not (run / METRICS).is_file():
        raise DataError(f"{run}: not a finished run ({METRICS} missing)")
    found = [("keras", run, read_metrics(run))]
    for path in sorted((run / EVAL).glob("onnx-*.json")):
        metrics = read_eval(run, path.stem)
        exported = metrics["mode"].get("onnx")
        if exported and path.stem == f"onnx-{exported['precision']}":
            found.append((exported["precision"], path, metrics))
    return sorted(found, key=lambda row: ORDER[row[0]])


def matching(kind: str, run: Path, metrics: dict, latency: list[dict]) -> list[dict]:
    """The latency results of this row: the file's by its SHA-256, the run's Keras model by its folder's name and
    model (the timing needs the weights, the table does not: it is written again from the runs' figures kept beside
    it, in folders of the same names)."""
    if kind == "keras":
        # And by the weights it timed, where both record them: another run of the folder's name (width 0.25 for
        # 0.125) had the first one's latency and size in its row, rc 0.
        own = set((metrics.get("weights_sha256") or {}).values())
        return [r for r in latency if r["kind"] == "keras" and Path(r["run"]).name == run.name
                and r["model"] == metrics["model"] and (not own or not r.get("sha256") or r["sha256"] in own)]
    return [r for r in latency if r["kind"] == "onnx" and r.get("sha256") == metrics["mode"]["onnx"]["sha256"]]


def deploy_rows(runs: list[Path], latency: list[dict], resamples: int = bootstrap.RESAMPLES) -> list[dict]:
    """One row per run and precision, as ``deploy_table`` and ``pareto_figure`` draw them."""
    rows = []
    labels = _labels([Path(run) for run in runs])
    for run in map(Path, runs):
        found = scorings(run)
        reference = next((path for kind, path, _ in found if kind == "float32"), run)
        rows += [{**_row(run, kind, path, metrics, reference, latency, resamples), "run": labels[run]}
                 for kind, path, metrics in found]
    return rows


def _labels(runs: list[Path]) -> dict[Path, str]:
    """Each run by its folder's name, and by as many of the folders above it as tell two runs of one name apart
    (dd1/r, dd2/r): both rows read "segnet (r)", in one colour under one legend entry of the figure."""
    labels = {}
    for run in runs:
        others = [other for other in runs if other.name == run.name and other.resolve() != run.resolve()]
        depth = 1
        while others and depth < len(run.resolve().parts) and \
                any(other.resolve().parts[-depth:] == run.resolve().parts[-depth:] for other in others):
            depth += 1
        labels[run] = "/".join(run.resolve().parts[-depth:]) if others else run.name
    return labels


def _row(run: Path, kind: str, path: Path, metrics: dict, reference: Path, latency: list[dict],
         resamples: int) -> dict:
    paired = None
    if path != reference:
        paper = compare_runs(path, reference, resamples)["paper"]["miou"]
        paired = {"difference": paper["difference"], "interval": paper["interval"]}
    measured = {r["threads"]: r for r in matching(kind, run, metrics, latency)}
    any_measured = next(iter(measured.values()), None)
    if kind == "keras":
        backend = any_measured["backend"] if any_measured else (metrics.get("environment") or {}).get("backend", "?")
        runtime, precision = f"Keras ({backend})", metrics.get("precision") or "?"
        size = any_measured["bytes"] if any_measured else None
    else:
        exported = metrics["mode"]["onnx"]
        runtime, precision, size = exported["runtime"], exported["precision"], exported["bytes"]
    return {"run": run.name, "model": metrics["model"], "kind": kind, "runtime": runtime, "precision": precision,
            "miou": metrics["miou"], "interval": (metrics.get("intervals") or {}).get("paper", {}).get("miou"),
            "images": metrics["num_images"], "split": metrics["split"], "dataset": metrics["dataset"],
            "reference": None if path == reference else str(reference), "paired": paired,
            "latency": {threads: {"p50": r["latency_ms"]["p50"], "p95": r["latency_ms"]["p95"],
                                  "stable": r["latency_ms"]["stable"], "images_per_s": r["throughput"]["images_per_s"],
                                  "batch": r["batch"]} for threads, r in sorted(measured.items())},
            "bytes": size, "machine": any_measured["machine"] if any_measured else None}


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """The indices of the points (latency, accuracy) no other point beats: none is at least as fast and at least as
    accurate while strictly better at one of the two. Fastest first."""
    front = [i for i, (time, score) in enumerate(points)
             if not any(t <= time and s >= score and (t < time or s > score) for t, s in points)]
    return sorted(front, key=lambda i: points[i])


def front_staircase(points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The Pareto front of ``points`` (latency, accuracy) as a staircase (drawn steps-post) out to the slowest
    point's latency: at any latency budget, the best accuracy a point within it gives. So a front of one point is a
    line too, not a dot hidden under its marker."""
    front = [points[i] for i in pareto_front(points)]
    if not front:
        return [], []
    return [t for t, _ in front] + [max(t for t, _ in points)], [s for _, s in front] + [front[-1][1]]


def log_subs(low: float, high: float) -> tuple[float, ...]:
    """Where a log axis from ``low`` to ``high`` gets labelled ticks, in multiples of its decades: a span of under
    about a decade, as a table's latencies often are, would otherwise show one or two."""
    return (1, 2, 3, 5, 7) if high / low > 8 else (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)


def _short(value: float) -> str:
    """Three significant digits, and no exponent for the large: 1447, 12.3, 0.147."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def deploy_table(rows: list[dict]) -> pd.DataFrame:
    """The Markdown table's cells: mIoU [interval], the paired change [interval], p50 / p95 ms and images/s per
    thread count, size, machine."""
    counts = sorted({threads for row in rows for threads in row["latency"]})
    cells = []
    for row in rows:
        low_high = row["interval"]
        cell = {"model": row["run"] if row["run"] == row["model"] else f"{row['model']} ({row['run']})",
                "runtime": row["runtime"], "precision": row["precision"],
                "mIoU [95 %]": _percent(row["miou"]) + (f" {bootstrap.interval_text(*low_high)}" if low_high else "")}
        paired = row["paired"]
        cell["vs float32 [95 %]"] = "reference" if paired is None else (
            f"{100 * paired['difference']:+.2f} [{100 * paired['interval'][0]:+.2f}, {100 * paired['interval'][1]:+.2f}]")
        for threads in counts:
            found = row["latency"].get(threads)
            star = "" if found is None or found["stable"] else "*"
            cell[f"p50 / p95 ms, {threads} thr."] = "-" if found is None else \
                f"{_short(found['p50'])} / {_short(found['p95'])}{star}"
        if counts:
            most = row["latency"].get(counts[-1])
            batch = next((found["batch"] for r in rows for found in r["latency"].values()), "")
            cell[f"img/s, batch {batch}, {counts[-1]} thr."] = "-" if most is None else _short(most["images_per_s"])
        cell["size (MiB)"] = "-" if row["bytes"] is None else f"{row['bytes'] / 2**20:.1f}"
        cell["machine"] = row["machine"] or "-"
        cells.append(cell)
    return pd.DataFrame(cells)


def deploy_markdown(rows: list[dict], figure: Path | None) -> str:
    first = rows[0]
    machines = sorted({row["machine"] for row in rows if row["machine"]})
    lines = [TITLE, "",
             (f"mIoU (paper protocol) on the {first['images']} {first['split']} images of {first['dataset']}, each file "
              "scored by `segbench evaluate --onnx` with the run's own protocol; the Keras row is the run's own "
              "scoring, in the precision it computed in. *vs float32*: the paired bootstrap difference (`segbench "
              "compare`, over the test images) against the run's float32 ONNX file, the reference row (the run's own "
              "scoring where no float32 file was scored). Latency at batch 1 and throughput at a batch by `segbench "
              "bench latency`, on " + (", ".join(machines) or "no machine (none measured)") + "; size: the file on "
              "disk (the weights file for Keras)."), "",
             markdown_table(deploy_table(rows)), ""]
    if any(not found["stable"] for row in rows for found in row["latency"].values()):
        lines += ["\\* the halves of its timed calls had not agreed within the tolerance when its budget was spent.",
                  ""]
    if figure is not None:
        lines += [f"![mIoU against p50 latency, one marker per model and precision]({figure.name})", ""]
    return "\n".join(lines)


def pareto_figure(rows: list[dict], path: Path, threads: int | None = None) -> Path | None:
    """mIoU (with its interval) against p50 latency at ``threads`` (default: the most measured), one marker per
    model and precision, the Pareto front dashed; None where no row was measured at those threads."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from segbench.report.plotting import plt

    counts = sorted({count for row in rows for count in row["latency"]})
    if not counts:
        return None
    threads = threads or counts[-1]
    drawn = [row for row in rows if threads in row["latency"]]
    if not drawn:
        return None
    fig, ax = plt.subplots(figsize=(7.6, 4.4), layout="constrained")
    colours = {run: f"C{i}" for i, run in enumerate(dict.fromkeys(row["run"] for row in drawn))}
    points = [(row["latency"][threads]["p50"], 100 * row["miou"]) for row in drawn]
    for row, (time, score) in zip(drawn, points):
        low_high = row["interval"]
        error = [[score - 100 * low_high[0]], [100 * low_high[1] - score]] if low_high else None
        ax.errorbar(time, score, yerr=error, marker=MARKERS[row["kind"]], color=colours[row["run"]], markersize=7,
                    capsize=2, linewidth=0.8, linestyle="none")
    handles = ax.plot(*front_staircase(points), color="0.4", linestyle="--", linewidth=1, drawstyle="steps-post",
                      label="Pareto front")
    # One legend entry per model (a patch of its colour: a marker would read as one of the precisions) and per
    # precision (its marker): labels beside each point would overlap, since a model's precisions lie within a few
    # milliseconds and tenths of a point of each other.
    handles += [Patch(facecolor=colour, label=run) for run, colour in colours.items()]
    handles += [Line2D([], [], marker=marker, color="0.3", linestyle="none",
                       label="Keras (run's own precision)" if kind == "keras" else f"ONNX {kind}")
                for kind, marker in MARKERS.items() if any(row["kind"] == kind for row in drawn)]
    machine = next(row["machine"] for row in drawn)
    ax.set(xscale="log", xlabel=f"p50 latency at batch 1, {threads} thread{'s' * (threads > 1)} (ms, log)",
           ylabel="mIoU (%), 95 % interval", title=f"Accuracy against latency: {machine}")
    times = [time for time, _ in points]
    ax.xaxis.set_major_locator(LogLocator(subs=log_subs(min(times), max(times))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(alpha=0.3, which="both")
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, metadata={"Software": SOFTWARE})
    plt.close(fig)
    return path


def foreign_figure(out: Path) -> Path | None:
    """The file at ``out``'s ``.png``, where the figure would go, when it is not a figure of `bench deploy`'s (its
    Software chunk, or the earlier table at ``out`` showing it): `--out X/img0.md` wrote over a dataset's
    img0.png; None where there is none, or ours."""
    figure = out.with_suffix(".png")
    if not figure.exists() and not figure.is_symlink():
        return None
    if png_text(figure, "Software") == SOFTWARE:
        return None
    try:
        # A table drawn before the chunk: its heading, and the figure shown under it (a user's notes that show
        # their own photo of that name are no deploy table).
        text = read_record(out) if out.is_file() else ""
        shown = text.startswith(f"{TITLE}\n") and f"]({figure.name})" in text
    except (OSError, ValueError, SegbenchError):
        return figure
    return None if shown else figure


# What a row of the table is computed from: the run's scoring and each scored file's, per-image arrays included (for
# the paired change), and the config; not the weights, which only the timing needs.
FIGURES = (CONFIG, METRICS, PER_IMAGE, f"{EVAL}/onnx-*.json", f"{EVAL}/onnx-*.npz")


def keep(runs: list[Path], folder: Path) -> list[Path]:
    """Each run's figures copied into ``folder/<run name>/`` (replacing an earlier copy of that name), so that the
    table can be written again from the repository alone and a run added later joins those kept before; returns
    every run kept there. Two runs of one name, or a run of the name of another run kept before (its ``config.yaml``
    differs), are refused before anything is copied: the later replaced the earlier, whose row left the table
    without a word."""
    dangling = link_to_nothing(folder)  # mkdir said "File exists" of it
    if dangling:
        raise DataError(f"{folder}: {dangling}; --keep names the folder runs are kept in")
    if folder.exists() and not folder.is_dir():  # "afile/.r1.keeping: Not a directory" named our staging folder
        raise DataError(f"{folder}: is a file, not a folder; --keep names the folder runs are kept in")
    outer = run_folder_of(folder)
    if outer is not None:  # kept runs are run folders: inside a run's eval/ they went with it when it started over
        raise DataError(replaced_with_a_run(folder, outer, "keep the runs in a folder of their own"))
    named: dict[str, Path] = {}
    for run in runs:
        if run.name in named and named[run.name].resolve() != run.resolve():
            raise DataError(f"{named[run.name]} and {run}: two runs of one name, both kept as {folder / run.name}; "
                            "give one of them a folder of another name")
        named[run.name] = run
        copy = folder / run.name
        if copy.resolve() == run.resolve():
            continue
        if copy.is_symlink():  # a link to a real run elsewhere: "Not a directory", naming the staging folder, left
            raise DataError(f"{copy}: a link (to {copy.readlink()}) where the run would be kept, not a copy kept "
                            "here; move it away, or keep the runs in another folder")
        if (copy.exists() or copy.is_symlink()) and not ((copy / CONFIG).is_file() and (copy / METRICS).is_file()):
            # A user's folder (or file) of the run's name was deleted whole to make room for the copy.
            raise DataError(f"{copy}: there already and not a run kept here; move it away, or keep the runs in "
                            "another folder")
        stray = _not_kept(copy) if copy.is_dir() else None
        if stray is not None:  # a run of the same config there (run twice, or copied whole) was deleted as a copy
            raise DataError(f"{copy}: holds {stray.relative_to(copy)}, which no run kept here holds: a run of its own, "
                            "not a copy of one; keep the runs in another folder")
        if (copy / CONFIG).is_file() and (run / CONFIG).is_file() \
                and (copy / CONFIG).read_bytes() != (run / CONFIG).read_bytes():
            raise DataError(f"{copy}: keeps another run of the name {run.name} (its {CONFIG} is not {run}'s); remove "
                            "it to keep this one in its place, or give the run a folder of another name")
    for run in named.values():
        copy = folder / run.name
        if copy.resolve() == run.resolve():
            continue
        if not (run / METRICS).is_file():
            raise DataError(f"{run}: not a finished run ({METRICS} missing)")
        # Copied beside it, then put in its place whole: a copy cut short would hold metrics.json without the
        # scored files, and the table written from it would lack their rows without a word.
        with staging_folder(folder / f".{run.name}.keeping") as staging:
            for pattern in FIGURES:
                for found in sorted(run.glob(pattern)):
                    target = staging / found.relative_to(run)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(found, target)
            shutil.rmtree(copy, ignore_errors=True)
            staging.rename(copy)
    return sorted(path.parent for path in folder.glob(f"*/{METRICS}"))


def _not_kept(copy: Path) -> Path | None:
    """The first file under ``copy`` that ``keep`` would not have copied there (weights, ``history.csv``,
    ``predictions/``), or None."""
    for found in sorted(copy.rglob("*")):
        name = found.relative_to(copy).as_posix()
        if found.is_file() and not any(fnmatch.fnmatchcase(name, pattern) and name.count("/") == pattern.count("/")
                                       for pattern in FIGURES):
            return found
    return None


def write_deploy(runs: list[Path], latency_files: list[Path], out: Path, threads: int | None = None,
                 resamples: int = bootstrap.RESAMPLES) -> tuple[list[Path], list[dict]]:
    """``out`` (Markdown) and its figure beside it (``.png``), from the runs and the latency files."""
    rows = deploy_rows(runs, read_latency(latency_files), resamples)
    measured = sorted({count for row in rows for count in row["latency"]})
    if threads is not None and measured and threads not in measured:  # the table came without its figure, unsaid
        raise SegbenchError(f"--threads {threads}: no latency measured at {threads} thread{'s' * (threads != 1)} "
                            f"(measured: {', '.join(map(str, measured))}); give one of those, or measure it with "
                            f"`segbench bench latency --threads {threads}`")
    remove_stale_temporaries([out, out.with_suffix(".png")])  # a killed deploy's empty .t.segbench-tmp.<random>.png
    figure = pareto_figure(rows, out.with_suffix(".png"), threads)
    write_text(out, deploy_markdown(rows, figure))
    return [out] + ([figure] if figure else []), rows
