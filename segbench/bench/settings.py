"""``segbench bench settings``: every model of a suite under each backend x precision asked for, each measured by
``bench model`` in a process of its own (Keras reads KERAS_BACKEND once per process), beside the precision that
``train.precision: auto`` takes on each backend here; the table that shows whether ``auto`` is the fastest choice
on this machine."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pandas as pd

from segbench.backend import check_loadable
from segbench.bench.suite import entries, measure_apart, run_apart, run_suite
from segbench.errors import SegbenchError
from segbench.markdown import markdown_table
from segbench.schema import POLICIES

BACKENDS = ("tensorflow", "jax", "torch")
PRECISIONS = ("float32", "mixed_bfloat16")


def check_installed(backends) -> None:
    """One line naming the first backend that is not one of BACKENDS, or whose framework this Python cannot import."""
    for backend in backends:
        check_loadable(backend, f"--backends {backend}", BACKENDS, "a backend segbench measures")


def check_precisions(precisions) -> None:
    """One line naming the first precision that is not a dtype policy (``auto`` is not one: it is what is tested)."""
    for precision in precisions:
        if precision not in POLICIES:
            raise SegbenchError(f"--precisions: unknown precision {precision!r} (choose from {', '.join(POLICIES)})")


def auto_on(backend: str) -> str:
    """The precision ``auto`` resolves to on ``backend`` here, asked of a fresh process on that backend."""
    code = "from segbench.precision import resolve; print(resolve('auto'))"
    try:
        return run_apart([sys.executable, "-c", code], backend).strip().splitlines()[-1]
    except SegbenchError as exc:
        raise SegbenchError(f"{backend}: cannot resolve precision auto ({exc})") from None


def bench_settings(suite: str, overrides: list[str], backends=BACKENDS, precisions=PRECISIONS, steps: int = 2,
                   repeats: int = 2, measure=None, auto=None) -> dict:
    """Measure every (backend, precision, model) with ``measure`` (default: ``measure_apart``) and ask ``auto``
    (default: ``auto_on``) what auto takes on each backend; the document the settings files are made of."""
    measure, auto = measure or measure_apart, auto or auto_on
    check_precisions(precisions)
    check_installed(backends)
    rows = entries(suite, overrides)
    results, failures = [], []
    for backend in backends:
        for precision in precisions:
            print(f"== {backend}, {precision}", flush=True)
            done, failed = run_suite([{**row, "precision": precision} for row in rows],
                                     lambda entry, b=backend: measure(entry, steps, repeats, backend=b))
            results += done
            failures += [f"{backend}, {precision}: {line}" for line in failed]
    return {"suite": suite, "overrides": overrides, "steps": steps, "repeats": repeats,
            "backends": list(backends), "precisions": list(precisions),
            "auto": {backend: auto(backend) for backend in backends},
            "results": results, "failures": failures,
            "finished": datetime.now(UTC).isoformat(timespec="seconds")}


def speeds(document: dict, which: str, figure: str = "median") -> pd.DataFrame:
    """Images/s (``which``: train or infer; ``figure``: median, min or max over the repeats): one row per config,
    one column per (backend, precision)."""
    frame = pd.DataFrame([{"config": r["config"], "backend": r["backend"], "precision": r["precision"],
                           "rate": r[which]["images_per_s"][figure]} for r in document["results"]])
    table = frame.pivot(index="config", columns=["backend", "precision"], values="rate")
    order = [(b, p) for b in document["backends"] for p in document["precisions"] if (b, p) in table.columns]
    return table.reindex(index=list(dict.fromkeys(frame["config"])), columns=order)


def auto_verdicts(document: dict, which: str = "train") -> dict[str, str]:
    """Per backend: whether the precision ``auto`` takes there was the fastest measured for every model. A model
    where it was not the fastest median but its best repeat reached the fastest's worst is a tie: the repeats
    cannot tell the two apart."""
    median, low, high = (speeds(document, which, figure) for figure in ("median", "min", "max"))
    verdicts = {}
    for backend, chosen in document["auto"].items():
        if (backend, chosen) not in median.columns:
            verdicts[backend] = f"auto takes {chosen}, which was not measured"
            continue
        own = median.xs(backend, axis=1, level="backend")
        fastest = own.idxmax(axis=1)
        behind = [config for config, best in fastest.items() if best != chosen]
        slower = [config for config in behind if high.at[config, (backend, chosen)] < low.at[config, (backend,
                                                                                                  fastest[config])]]
        ties = [config for config in behind if config not in slower]
        verdicts[backend] = (f"auto takes {chosen}: "
                             + (f"not the fastest for {', '.join(slower)}" if slower else
                                f"the fastest of {', '.join(own.columns)} for every model")
                             + (f" (a tie within the repeats' spread for {', '.join(ties)})" if ties else ""))
    return verdicts


def settings_markdown(document: dict, device: str) -> str:
    """The settings file: the train and infer tables, the fastest setting per model, and auto's verdicts."""
    first = document["results"][0]
    height, width = first["input_size"]
    lines = [f"# segbench bench settings {document['suite']}: {device}", "",
             f"Each model at {height}x{width}, batch {first['batch']}, on each backend and precision; median images/s "
             f"of {document['repeats']} x {document['steps']} timed steps after {first['train']['warmup']} warm-up "
             f"(`segbench bench model`'s protocol, each in a process of its own). Overrides: "
             f"{', '.join(document['overrides']) or 'none'}. Versions: "
             + "; ".join(sorted({", ".join(f"{k} {v}" for k, v in r["versions"].items()) for r in document["results"]}))
             + ".", ""]
    for which in ("train", "infer"):
        table = speeds(document, which)
        fastest = table.idxmax(axis=1)
        shown = table.map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
        shown.columns = [f"{b} {p}" for b, p in table.columns]
        shown["fastest"] = [f"{b} {p}" for b, p in fastest]
        lines += [f"## {which} images/s", "", markdown_table(shown.reset_index()), ""]
    lines += ["## What `train.precision: auto` takes here", ""]
    lines += [f"- {backend}: {verdict}" for backend, verdict in auto_verdicts(document).items()]
    lines += [f"- failed: {line}" for line in document["failures"]]
    return "\n".join(lines) + "\n"
