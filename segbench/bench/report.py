"""What ``segbench bench`` prints and writes: text for one model, Markdown tables for a suite, the loader and the
metrics, and the suite's JSON and Markdown files (written atomically)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from segbench.bench.peaks import TRAIN_FLOPS_FACTOR
from segbench.io import write_json, write_text
from segbench.markdown import markdown_table


def rate(figure: dict, digits: int = 1) -> str:
    """A min/median/max spread as 'median (min-max)'."""
    return f"{figure['median']:.{digits}f} ({figure['min']:.{digits}f}-{figure['max']:.{digits}f})"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def memory(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**30:.2f}"


def setting(result: dict) -> str:
    height, width = result["input_size"]
    return f"{height}x{width}, batch {result['batch']}, {result['precision']}"


def environment(result: dict) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in result["versions"].items())
    return f"{result['device']['name']}, {result['backend']} backend ({versions})"


def model_text(result: dict) -> str:
    """``bench model`` without ``--json``."""
    train, infer, latency = result["train"], result["infer"], result["latency_ms"]
    peak = result["peak_tflops"]
    where = (f"of {peak:g} TFLOP/s ({result['peak_source']})" if peak
             else "(no known peak for this device; --peak-tflops gives one)")
    lines = [
        f"{result['model']} at {setting(result)}",
        f"on            {environment(result)}",
        f"parameters    {result['parameters']:,}",
        (f"FLOPs/image   {result['flops_per_image'] / 1e9:.2f} G forward (2 x multiply-accumulates); a training "
         f"step counts {TRAIN_FLOPS_FACTOR} x that"),
        (f"train         {rate(train['images_per_s'])} images/s over {train['repeats']} x {train['steps']} steps "
         f"after {train['warmup']} warm-up"),
        f"infer         {rate(infer['images_per_s'])} images/s at batch {result['batch']}",
        (f"latency       {latency['median']:.2f} ms median, {latency['p95']:.2f} ms p95 at batch 1 "
         f"({latency['calls']} calls)"),
        f"peak memory   {memory(result['peak_memory_bytes'])}" + (" GiB" if result["peak_memory_bytes"] else
                                                                  " (the backend reports none here)"),
        (f"utilisation   train {percent(result['utilisation']['train'])}, infer "
         f"{percent(result['utilisation']['infer'])} {where}"),
    ]
    peer = result.get("vs_peer")
    if peer:
        lines.append(f"vs peer       {peer['train']:.2f}x train, {peer['infer']:.2f}x infer (our images/s over those "
                     f"of {peer['peer']} {peer['peer_model']}, {peer['peer_parameters']:,} parameters)")
    return "\n".join(lines)


def suite_table(results: list[dict]) -> str:
    """One Markdown row per model: the issue's columns, and our speed over the peer's where one was given."""
    rows = []
    for r in results:
        row = {
            "config": r["config"], "model": r["model"], "input": "x".join(map(str, r["input_size"])),
            "batch": r["batch"], "precision": r["precision"],
            "params (M)": f"{r['parameters'] / 1e6:.1f}", "GFLOPs/img": f"{r['flops_per_image'] / 1e9:.1f}",
            "train img/s": rate(r["train"]["images_per_s"]), "infer img/s": rate(r["infer"]["images_per_s"]),
            "latency ms (p50 / p95)": f"{r['latency_ms']['median']:.1f} / {r['latency_ms']['p95']:.1f}",
            "memory (GiB)": memory(r["peak_memory_bytes"]), "train MFU": percent(r["utilisation"]["train"]),
        }
        if any(other.get("vs_peer") for other in results):
            peer = r.get("vs_peer")
            row["train vs peer"] = f"{peer['train']:.2f}x" if peer else "-"
            row["infer vs peer"] = f"{peer['infer']:.2f}x" if peer else "-"
        rows.append(row)
    return markdown_table(pd.DataFrame(rows))


def suite_markdown(document: dict) -> str:
    """The suite's Markdown file: where and how it was measured, the table, the conventions."""
    results = document["results"]
    first = results[0]
    protocol = first["protocol"]
    lines = [f"# segbench bench suite {document['suite']}: {environment(first)}", "",
             (f"{first['train']['repeats']} x {first['train']['steps']} timed steps after "
              f"{first['train']['warmup']} warm-up; figures are median (min-max) over the {first['train']['repeats']} "
              f"repeats. Overrides: {', '.join(document['overrides']) or 'none'}."), "", suite_table(results), ""]
    lines += [f"- {name}: {text}" for name, text in protocol.items()]
    if document.get("peer"):
        peer = document["peer"]
        lines.append(f"- vs peer: our median images/s over {peer.get('peer')}'s "
                     f"({', '.join(f'{k} {v}' for k, v in peer.get('versions', {}).items())}), same model, size, "
                     "batch and precision, same protocol")
    lines += [f"- failed: {line}" for line in document["failures"]]
    return "\n".join(lines) + "\n"


def write_suite(stem: Path, document: dict) -> tuple[Path, Path]:
    """``<stem>.json`` and ``<stem>.md``, each written atomically."""
    json_path, md_path = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".md")
    write_json(json_path, document)
    write_text(md_path, suite_markdown(document))
    return json_path, md_path


def loader_text(result: dict) -> str:
    """``bench loader`` without ``--json``: what was measured, then a row per worker count."""
    height, width = result["input_size"]
    transforms = ", ".join(spec["name"] for spec in result["augment"]) or "no augmentation"
    trained = f"; data wait while training {result['model']} ({result['precision']})" if result["model"] else ""
    return (f"{result['dataset']} {result['split']} ({result['images']} images from {result['root']}) at "
            f"{height}x{width}, batch {result['batch']}: {transforms}; on {result['cpu']}{trained}\n\n"
            + loader_table(result["rows"]))


def loader_table(rows: list[dict]) -> str:
    table = []
    for row in rows:
        line = {"workers": row["workers"], "kind": row["kind"],
                "images/s": rate(row["images_per_s"]), "per worker": f"{row['images_per_s_per_worker']:.1f}",
                "first batch (s)": f"{row['first_batch_s']['median']:.2f}"}
        if "data_wait" in row:
            wait = row["data_wait"]
            line["data wait"] = f"{100 * wait['share']:.1f}% of {wait['steps']} steps"
            line["step (s)"] = rate(wait["step_s"], 3)
        table.append(line)
    return markdown_table(pd.DataFrame(table))


def metrics_text(result: dict) -> str:
    """``bench metrics`` without ``--json``."""
    rates = result["mpix_per_s"]
    return (f"confusion-matrix accumulation on one core of {result['cpu']}; median (min-max) of "
            f"{result['repeats']} passes\n\n") + markdown_table(pd.DataFrame([{
        "maps": f"{result['images']} x {'x'.join(map(str, result['size']))}, {result['num_classes']} classes",
        "segbench Mpix/s": rate(rates["segbench"]), "naive Mpix/s": rate(rates["naive"]),
        "ratio": f"{result['ratio']:.1f}x"}]))


def target_name(result: dict) -> str:
    """A latency result's target as a table names it: the ONNX file's name, or the run folder's and its backend."""
    name = Path(result["target"]).name
    return f"{name} (Keras, {result['backend']})" if result["kind"] == "keras" else name


def steady(figure: dict, key: str) -> str:
    """A latency figure in ms, starred where the halves of its calls had not agreed when its budget ran out."""
    return f"{figure[key]:.2f}" + ("" if figure["stable"] else "*")


def latency_table(results: list[dict]) -> str:
    """One Markdown row per target and thread count, the machine beside every figure."""
    rows = [{"target": target_name(r), "model": r["model"], "runtime": r["runtime"], "precision": r["precision"],
             "threads": r["threads"], "p50 ms": steady(r["latency_ms"], "p50"),
             "p95 ms": steady(r["latency_ms"], "p95"), "p99 ms": steady(r["latency_ms"], "p99"),
             "calls": r["latency_ms"]["calls"],
             f"img/s at batch {r['batch']}": f"{r['throughput']['images_per_s']:.1f}"
                                             + ("" if r["throughput"]["batch_ms"]["stable"] else "*"),
             "size (MiB)": f"{r['bytes'] / 2**20:.1f}", "machine": r["machine"]} for r in results]
    return markdown_table(pd.DataFrame(rows))


def latency_markdown(document: dict) -> str:
    """``bench latency`` without ``--json``: the table, what it measured, and what failed."""
    lines = [f"Latency at batch 1 on {document['machine']}", "", latency_table(document["results"]), ""]
    lines += [f"- {name}: {text}" for name, text in document["protocol"].items()]
    if any(not r["latency_ms"]["stable"] or not r["throughput"]["batch_ms"]["stable"] for r in document["results"]):
        lines.append("- *: the halves' medians still differed by more than the tolerance when the budget was spent "
                     "(give it more with --budget)")
    lines += [f"- failed: {line}" for line in document["failures"]]
    return "\n".join(lines) + "\n"
