"""``segbench models``: the model zoo, and one model's parameters, output shape and cost at a size."""

from __future__ import annotations

import json

from segbench.commands.args import group_with_list, positive, size

NEEDS_KERAS = {"summary"}  # it builds the model; list reads the bundled models' figures from a table


def register(verbs) -> None:
    sub = group_with_list(verbs, "models", "the registered models, their size and cost",
                          "The model zoo: every encoder x decoder pairing and pspnet_50, with the output strides each runs at.",
                          "names, encoder, decoder, parameter counts and multiply-accumulates at "
                          "each model's own input size", list_command)
    summary = sub.add_parser("summary", help="parameters, output shape and multiply-accumulates at a size")
    summary.add_argument("name")
    summary.add_argument("--input-size", type=size, metavar="HxW", help="default: the model's own (224x224; "
                                                                          "473x473 for pspnet_50)")
    summary.add_argument("--num-classes", type=positive, metavar="N", help="default: 12 (150 for pspnet_50)")
    summary.add_argument("--output-stride", type=positive, metavar="S",
                         help="32, 16 or 8 where the model runs at it (models list says); default: the model's own")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=summary_command)


def list_command(args) -> int:
    from segbench.models.listing import list_models, render_list

    rows = list_models()
    print(json.dumps(rows, indent=2) if args.json else render_list(rows))
    return 0


def summary_command(args) -> int:
    from segbench.models.catalog import describe, render_summary

    summary = describe(args.name, args.input_size, args.num_classes, args.output_stride)
    print(json.dumps(summary, indent=2) if args.json else render_summary(summary))
    return 0
