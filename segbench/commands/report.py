"""``segbench report``: the paper's tables with ours beside them, the figures, and each run's plots."""

from __future__ import annotations

from pathlib import Path

from segbench.commands.args import formats, non_negative
from segbench.paper import SUITES
from segbench.report import TABLE_FORMATS

NEEDS_KERAS = False  # it only reads run folders and draws with matplotlib


def register(verbs) -> None:
    parser = verbs.add_parser("report", help="the paper's tables with ours beside them, figures and run plots",
                              description="For each dataset of the suite, write <out>/<dataset>/table.{md,csv,tex} "
                                          "(the paper's table, ours beside it), figure.{png,pdf} (predictions the "
                                          "runs saved) and README.md, and curves.png and confusion.png into every "
                                          "run folder.")
    parser.add_argument("--suite", required=True, choices=tuple(SUITES),
                        help="the table to write (paper: all three; camvid-cpu: Table 1 at the CPU recipe)")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="where `segbench sweep` put the run folders (default: results)")
    parser.add_argument("--formats", type=formats, default=TABLE_FORMATS, metavar=",".join(TABLE_FORMATS),
                        help="table formats (default: all three)")
    parser.add_argument("--out", type=Path, help="where the tables, figures and READMEs go (default: --results)")
    parser.add_argument("--worst", type=non_negative, default=0, metavar="K",
                        help="also draw each row's K worst test images, of those its run kept (eval.figure_images "
                             "of them; default: 0, none)")
    parser.add_argument("--redraw", action="store_true",
                        help="draw every figure; by default one is drawn only where what it shows changed (each "
                             "PNG carries a digest of its inputs and of the drawing code)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.report.suite import report
    from segbench.rundir import refuse_run_folder

    if args.out is not None:  # a report kept in a run's eval/ (with the user's notes beside it) went when it started over
        refuse_run_folder(args.out, "report")
    for path in report(args.suite, args.results, args.out or args.results, args.formats, args.worst,
                       args.redraw):
        print(path)
    return 0
