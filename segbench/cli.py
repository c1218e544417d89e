"""The ``segbench`` command: argument parsing only; the work lives in the modules it calls."""

from __future__ import annotations

import argparse
import sys

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
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override a config key; the value is parsed as YAML (repeatable)")
    run.add_argument("--out", help="run folder (default: results/<dataset>/<model>)")
    run.add_argument("--force", action="store_true", help="run again even if the folder holds a finished run")
    run.set_defaults(handler=_run)

    results = verbs.add_parser("results", help="print a table of finished runs",
                               description="Print the figures of every finished run at or below the given folders.")
    results.add_argument("paths", nargs="*", default=["results"], metavar="PATH",
                         help="run folders or folders holding them (default: results)")
    results.add_argument("--format", choices=("md", "csv"), default="md", help="table format (default: md)")
    results.set_defaults(handler=_results)
    return parser


def _run(args) -> int:
    from segbench.config import load_config

    config = load_config(args.config, args.overrides)
    if args.out:
        config.output.dir = args.out
    from segbench.engine.run import execute

    execute(config, force=args.force)
    return 0


def _results(args) -> int:
    from segbench.report.runs import find_runs, render, runs_tables

    runs = find_runs(args.paths)
    if not runs:
        raise SegbenchError(f"{', '.join(args.paths)}: no finished runs (no metrics.json) found")
    print(render(runs_tables(runs), args.format))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SegbenchError as exc:
        print(f"segbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("segbench: interrupted", file=sys.stderr)
        return 130
