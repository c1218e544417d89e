"""``segbench sweep``: several configs (or a paper suite) x seeds into their run folders, then their table."""

from __future__ import annotations

from pathlib import Path

from segbench.commands.args import add_overrides, key_value, names, non_negative, non_negative_float, positive
from segbench.errors import SegbenchError, print_error
from segbench.launch import LAUNCHERS
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
    where = parser.add_argument_group("where the runs go (docs/cluster.md: running the paper's tables on a cluster)")
    where.add_argument("--launcher", choices=LAUNCHERS, default="local",
                       help="local: on this machine (default); ray: each run a Ray task; slurm: one Slurm job "
                            "array (ray and slurm need: pip install 'segbench[cluster]')")
    where.add_argument("--devices", type=names, metavar="ID,ID,...",
                       help="local: one run per GPU at once, each seeing only its own (CUDA_VISIBLE_DEVICES), its "
                            "output lines led by its name; default: one run at a time")
    where.add_argument("--gpus-per-run", type=non_negative_float, metavar="N",
                       help="ray, slurm: GPUs each run asks for (default 0: CPU runs; Ray takes fractions)")
    where.add_argument("--cpus-per-run", type=positive, metavar="N", help="ray, slurm: CPUs each run asks for "
                                                                          "(default 1)")
    where.add_argument("--retries", type=non_negative, metavar="N",
                       help="ray: tries again for a run whose process or worker died; slurm: requeues of a run "
                            "whose --time ran out (default 3; each resumes the run)")
    where.add_argument("--ray-address", metavar="ADDRESS", help="ray: an existing cluster (default: a local Ray)")
    where.add_argument("--partition", help="slurm: the partition")
    where.add_argument("--time", type=positive, metavar="MINUTES", help="slurm: time limit of each job "
                                                                         "(default 1440)")
    where.add_argument("--slurm-option", dest="slurm_options", action="append", type=key_value,
                       metavar="KEY=VALUE", help="slurm: another sbatch option, e.g. account=abc or mem=32G "
                                                 "(repeatable)")
    where.add_argument("--dry-run", action="store_true", default=None,
                       help="slurm: print the job array and each run's command, submit nothing")
    parser.set_defaults(handler=run)


# Which launcher each flag is for; given to another, it is refused rather than ignored.
FLAGS = {"devices": ("local",), "gpus_per_run": ("ray", "slurm"), "cpus_per_run": ("ray", "slurm"),
         "retries": ("ray", "slurm"), "ray_address": ("ray",), "partition": ("slurm",), "time": ("slurm",),
         "slurm_options": ("slurm",), "dry_run": ("slurm",)}


def options(args):
    """The launcher's options from the flags, each flag checked to be one its launcher reads."""
    from segbench.launch.base import Options

    given = {flag: getattr(args, flag) for flag in FLAGS if getattr(args, flag) is not None}  # None: not given
    for flag in given:
        if args.launcher not in FLAGS[flag]:
            raise SegbenchError(f"sweep: --{flag.replace('_', '-')} is for --launcher {' or '.join(FLAGS[flag])}, "
                                f"not {args.launcher}")
    if "slurm_options" in given:
        given["slurm_options"] = dict(given["slurm_options"])
    if "devices" in given:
        given["devices"] = tuple(given["devices"])
    return Options(results=args.results, **given)


def run(args) -> int:
    from segbench.engine.sweep import check, fetch_pretrained, finished_runs, plan
    from segbench.launch import launch
    from segbench.lock import locked
    from segbench.paper import suite_configs
    from segbench.report.runs import render, runs_tables

    if bool(args.configs) == bool(args.suite):
        raise SegbenchError("sweep: give config files or --suite, not both and not neither")
    where = options(args)
    jobs = plan([Path(c) for c in args.configs] or suite_configs(args.suite), args.seeds, args.results)
    problems = check(jobs, args.overrides)
    for line in (line for lines in problems.values() for line in lines):
        print_error(line)
    if problems:
        total = len({job.config for job in jobs})
        print_error(f"{len(problems)} of {total} config{'s' * (total != 1)} cannot run; nothing was run")
        return 2
    if where.dry_run:  # nothing runs: no lock to take, no file to fetch, no table to print
        launch(args.launcher, jobs, args.overrides, where)
        return 0
    missing = fetch_pretrained(jobs, args.overrides)
    for line in missing:
        print_error(line)
    if missing:
        print_error(f"{len(missing)} pretrained file{'s' * (len(missing) != 1)} cannot be had; nothing was run")
        return 2
    with locked(args.results, "results folder"):  # one sweep at a time over a results folder
        failures = launch(args.launcher, jobs, args.overrides, where)
        if args.suite:  # the paper's tables with ours beside them, as `segbench report` writes them
            from segbench.report.suite import report

            for path in report(args.suite, args.results, args.results, TABLE_FORMATS):
                if path.name == "table.md":
                    print(f"{path}\n\n{path.read_text(encoding='utf-8')}")
    finished = finished_runs(jobs, args.overrides)
    if finished and not args.suite:
        print(render(runs_tables(finished)))
    for line in failures:
        print_error(line)
    return 1 if failures else 0
