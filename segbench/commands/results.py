"""``segbench results``: the table of the finished runs at or below some folders."""

from __future__ import annotations

import sys

from segbench.errors import SegbenchError

NEEDS_KERAS = False  # it only reads run folders


def register(verbs) -> None:
    parser = verbs.add_parser("results", help="print a table of finished runs",
                              description="Print the figures of every finished run at or below the given folders.")
    parser.add_argument("paths", nargs="*", default=["results"], metavar="PATH",
                        help="run folders or folders holding them (default: results)")
    parser.add_argument("--format", choices=("md", "csv"), default="md", help="table format (default: md)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.report.runs import render, runs_tables
    from segbench.rundir import find_runs

    runs, skipped = find_runs(args.paths)
    for path in skipped:
        print(f"skipped {path}: no config.yaml beside it, so not a run folder", file=sys.stderr)
    if not runs:
        raise SegbenchError(f"{', '.join(args.paths)}: no finished runs (no metrics.json beside a config.yaml) found")
    print(render(runs_tables(runs), args.format))
    return 0
