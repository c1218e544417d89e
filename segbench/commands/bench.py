"""``segbench bench``: measured speed of a model, the input pipeline, the metrics, a suite's models, the latency of a
run's model and its exported files, and the accuracy-latency table of runs that have both."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from segbench.bench import timing  # the protocol's defaults: pure Python, no framework
from segbench.commands.args import (
    SPLITS,
    add_overrides,
    batch,
    dataset_adapter,
    names,
    positive,
    positive_float,
    positives,
    resamples,
    size,
    workers,
)
from segbench.errors import SegbenchError, print_error
from segbench.paper import SUITES
from segbench.schema import PRECISIONS

# The actions that build models or feed them; latency starts a process per figure, each loading what it measures,
# and deploy reads files.
NEEDS_KERAS = {"model", "loader", "metrics", "suite", "settings"}
# A bench has no config to shrink: a run's advice (model.input_size, train.batch_size) was given (probe 17d case 14).
OUT_OF_MEMORY = "try a smaller --batch (bench metrics: fewer --num-classes or --images)"


def register(verbs) -> None:
    bench = verbs.add_parser("bench", help="measured speed of models, the input pipeline and the metrics",
                             description="Speed on the current backend (KERAS_BACKEND) and device.")
    sub = bench.add_subparsers(dest="action", required=True, metavar="ACTION")

    model = sub.add_parser("model", help="train and infer images/s, latency, memory and utilisation of one model")
    model.add_argument("name")
    model.add_argument("--input-size", type=size, metavar="HxW", help="default: the model's own (224x224; "
                                                                        "473x473 for pspnet_50)")
    model.add_argument("--batch", type=batch, default=8, help="default: 8")
    model.add_argument("--precision", choices=PRECISIONS, default="auto",
                       help="Keras dtype policy (default: auto, as a run picks it; the figures name the one used)")
    model.add_argument("--num-classes", type=positive, metavar="N", help="default: 12 (150 for pspnet_50)")
    _add_timing(model, "10", "3")
    model.add_argument("--json", action="store_true", help="print one JSON object")
    model.set_defaults(handler=model_command)

    loader = sub.add_parser("loader", help="images/s of the training input pipeline for each worker count")
    loader.add_argument("name", metavar="DATASET")
    loader.add_argument("--root", help="dataset folder (default: datasets/<name>)")
    add_overrides(loader)
    loader.add_argument("--split", choices=SPLITS, default="train")
    loader.add_argument("--config", help="take the augmentation, input size, batch and precision from this config "
                                         "(default: flip, scale 0.5-2 + crop, colour jitter; batch 8)")
    loader.add_argument("--input-size", type=size, metavar="HxW", help="default: the config's, else 352x480")
    loader.add_argument("--batch", type=batch, help="default: the config's, else 8")
    loader.add_argument("--workers", type=workers, default=[0, 1, 2], metavar="N,N,...",
                        help="worker counts to measure; 0 loads in the main process (default: 0,1,2)")
    loader.add_argument("--threads", action="store_true", help="workers are threads (default: processes)")
    loader.add_argument("--epochs", type=positive, default=3, help="epochs timed per worker count (default: 3)")
    loader.add_argument("--model", help="also train this model on the batches: the share of a step spent waiting")
    loader.add_argument("--steps", type=positive, default=10, help="timed training steps with --model (default: 10)")
    _add_output(loader)
    loader.set_defaults(handler=loader_command)

    metrics = sub.add_parser("metrics", help="Mpix/s of the confusion matrix beside the naive per-class formula")
    metrics.add_argument("--size", type=size, default=[360, 480], metavar="HxW", help="default: 360x480 (CamVid)")
    metrics.add_argument("--num-classes", type=positive, default=12, metavar="N", help="default: 12")
    metrics.add_argument("--images", type=positive, default=20, help="maps per pass (default: 20)")
    metrics.add_argument("--repeats", type=positive, default=3, help="timed passes (default: 3)")
    _add_output(metrics)
    metrics.set_defaults(handler=metrics_command)

    suite = sub.add_parser("suite", help="every model of a paper suite; writes <out>/<device>-<backend>.{json,md}",
                           description="Each config's model at its input size, batch and precision, each measured "
                                       "by `segbench bench model` in a process of its own.")
    suite.add_argument("--suite", required=True, choices=tuple(SUITES))
    add_overrides(suite)
    suite.add_argument("--cpu", action="store_true", help="CPU-sized: input 96x128, batch 2 (before --set), 2 steps")
    _add_timing(suite, "10; 2 with --cpu", "3")
    suite.add_argument("--out", type=Path, default=Path("results/bench"), help="default: results/bench")
    suite.set_defaults(handler=suite_command)

    settings = sub.add_parser("settings", help="every model of a suite on each backend x precision, and what "
                                               "precision auto takes; writes <out>/settings-<device>.{json,md}",
                              description="Each config's model at its input size and batch under every backend and "
                                          "precision given, each measured by `segbench bench model` in a process "
                                          "of its own, and whether `train.precision: auto` takes the fastest "
                                          "precision on each backend here.")
    settings.add_argument("--suite", required=True, choices=tuple(SUITES))
    add_overrides(settings)
    settings.add_argument("--backends", type=names, default=("tensorflow", "jax", "torch"), metavar="B,B",
                          help="Keras backends (default: tensorflow,jax,torch; each must be installed)")
    settings.add_argument("--precisions", type=names, default=("float32", "mixed_bfloat16"), metavar="P,P",
                          help="dtype policies (default: float32,mixed_bfloat16)")
    settings.add_argument("--steps", type=positive, default=2, help="timed steps per repeat (default: 2)")
    settings.add_argument("--repeats", type=positive, default=2, help="timed windows of steps (default: 2)")
    settings.add_argument("--out", type=Path, default=Path("results/bench"), help="default: results/bench")
    settings.set_defaults(handler=settings_command)

    latency = sub.add_parser(
        "latency", help="ms per image at batch 1 (p50/p95/p99) and images/s at batch 8 of a run's Keras model and "
                        "its ONNX files, on this CPU at 1 and 2 threads",
        description="Each target at each thread count in a fresh process pinned to that many cores, the runtime's "
                    "intra-op threads set to it: warm-up calls, then single calls timed until the medians of their "
                    "first and second halves agree within --tolerance (at least --min-calls calls) or --budget "
                    "seconds are spent; the machine beside every figure.")
    latency.add_argument("targets", nargs="+", type=Path, metavar="RUN_OR_ONNX",
                         help="run folders (their Keras model, in the run's own precision) and .onnx files")
    latency.add_argument("--threads", type=positives, default=list(timing.LATENCY_THREADS), metavar="N,N",
                         help="thread counts, each at most the cores this process may use (default: "
                              f"{','.join(map(str, timing.LATENCY_THREADS))})")
    latency.add_argument("--backends", type=names, metavar="B,B",
                         help="Keras backends for run folders (default: this environment's)")
    latency.add_argument("--batch", type=batch, default=timing.LATENCY_BATCH,
                         help=f"the throughput's batch (default: {timing.LATENCY_BATCH})")
    latency.add_argument("--warmup", type=positive, default=timing.LATENCY_WARMUP,
                         help=f"untimed calls first (default: {timing.LATENCY_WARMUP})")
    latency.add_argument("--min-calls", type=positive, default=timing.MIN_CALLS,
                         help=f"timed calls at least (default: {timing.MIN_CALLS})")
    latency.add_argument("--tolerance", type=positive_float, default=timing.TOLERANCE,
                         help=f"how far the halves' medians may differ, as a fraction (default: {timing.TOLERANCE:g})")
    latency.add_argument("--budget", type=positive_float, default=timing.BUDGET_S, metavar="SECONDS",
                         help=f"timed seconds per figure at most (default: {timing.BUDGET_S:g})")
    _add_output(latency)
    latency.set_defaults(handler=latency_command)

    deploy = sub.add_parser(
        "deploy", help="the accuracy-latency table of runs and their ONNX files, with its Pareto figure",
        description="Per run and precision: mIoU and its interval (the run's own scoring and each "
                    "eval/onnx-<precision>.json of `segbench evaluate --onnx`), the paired change against the "
                    "float32 file, p50/p95 latency and images/s from `bench latency --out` files, size on disk and "
                    "the machine; writes OUT (Markdown) and OUT's .png, mIoU against p50 latency.")
    deploy.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    deploy.add_argument("--latency", type=Path, nargs="+", default=[], metavar="FILE",
                        help="JSON files of `segbench bench latency --out`")
    deploy.add_argument("--out", type=Path, default=Path("results/bench/deploy-cpu.md"),
                        help="default: results/bench/deploy-cpu.md")
    deploy.add_argument("--keep", type=Path, metavar="FOLDER",
                        help="copy each run's figures (not its weights) into FOLDER/<run name>/ and write the table "
                             "over every run kept there, those of earlier calls included")
    deploy.add_argument("--threads", type=positive, help="the figure's latency (default: the most threads measured)")
    deploy.add_argument("--resamples", type=resamples, default=2000,
                        help="of the paired bootstrap, 100 to 1,000,000 (default: 2000)")
    deploy.set_defaults(handler=deploy_command)


def _add_timing(parser: argparse.ArgumentParser, steps: str, repeats: str) -> None:
    parser.add_argument("--steps", type=positive, help=f"timed steps per repeat (default: {steps})")
    parser.add_argument("--repeats", type=positive, help=f"timed windows of steps; figures are their min/median/max "
                                                         f"(default: {repeats})")
    parser.add_argument("--peak-tflops", type=positive_float, metavar="T",
                        help="the device's peak for the utilisation (default: from the table of known GPUs)")
    parser.add_argument("--peer", type=Path, metavar="FILE", help="scripts/peer_smp.py's JSON: print our images/s "
                                                                  "over the peer's")


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write the figures to this JSON file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


# The actions whose --out is a folder their files go into; the others' is the file written (deploy's also beside it,
# as OUT's .png).
OUT_FOLDERS = {"suite", "settings"}


def check(args) -> None:
    """Before anything is measured: the backends `latency` measures on; an ``--out`` at or inside a run folder
    (`deploy --out RUN/metrics.json`, `latency --out RUN/history.csv` wrote over the run's own files, and the run
    was lost)."""
    from segbench.rundir import refuse_run_folder

    if args.action == "latency":  # each figure is a child on its backend, which said a ValueError of Keras' each
        from segbench.backend import check_environment, check_loadable

        for backend in args.backends or ():
            check_loadable(backend, f"--backends {backend}")
        if not args.backends:
            check_environment()
    if getattr(args, "out", None) is None:
        return
    if args.action == "deploy" and args.out.suffix.lower() == ".png":  # the table was written over its own figure
        raise SegbenchError(f"{args.out}: bench deploy's --out names its Markdown table (such as "
                            f"{args.out.with_suffix('.md').name}), whose figure goes beside it as NAME.png")
    # deploy's figure too: OUT's .png may be a link into a run where OUT is not.
    for out in (args.out, args.out.with_suffix(".png")) if args.action == "deploy" else (args.out,):
        refuse_run_folder(out, "bench", "folder" if args.action in OUT_FOLDERS else "file")
    if args.action == "deploy":
        from segbench.bench.deploy import foreign_figure

        theirs = foreign_figure(args.out)
        if theirs is not None:
            raise SegbenchError(f"{theirs}: not a figure of bench deploy's, and the table {args.out} would write its "
                                "figure there; move it, or give --out another name")


def model_command(args) -> int:
    from segbench.bench.model import bench_model
    from segbench.bench.peer import load_peer, ratios
    from segbench.bench.report import model_text
    from segbench.bench.timing import REPEATS, STEPS

    peer = load_peer(args.peer) if args.peer else None
    result = bench_model(args.name, args.input_size, args.batch, args.precision, args.num_classes,
                         args.steps or STEPS, args.repeats or REPEATS, peak_tflops=args.peak_tflops)
    if peer:
        result["vs_peer"] = ratios(result, peer)
    print(json.dumps(result, indent=2) if args.json else model_text(result))
    return 0


def loader_command(args) -> int:
    from segbench.bench.loader import bench_dataset
    from segbench.bench.report import loader_text
    from segbench.config import load_config

    config = load_config(args.config) if args.config else None
    result = bench_dataset(dataset_adapter(args), args.split, config, args.input_size, args.batch, args.workers,
                           not args.threads, args.epochs, args.model, args.steps)
    _emit(args, result, loader_text)
    return 0


def metrics_command(args) -> int:
    from segbench.bench.metrics import bench_metrics
    from segbench.bench.report import metrics_text

    _emit(args, bench_metrics(args.size, args.num_classes, args.images, args.repeats), metrics_text)
    return 0


def _emit(args, result: dict, render) -> None:
    from segbench.io import write_json

    if args.out:
        write_json(args.out, result)
    print(json.dumps(result, indent=2) if args.json else render(result))


def suite_command(args) -> int:
    from segbench.bench.peer import load_peer
    from segbench.bench.report import suite_markdown, write_suite
    from segbench.bench.suite import bench_suite, out_stem

    peer = load_peer(args.peer) if args.peer else None
    document = bench_suite(args.suite, args.overrides, args.cpu, args.steps, args.repeats, args.peak_tflops, peer)
    for line in document["failures"]:
        print_error(line)
    if not document["results"]:
        return 1
    paths = write_suite(out_stem(document, args.out), document)
    print(suite_markdown(document))
    print("\n".join(map(str, paths)))
    return 1 if document["failures"] else 0


def settings_command(args) -> int:
    from segbench.bench.settings import bench_settings, settings_markdown
    from segbench.io import write_json, write_text

    document = bench_settings(args.suite, args.overrides, args.backends, args.precisions, args.steps, args.repeats)
    for line in document["failures"]:
        print_error(line)
    if not document["results"]:
        return 1
    device = document["results"][0]["device"]
    stem = args.out / f"settings-{device['slug']}"
    write_json(stem.with_suffix(".json"), document)
    text = settings_markdown(document, device["name"])
    write_text(stem.with_suffix(".md"), text)
    print(f"{text}\n{stem}.json\n{stem}.md")
    return 1 if document["failures"] else 0


def latency_command(args) -> int:
    from segbench.bench.latency import bench_latency
    from segbench.bench.report import latency_markdown

    document = bench_latency(args.targets, args.threads, args.backends or (None,), args.batch, args.warmup,
                             args.min_calls, args.tolerance, args.budget)
    for line in document["failures"]:
        print_error(line)
    if not document["results"]:
        return 1
    _emit(args, document, latency_markdown)
    return 1 if document["failures"] else 0


def deploy_command(args) -> int:
    from segbench.bench.deploy import keep, write_deploy

    runs = keep(args.runs, args.keep) if args.keep else args.runs
    paths, _ = write_deploy(runs, args.latency, args.out, args.threads, args.resamples)
    print(args.out.read_text(encoding="utf-8"))
    print("written: " + ", ".join(map(str, paths)))
    return 0
