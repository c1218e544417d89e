"""``segbench results``: the table of the finished runs at or below some folders."""

from __future__ import annotations

import sys
from pathlib import Path

from segbench.commands.args import shell_word
from segbench.errors import SegbenchError, one_line

NEEDS_KERAS = False  # it only reads run folders


def register(verbs) -> None:
    parser = verbs.add_parser("results", help="print a table of finished runs",
                              description="Print the figures of every finished run at or below the given folders.")
    parser.add_argument("paths", nargs="*", default=["results"], metavar="PATH",
                        help="run folders or folders holding them (default: results)")
    parser.add_argument("--format", choices=("md", "csv"), default="md", help="table format (default: md)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.lock import holder
    from segbench.report.runs import render, runs_tables
    from segbench.rundir import find_runs, unfinished_runs

    runs, skipped = find_runs(args.paths)
    for path in skipped:
        print(f"skipped {path}: no config.yaml beside it, so not a run folder", file=sys.stderr)
    for folder in unfinished_runs(args.paths):
        print(one_line(f"unfinished {folder}: {progress(folder, holder(folder))}"), file=sys.stderr)
    if not runs:
        raise SegbenchError(f"{', '.join(args.paths)}: no finished runs (no metrics.json beside a config.yaml) found")
    print(render(runs_tables(runs), args.format))
    return 0


def progress(folder, pid: int | None) -> str:
    """Where an unfinished run stands: its epochs, and whether a process is training it now or how to go on."""
    from segbench.rundir import epochs_done

    done, total = epochs_done(folder)
    where = f"{done} of {total} epoch{'s' * (total != 1)} done" if total else f"{done} epoch{'s' * (done != 1)} done"
    if pid:
        return f"{where}, training now (PID {pid})"
    again = f"segbench run {shell_word(Path(folder) / 'config.yaml')} --out {shell_word(folder)}"
    if not done:  # a failed start, or a run that diverged in its first epoch: --resume would start it over
        return (f"{where}, stopped before its first whole epoch, so nothing to resume; {again} starts it again (what "
                "stopped it was said then)")
    return f"{where}, stopped; {again} --resume continues it"
