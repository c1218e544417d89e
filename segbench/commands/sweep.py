"""``segbench sweep``: several configs (or a paper suite) x seeds into their run folders, then their table."""

from __future__ import annotations

from pathlib import Path

from segbench.commands.args import add_overrides, positive
from segbench.errors import SegbenchError, print_error
from segbench.paper import SUITES
from segbench.report import TABLE_FORMATS

NEEDS_KERAS = True  # it builds and trains models


def register(verbs) -> None:
    parser = verbs.add_parser("sweep", help="run several configs (or a paper suite) and seeds, then their table",
                              description="Run every config x seed into <results>/<config folder>/<config name>, "
                                          "skipping finished runs and resuming interrupted ones, then print the "
                                          "table of the runs. A failed run is reported and the others go on.")
    parser.add_argument("configs", nargs="*", metavar="CONFIG", help="YAML config files")
    parser.add_argument("--suite", choices=tuple(SUITES),
                        help="the paper's six configs of a dataset (paper: all 18; camvid-cpu: Table 1 at the CPU "
                             "recipe of configs/reference/camvid-cpu), in the paper's row order")
    parser.add_argument("--seeds", type=positive, default=1, metavar="N", help="run each config with seeds 0..N-1")
    add_overrides(parser)
    parser.add_argument("--results", type=Path, default=Path("results"), help="where the run folders go")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.engine.sweep import check, plan, sweep
    from segbench.lock import locked
    from segbench.paper import suite_configs
    from segbench.report.runs import render, runs_tables
    from segbench.rundir import METRICS

    if bool(args.configs) == bool(args.suite):
        raise SegbenchError("sweep: give config files or --suite, not both and not neither")
    jobs = plan([Path(c) for c in args.configs] or suite_configs(args.suite), args.seeds, args.results)
    problems = check(jobs, args.overrides)
    for line in problems:
        print_error(line)
    if problems:
        total = len({job.config for job in jobs})
        print_error(f"{len(problems)} of {total} config{'s' * (total != 1)} "
                    f"{'does' if len(problems) == 1 else 'do'} not load; nothing was run")
        return 2
    with locked(args.results, "results folder"):  # one sweep at a time over a results folder
        failures = sweep(jobs, args.overrides)
        if args.suite:  # the paper's tables with ours beside them, as `segbench report` writes them
            from segbench.report.suite import report

            for path in report(args.suite, args.results, args.results, TABLE_FORMATS):
                if path.name == "table.md":
                    print(f"{path}\n\n{path.read_text(encoding='utf-8')}")
    finished = [job.out for job in jobs if (job.out / METRICS).exists()]
    if finished and not args.suite:
        print(render(runs_tables(finished)))
    for line in failures:
        print_error(line)
    return 1 if failures else 0
