"""The ``segbench`` command: argument parsing only; the work lives in the modules it calls."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from segbench import __version__
from segbench.errors import SegbenchError
from segbench.paper import SUITES
from segbench.schema import PRECISIONS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segbench", description="Benchmark harness for semantic segmentation.")
    parser.add_argument("--version", action="version", version=f"segbench {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser("run", help="train and evaluate one config into its run folder",
                           description="Train and evaluate one config; writes config.yaml, history.csv, "
                                       "model.weights.h5 and metrics.json into the run folder.")
    run.add_argument("config", help="YAML config file")
    _add_overrides(run)
    run.add_argument("--out", help="run folder (default: results/<dataset>/<model>)")
    run.add_argument("--force", action="store_true", help="run again even if the folder holds a finished run")
    run.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    run.set_defaults(handler=_run)

    sweep = verbs.add_parser("sweep", help="run several configs (or a paper suite) and seeds, then their table",
                             description="Run every config x seed into <results>/<config folder>/<config name>, "
                                         "skipping finished runs and resuming interrupted ones, then print the "
                                         "table of the runs. A failed run is reported and the others go on.")
    sweep.add_argument("configs", nargs="*", metavar="CONFIG", help="YAML config files")
    sweep.add_argument("--suite", choices=tuple(SUITES),
                       help="the paper's six configs of a dataset (paper: all 18; camvid-cpu: Table 1 at the CPU "
                            "recipe of configs/reference/camvid-cpu), in the paper's row order")
    sweep.add_argument("--seeds", type=int, default=1, metavar="N", help="run each config with seeds 0..N-1")
    _add_overrides(sweep)
    sweep.add_argument("--results", type=Path, default=Path("results"), help="where the run folders go")
    sweep.set_defaults(handler=_sweep)

    results = verbs.add_parser("results", help="print a table of finished runs",
                               description="Print the figures of every finished run at or below the given folders.")
    results.add_argument("paths", nargs="*", default=["results"], metavar="PATH",
                         help="run folders or folders holding them (default: results)")
    results.add_argument("--format", choices=("md", "csv"), default="md", help="table format (default: md)")
    results.set_defaults(handler=_results)

    compare = verbs.add_parser(
        "compare", help="is run A better than run B, beyond what the test images (and seeds) explain?",
        description="A paired bootstrap over the test images both sides were scored on (and over the seeds, where "
                    "a side has several): the difference A - B of each figure and each class's IoU, its 95 % "
                    "interval, and a verdict.")
    compare.add_argument("run_a", type=Path, metavar="RUN_A",
                         help="a finished run folder, or NAME for a sweep's seed folders NAME-seed0, NAME-seed1, ...")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="another (the same kinds), scored on the same images")
    compare.add_argument("--resamples", type=_positive, default=2000, help="default: 2000")
    compare.add_argument("--seed", type=int, default=0, help="of the resampling (default: 0)")
    compare.add_argument("--json", action="store_true", help="print the figures as JSON")
    compare.set_defaults(handler=_compare)

    _add_report(verbs)
    _add_datasets(verbs)
    _add_models(verbs)
    _add_bench(verbs)
    return parser


def _size(text: str) -> list[int]:
    height, sep, width = text.lower().partition("x")
    if not sep or not height.isdigit() or not width.isdigit() or int(height) < 1 or int(width) < 1:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 352x480, got {text!r}")
    return [int(height), int(width)]


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _counts(text: str) -> list[int]:
    counts = text.split(",")
    if len(counts) != 3 or not all(c.isdigit() for c in counts):
        raise argparse.ArgumentTypeError(f"expected TRAIN,VAL,TEST counts such as 6,2,4, got {text!r}")
    return [int(c) for c in counts]


def _add_models(verbs) -> None:
    sub = _group_with_list(verbs, "models", "the registered models, their size and cost",
                           "The model zoo: every encoder x decoder pairing and pspnet_50.",
                           "names, encoder, decoder and parameter counts", _models_list)
    summary = sub.add_parser("summary", help="parameters, output shape and multiply-accumulates at a size")
    summary.add_argument("name")
    summary.add_argument("--input-size", type=_size, metavar="HxW", help="default: the model's own (224x224; "
                                                                           "473x473 for pspnet_50)")
    summary.add_argument("--num-classes", type=int, metavar="N", help="default: 12 (150 for pspnet_50)")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=_models_summary)


def _group_with_list(verbs, name: str, text: str, description: str, list_text: str, list_handler):
    """A verb with actions, starting with ``list [--json]``; returns the action parsers to add the others to."""
    group = verbs.add_parser(name, help=text, description=description)
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help=list_text)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_handler)
    return sub


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a config key; the value is parsed as YAML (repeatable)")


def _add_datasets(verbs) -> None:
    sub = _group_with_list(verbs, "datasets", "list, prepare, verify, count and look at datasets",
                           "Dataset adapters and the data on disk.",
                           "the adapters, their classes and where each expects its data", _datasets_list)

    prepare = sub.add_parser("prepare", help="download or unpack a dataset into its root")
    prepare.add_argument("name")
    prepare.add_argument("--root", help="dataset folder (default: datasets/<name>)")
    prepare.add_argument("--from", dest="archive", type=Path,
                         help="an archive downloaded by hand (zip or tar), or the folder it was unpacked into (copied "
                              "from, left as it is)")
    prepare.set_defaults(handler=_datasets_prepare)

    imitate = sub.add_parser("imitate", help="write synthetic scenes in a dataset's exact format",
                             description="Write synthetic scenes into an empty ROOT in the dataset's own folders, "
                                         "file names and label format, to try its configs without the real data.")
    imitate.add_argument("name")
    imitate.add_argument("--root", required=True, help="an empty or new folder")
    imitate.add_argument("--images", type=_counts, default=[6, 2, 4], metavar="TRAIN,VAL,TEST",
                         help="pairs per split (default: 6,2,4); where a dataset divides one folder itself, "
                              "their sum, divided by its own rule")
    imitate.add_argument("--size", type=_size, default=[90, 120], metavar="HxW", help="default: 90x120")
    _add_overrides(imitate)
    imitate.set_defaults(handler=_datasets_imitate)

    for action, text in (("verify", "check every pair; exit 1 when anything is wrong"),
                         ("stats", "image count and pixels per class of a split"),
                         ("show", "a grid of samples with their labels overlaid")):
        parser = sub.add_parser(action, help=text)
        parser.add_argument("name")
        parser.add_argument("--root", help="dataset folder (default: datasets/<name>)")
        _add_overrides(parser)
        if action == "verify":
            parser.add_argument("--split", action="append", choices=("train", "val", "test"),
                                help="only this split (repeatable; default: all)")
        else:
            parser.add_argument("--split", required=True, choices=("train", "val", "test"))
        if action == "stats":
            parser.add_argument("--json", action="store_true", help="print one JSON object")
        if action == "show":
            parser.add_argument("--n", type=_positive, default=8, help="how many samples (default: 8)")
            parser.add_argument("--out", type=Path, help="PNG file (default: results/<name>/samples-<split>.png)")
        parser.set_defaults(handler={"verify": _datasets_verify, "stats": _datasets_stats,
                                     "show": _datasets_show}[action])


def _run(args) -> int:
    from segbench.config import load_config
    from segbench.engine.run import execute

    config = load_config(args.config, args.overrides)
    if args.out:
        config.output.dir = args.out
    execute(config, force=args.force, resume=args.resume)
    return 0


def _sweep(args) -> int:
    from segbench.engine.sweep import check, plan, sweep
    from segbench.lock import locked
    from segbench.paper import suite_configs
    from segbench.report.runs import render, runs_tables

    if bool(args.configs) == bool(args.suite):
        raise SegbenchError("sweep: give config files or --suite, not both and not neither")
    if args.seeds < 1:
        raise SegbenchError(f"--seeds {args.seeds}: must be at least 1")
    jobs = plan([Path(c) for c in args.configs] or suite_configs(args.suite), args.seeds, args.results)
    problems = check(jobs, args.overrides)
    for line in problems:
        print(f"segbench: error: {line}", file=sys.stderr)
    if problems:
        total = len({job.config for job in jobs})
        print(f"segbench: error: {len(problems)} of {total} config{'s' * (total != 1)} "
              f"{'does' if len(problems) == 1 else 'do'} not load; nothing was run", file=sys.stderr)
        return 2
    with locked(args.results, "results folder"):  # one sweep at a time over a results folder
        failures = sweep(jobs, args.overrides)
        if args.suite:  # the paper's tables with ours beside them, as `segbench report` writes them
            from segbench.report.suite import report

            for path in report(args.suite, args.results, args.results, ("md", "csv", "tex")):
                if path.name == "table.md":
                    print(f"{path}\n\n{path.read_text(encoding='utf-8')}")
    finished = [job.out for job in jobs if (job.out / "metrics.json").exists()]
    if finished and not args.suite:
        print(render(runs_tables(finished)))
    for line in failures:
        print(f"segbench: error: {line}", file=sys.stderr)
    return 1 if failures else 0


def _results(args) -> int:
    from segbench.report.runs import render, runs_tables
    from segbench.rundir import find_runs

    runs, skipped = find_runs(args.paths)
    for path in skipped:
        print(f"skipped {path}: no config.yaml beside it, so not a run folder", file=sys.stderr)
    if not runs:
        raise SegbenchError(f"{', '.join(args.paths)}: no finished runs (no metrics.json beside a config.yaml) found")
    print(render(runs_tables(runs), args.format))
    return 0


def _compare(args) -> int:
    from segbench.report.paired import compare_runs, render

    found = compare_runs(args.run_a, args.run_b, args.resamples, args.seed)
    if args.json:
        found.pop("figures")
        print(json.dumps(found, indent=2))
    else:
        print(render(found))
    return 0


def _add_report(verbs) -> None:
    report = verbs.add_parser("report", help="the paper's tables with ours beside them, figures and run plots",
                              description="For each dataset of the suite, write <out>/<dataset>/table.{md,csv,tex} "
                                          "(the paper's table, ours beside it), figure.{png,pdf} (predictions the "
                                          "runs saved) and README.md, and curves.png and confusion.png into every "
                                          "run folder.")
    report.add_argument("--suite", required=True, choices=tuple(SUITES),
                        help="the table to write (paper: all three; camvid-cpu: Table 1 at the CPU recipe)")
    report.add_argument("--results", type=Path, default=Path("results"),
                        help="where `segbench sweep` put the run folders (default: results)")
    report.add_argument("--formats", type=_formats, default=("md", "csv", "tex"), metavar="md,csv,tex",
                        help="table formats (default: all three)")
    report.add_argument("--out", type=Path, help="where the tables, figures and READMEs go (default: --results)")
    report.add_argument("--worst", type=int, default=0, metavar="K",
                        help="also draw each row's K worst test images, of those its run kept (eval.figure_images "
                             "of them; default: 0, none)")
    report.set_defaults(handler=_report)


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip() for part in text.split(",")))
    unknown = [f for f in formats if f not in ("md", "csv", "tex")]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of md, csv, tex, got {text!r}")
    return formats


def _report(args) -> int:
    from segbench.report.suite import report

    if args.worst < 0:
        raise SegbenchError(f"--worst {args.worst}: must be 0 or more")
    for path in report(args.suite, args.results, args.out or args.results, args.formats, args.worst):
        print(path)
    return 0


def _adapter(args):
    from segbench.config import dataset_config
    from segbench.registry import DATASETS

    config = dataset_config(args.name, args.root, args.overrides)
    return DATASETS.get(args.name)(config)


def _datasets_list(args) -> int:
    from segbench.data.catalog import describe_all, render

    entries = describe_all()
    print(json.dumps(entries, indent=2) if args.json else render(entries))
    return 0


def _datasets_prepare(args) -> int:
    from segbench.data.prepare import prepare
    from segbench.registry import DATASETS

    adapter = DATASETS.get(args.name)
    root = Path(args.root or Path("datasets") / args.name)
    placed = prepare(adapter, args.name, root, args.archive)
    print(f"{args.name}: placed {', '.join(p.name for p in placed)} in {root}")
    print(f"next: segbench datasets verify {args.name} --root {root}")
    return 0


def _datasets_imitate(args) -> int:
    from segbench.data.imitation import imitate

    adapter = _adapter(args)
    written = imitate(adapter, dict(zip(("train", "val", "test"), args.images)), tuple(args.size))
    print(f"{args.name}: {written} synthetic pairs in its format in {adapter.root}: "
          + ", ".join(f"{split} {len(adapter.list_pairs(split))}" for split in ("train", "val", "test")))
    return 0


def _datasets_verify(args) -> int:
    from segbench.data.verify import SPLITS, render, verify

    adapter = _adapter(args)
    reports = verify(adapter, args.split or SPLITS)
    print(render(adapter, reports))
    return 1 if any(report.count("error") for report in reports) else 0


def _datasets_stats(args) -> int:
    from segbench.data.stats import class_pixels, render

    adapter = _adapter(args)
    counts = class_pixels(adapter, adapter.list_pairs(args.split))
    if args.json:
        print(json.dumps({"dataset": args.name, "split": args.split, "images": counts["images"],
                          "classes": list(adapter.classes), "pixels": counts["pixels"]}))
    else:
        print(render(adapter, args.split, counts))
    return 0


def _datasets_show(args) -> int:
    from segbench.data.base import evenly_spaced
    from segbench.report.samples import show_grid

    adapter = _adapter(args)
    samples = adapter.list_pairs(args.split)
    if not samples:
        raise SegbenchError(f"{adapter.root}: {args.name} has no {args.split} pairs there")
    out = args.out or Path("results") / args.name / f"samples-{args.split}.png"
    chosen = evenly_spaced(samples, max(1, args.n))
    show_grid(adapter, chosen, out, title=f"{args.name} {args.split}: {len(chosen)} of {len(samples)}")
    print(out)
    return 0


def _models_list(args) -> int:
    from segbench.models.catalog import list_models, render_list

    rows = list_models()
    print(json.dumps(rows, indent=2) if args.json else render_list(rows))
    return 0


def _models_summary(args) -> int:
    from segbench.models.catalog import describe, render_summary

    if args.num_classes is not None and args.num_classes < 1:
        raise SegbenchError(f"--num-classes {args.num_classes}: must be at least 1")
    summary = describe(args.name, args.input_size, args.num_classes)
    print(json.dumps(summary, indent=2) if args.json else render_summary(summary))
    return 0


def _add_bench(verbs) -> None:
    bench = verbs.add_parser("bench", help="measured speed of models, the input pipeline and the metrics",
                             description="Speed on the current backend (KERAS_BACKEND) and device.")
    sub = bench.add_subparsers(dest="action", required=True, metavar="ACTION")

    model = sub.add_parser("model", help="train and infer images/s, latency, memory and utilisation of one model")
    model.add_argument("name")
    model.add_argument("--input-size", type=_size, metavar="HxW", help="default: the model's own (224x224; "
                                                                         "473x473 for pspnet_50)")
    model.add_argument("--batch", type=int, default=8, help="default: 8")
    model.add_argument("--precision", choices=PRECISIONS, default="auto",
                       help="Keras dtype policy (default: auto, as a run picks it; the figures name the one used)")
    model.add_argument("--num-classes", type=int, metavar="N", help="default: 12 (150 for pspnet_50)")
    _add_bench_timing(model, "10", "3")
    model.add_argument("--json", action="store_true", help="print one JSON object")
    model.set_defaults(handler=_bench_model)

    loader = sub.add_parser("loader", help="images/s of the training input pipeline for each worker count")
    loader.add_argument("name", metavar="DATASET")
    loader.add_argument("--root", help="dataset folder (default: datasets/<name>)")
    _add_overrides(loader)
    loader.add_argument("--split", choices=("train", "val", "test"), default="train")
    loader.add_argument("--config", help="take the augmentation, input size, batch and precision from this config "
                                         "(default: flip, scale 0.5-2 + crop, colour jitter; batch 8)")
    loader.add_argument("--input-size", type=_size, metavar="HxW", help="default: the config's, else 352x480")
    loader.add_argument("--batch", type=int, help="default: the config's, else 8")
    loader.add_argument("--workers", type=_workers, default=[0, 1, 2], metavar="N,N,...",
                        help="worker counts to measure; 0 loads in the main process (default: 0,1,2)")
    loader.add_argument("--threads", action="store_true", help="workers are threads (default: processes)")
    loader.add_argument("--epochs", type=int, default=3, help="epochs timed per worker count (default: 3)")
    loader.add_argument("--model", help="also train this model on the batches: the share of a step spent waiting")
    loader.add_argument("--steps", type=int, default=10, help="timed training steps with --model (default: 10)")
    _add_bench_output(loader)
    loader.set_defaults(handler=_bench_loader)

    metrics = sub.add_parser("metrics", help="Mpix/s of the confusion matrix beside the naive per-class formula")
    metrics.add_argument("--size", type=_size, default=[360, 480], metavar="HxW", help="default: 360x480 (CamVid)")
    metrics.add_argument("--num-classes", type=int, default=12, metavar="N", help="default: 12")
    metrics.add_argument("--images", type=int, default=20, help="maps per pass (default: 20)")
    metrics.add_argument("--repeats", type=int, default=3, help="timed passes (default: 3)")
    _add_bench_output(metrics)
    metrics.set_defaults(handler=_bench_metrics)

    suite = sub.add_parser("suite", help="every model of a paper suite; writes <out>/<device>-<backend>.{json,md}",
                           description="Each config's model at its input size, batch and precision, each measured "
                                       "by `segbench bench model` in a process of its own.")
    suite.add_argument("--suite", required=True, choices=tuple(SUITES))
    _add_overrides(suite)
    suite.add_argument("--cpu", action="store_true", help="CPU-sized: input 96x128, batch 2 (before --set), 2 steps")
    _add_bench_timing(suite, "10; 2 with --cpu", "3")
    suite.add_argument("--out", type=Path, default=Path("results/bench"), help="default: results/bench")
    suite.set_defaults(handler=_bench_suite)

    settings = sub.add_parser("settings", help="every model of a suite on each backend x precision, and what "
                                               "precision auto takes; writes <out>/settings-<device>.{json,md}",
                              description="Each config's model at its input size and batch under every backend and "
                                          "precision given, each measured by `segbench bench model` in a process "
                                          "of its own, and whether `train.precision: auto` takes the fastest "
                                          "precision on each backend here.")
    settings.add_argument("--suite", required=True, choices=tuple(SUITES))
    _add_overrides(settings)
    settings.add_argument("--backends", type=_names, default=("tensorflow", "jax", "torch"), metavar="B,B",
                          help="Keras backends (default: tensorflow,jax,torch; each must be installed)")
    settings.add_argument("--precisions", type=_names, default=("float32", "mixed_bfloat16"), metavar="P,P",
                          help="dtype policies (default: float32,mixed_bfloat16)")
    settings.add_argument("--steps", type=int, default=2, help="timed steps per repeat (default: 2)")
    settings.add_argument("--repeats", type=int, default=2, help="timed windows of steps (default: 2)")
    settings.add_argument("--out", type=Path, default=Path("results/bench"), help="default: results/bench")
    settings.set_defaults(handler=_bench_settings)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return names


def _add_bench_timing(parser: argparse.ArgumentParser, steps: str, repeats: str) -> None:
    parser.add_argument("--steps", type=int, help=f"timed steps per repeat (default: {steps})")
    parser.add_argument("--repeats", type=int, help=f"timed windows of steps; figures are their min/median/max "
                                                    f"(default: {repeats})")
    parser.add_argument("--peak-tflops", type=float, metavar="T", help="the device's peak for the utilisation "
                                                                       "(default: from the table of known GPUs)")
    parser.add_argument("--peer", type=Path, metavar="FILE", help="scripts/peer_smp.py's JSON: print our images/s "
                                                                  "over the peer's")


def _add_bench_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write the figures to this JSON file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _workers(text: str) -> list[int]:
    counts = text.split(",")
    if not all(c.strip().isdigit() for c in counts):
        raise argparse.ArgumentTypeError(f"expected worker counts such as 0,1,2, got {text!r}")
    return [int(c) for c in counts]


def _at_least_one(args, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 1:
            raise SegbenchError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if getattr(args, "peak_tflops", None) is not None and args.peak_tflops <= 0:
        raise SegbenchError(f"--peak-tflops {args.peak_tflops}: must be positive")


def _bench_model(args) -> int:
    from segbench.bench.model import bench_model
    from segbench.bench.peer import load_peer, ratios
    from segbench.bench.report import model_text
    from segbench.bench.timing import REPEATS, STEPS

    _at_least_one(args, "batch", "num_classes", "steps", "repeats")
    peer = load_peer(args.peer) if args.peer else None
    result = bench_model(args.name, args.input_size, args.batch, args.precision, args.num_classes,
                         args.steps or STEPS, args.repeats or REPEATS, peak_tflops=args.peak_tflops)
    if peer:
        result["vs_peer"] = ratios(result, peer)
    print(json.dumps(result, indent=2) if args.json else model_text(result))
    return 0


def _bench_loader(args) -> int:
    from segbench.bench.loader import bench_dataset
    from segbench.bench.report import loader_text
    from segbench.config import load_config

    _at_least_one(args, "batch", "epochs", "steps")
    config = load_config(args.config) if args.config else None
    result = bench_dataset(_adapter(args), args.split, config, args.input_size, args.batch, args.workers,
                           not args.threads, args.epochs, args.model, args.steps)
    _bench_emit(args, result, loader_text)
    return 0


def _bench_metrics(args) -> int:
    from segbench.bench.metrics import bench_metrics
    from segbench.bench.report import metrics_text

    _at_least_one(args, "num_classes", "images", "repeats")
    _bench_emit(args, bench_metrics(args.size, args.num_classes, args.images, args.repeats), metrics_text)
    return 0


def _bench_emit(args, result: dict, render) -> None:
    from segbench.io import write_json

    if args.out:
        write_json(args.out, result)
    print(json.dumps(result, indent=2) if args.json else render(result))


def _bench_suite(args) -> int:
    from segbench.bench.peer import load_peer
    from segbench.bench.report import suite_markdown, write_suite
    from segbench.bench.suite import bench_suite, out_stem

    _at_least_one(args, "steps", "repeats")
    peer = load_peer(args.peer) if args.peer else None
    document = bench_suite(args.suite, args.overrides, args.cpu, args.steps, args.repeats, args.peak_tflops, peer)
    for line in document["failures"]:
        print(f"segbench: error: {line}", file=sys.stderr)
    if not document["results"]:
        return 1
    paths = write_suite(out_stem(document, args.out), document)
    print(suite_markdown(document))
    print("\n".join(map(str, paths)))
    return 1 if document["failures"] else 0


def _bench_settings(args) -> int:
    from segbench.bench.settings import bench_settings, settings_markdown
    from segbench.io import write_json, write_text

    _at_least_one(args, "steps", "repeats")
    document = bench_settings(args.suite, args.overrides, args.backends, args.precisions, args.steps, args.repeats)
    for line in document["failures"]:
        print(f"segbench: error: {line}", file=sys.stderr)
    if not document["results"]:
        return 1
    device = document["results"][0]["device"]
    stem = args.out / f"settings-{device['slug']}"
    write_json(stem.with_suffix(".json"), document)
    text = settings_markdown(document, device["name"])
    write_text(stem.with_suffix(".md"), text)
    print(f"{text}\n{stem}.json\n{stem}.md")
    return 1 if document["failures"] else 0


# The verbs that build or train a model, and `datasets prepare` (Keras' get_file downloads); the others only read
# files and start in well under a second.
KERAS_VERBS = {"run", "sweep", "models", "bench", ("datasets", "prepare")}


def needs_keras(args) -> bool:
    return args.verb in KERAS_VERBS or (args.verb, getattr(args, "action", None)) in KERAS_VERBS


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if needs_keras(args):  # load it before anything else, quietly
            check_backend()
            with _native_stderr_silenced():
                import keras  # noqa: F401  (TensorFlow's C++ logs its start-up on stderr, past TF_CPP_MIN_LOG_LEVEL)
        return args.handler(args)
    except SegbenchError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("segbench: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder belongs: the system's words
        return _fail(f"{exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}")
    except MemoryError:
        return _fail("out of memory; try a smaller model.input_size or train.batch_size")
    except Exception as exc:
        # Each framework has its own out-of-memory error (ResourceExhaustedError, RESOURCE_EXHAUSTED, OutOfMemoryError).
        if "ResourceExhausted" in type(exc).__name__ or "OutOfMemory" in type(exc).__name__ \
                or "RESOURCE_EXHAUSTED" in str(exc)[:500]:
            return _fail(f"out of memory ({type(exc).__name__}); try a smaller model.input_size or train.batch_size")
        raise


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 pointed at /dev/null for the block: TensorFlow 2.21 writes "All log messages before
    absl::InitializeLog()" and its oneDNN and CUDA notices there from C++ while it loads, whatever
    TF_CPP_MIN_LOG_LEVEL says, which would turn a one-line error into a screenful. Python's own exceptions are
    raised after the descriptor is back, so nothing of ours is lost."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _fail(message: str) -> int:
    print(f"segbench: error: {message}", file=sys.stderr)
    return 2


# Keras' backends and the package each needs.
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy", "openvino": "openvino"}


def check_backend() -> None:
    """One line, before Keras is imported, when KERAS_BACKEND names a backend that cannot load here (Keras would
    raise from deep inside its import)."""
    name = os.environ.get("KERAS_BACKEND")
    if not name:
        return
    if name not in BACKENDS:
        raise SegbenchError(f"KERAS_BACKEND={name}: not a Keras backend (one of {', '.join(BACKENDS)})")
    if importlib.util.find_spec(BACKENDS[name]) is None:
        raise SegbenchError(f"KERAS_BACKEND={name}: the {BACKENDS[name]} package is not installed in this "
                            "environment")
