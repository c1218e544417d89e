"""``segbench run``: train and evaluate one config into its run folder."""

from __future__ import annotations

from segbench.commands.args import add_overrides

NEEDS_KERAS = True  # it builds and trains a model


def register(verbs) -> None:
    parser = verbs.add_parser("run", help="train and evaluate one config into its run folder",
                              description="Train and evaluate one config; writes config.yaml, history.csv, "
                                          "model.weights.h5 and metrics.json into the run folder.")
    parser.add_argument("config", help="YAML config file")
    add_overrides(parser)
    parser.add_argument("--out", help="run folder (default: results/<dataset>/<model>)")
    # One or the other: with both, --force started over without a word where --resume was asked for.
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--force", action="store_true", help="run again even if the folder holds a finished run")
    again.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from segbench.config import load_config
    from segbench.engine.run import execute

    config = load_config(args.config, args.overrides)
    if args.out:
        config.output.dir = args.out
    execute(config, force=args.force, resume=args.resume)
    return 0
