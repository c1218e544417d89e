"""``segbench compare``: a paired bootstrap of run A against run B over the images (and seeds) both were scored on;
a side may also be a re-scoring of a run by ``segbench evaluate`` (is test-time augmentation worth it?)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from segbench.commands.args import non_negative, resamples

NEEDS_KERAS = False  # it only reads run folders
OUT_OF_MEMORY = "try fewer --resamples"


def register(verbs) -> None:
    parser = verbs.add_parser(
        "compare", help="is run A better than run B, beyond what the test images (and seeds) explain?",
        description="A paired bootstrap over the test images both sides were scored on (and over the seeds, where "
                    "a side has several): the difference A - B of each figure and each class's IoU, its 95 % "
                    "interval, and a verdict.")
    parser.add_argument("run_a", type=Path, metavar="RUN_A",
                        help="a finished run folder; NAME for a sweep's seed folders NAME-seed0, NAME-seed1, ...; or "
                             "RUN/eval/MODE.json, the run scored again by `segbench evaluate` (e.g. "
                             "RUN/eval/ms+flip.json against RUN)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="another of these, scored on the same images")
    parser.add_argument("--resamples", type=resamples, default=2000, help="100 to 1,000,000 (default: 2000)")
    parser.add_argument("--seed", type=non_negative, default=0, help="of the resampling (default: 0)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.errors import one_line
    from segbench.report.paired import compare_runs, render
    from segbench.rundir import METRICS, unfinished_seeds

    found = compare_runs(args.run_a, args.run_b, args.resamples, args.seed)
    for side in dict.fromkeys((args.run_a, args.run_b)):  # seeds a mean leaves out, as `results` names them
        if not (side / METRICS).is_file():
            for line in unfinished_seeds(side.parent, side.name):
                print(f"note: {one_line(line)}, left out of the mean of the seeds that finished", file=sys.stderr)
    if args.json:
        found.pop("figures")
        print(json.dumps(found, indent=2))
    else:
        print(render(found))
    return 0
