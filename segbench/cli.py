"""The ``segbench`` command: argument parsing only; the work lives in the modules it calls."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from segbench import __version__
from segbench.errors import SegbenchError


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
    sweep.add_argument("--suite", choices=("camvid", "sitting", "suim", "paper"),
                       help="the paper's six configs of a dataset (paper: all 18), in the paper's row order")
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

    _add_datasets(verbs)
    _add_models(verbs)
    return parser


def _size(text: str) -> list[int]:
    height, sep, width = text.lower().partition("x")
    if not sep or not height.isdigit() or not width.isdigit():
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 352x480, got {text!r}")
    return [int(height), int(width)]


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
    prepare.add_argument("--from", dest="archive", type=Path, help="an archive downloaded by hand (zip or tar)")
    prepare.set_defaults(handler=_datasets_prepare)

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
            parser.add_argument("--n", type=int, default=8, help="how many samples (default: 8)")
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
    from segbench.engine.sweep import plan, suite_configs, sweep
    from segbench.report.runs import render, runs_tables

    if bool(args.configs) == bool(args.suite):
        raise SegbenchError("sweep: give config files or --suite, not both and not neither")
    if args.seeds < 1:
        raise SegbenchError(f"--seeds {args.seeds}: must be at least 1")
    jobs = plan([Path(c) for c in args.configs] or suite_configs(args.suite), args.seeds, args.results)
    failures = sweep(jobs, args.overrides)
    finished = [job.out for job in jobs if (job.out / "metrics.json").exists()]
    if finished:
        print(render(runs_tables(finished)))
    for line in failures:
        print(f"segbench: error: {line}", file=sys.stderr)
    return 1 if failures else 0


def _results(args) -> int:
    from segbench.report.runs import find_runs, render, runs_tables

    runs = find_runs(args.paths)
    if not runs:
        raise SegbenchError(f"{', '.join(args.paths)}: no finished runs (no metrics.json) found")
    print(render(runs_tables(runs), args.format))
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
    from segbench.report.samples import evenly_spaced, show_grid

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.verb != "results":  # every other verb needs Keras: load it before anything else, quietly
            from segbench.registry import load_builtins

            load_builtins()
        return args.handler(args)
    except SegbenchError as exc:
        print(f"segbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("segbench: interrupted", file=sys.stderr)
        return 130
