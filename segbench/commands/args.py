"""What several verbs' arguments share: value types that turn a bad value into argparse's one-line usage error,
the ``--set`` overrides, the ``list`` action of a verb with actions, and the dataset those arguments name."""

from __future__ import annotations

import argparse
import shlex

from segbench.report import TABLE_FORMATS
from segbench.schema import MAX_BATCH, MAX_SIDE, SPLITS


def _whole_number(least: int, most: int | None = None):
    def whole_number(text: str) -> int:
        if not text.isdecimal() or not least <= int(text) <= (most or int(text)):
            within = f"from {least:,} to {most:,}" if most else f"of at least {least}"
            raise argparse.ArgumentTypeError(f"expected a whole number {within}, got {text!r}")
        return int(text)

    return whole_number


positive = _whole_number(1)
# Images per model call, as the config's batch sizes are bounded: --batch 100000 padded one photo to that many,
# and the kernel's OOM killer, which no program can answer, ended the verb at 21 GB.
batch = _whole_number(1, MAX_BATCH)
non_negative = _whole_number(0)
# A 95 % interval from fewer resamples is little more than their extremes (one resample gave an interval that did
# not hold the estimate); a million holds every digit shown, and more only runs out of memory.
resamples = _whole_number(100, 1_000_000)


def positive_float(text: str) -> float:
    try:
        if float(text) > 0:  # NaN is not
            return float(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")


def non_negative_float(text: str) -> float:
    try:
        if float(text) >= 0:  # NaN is not
            return float(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {text!r}")


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or key.startswith("-"):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE such as account=abc, got {text!r}")
    return key.strip(), value


def size(text: str) -> list[int]:
    # Bounded as a config's sizes are (schema.MAX_SIDE): a larger one could only end out of memory, with the advice
    # of another verb (`datasets imitate --size 100000x100000` was told to shrink model.input_size).
    height, sep, width = text.lower().partition("x")
    if (not sep or not height.isdigit() or not width.isdigit()
            or not all(1 <= int(side) <= MAX_SIDE for side in (height, width))):
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 352x480, each side 1 to {MAX_SIDE}, got "
                                         f"{text!r}")
    return [int(height), int(width)]


def counts(text: str) -> list[int]:
    parts = text.split(",")
    if len(parts) != len(SPLITS) or not all(c.isdigit() for c in parts) or not any(int(c) for c in parts):
        # All zero wrote nothing, then reported the root it had not made as "no such folder".
        raise argparse.ArgumentTypeError(f"expected TRAIN,VAL,TEST counts such as 6,2,4, not all 0, got {text!r}")
    return [int(c) for c in parts]


def names(text: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not found:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return found


def positives(text: str) -> list[int]:
    """``1,2``: whole numbers of at least 1, each once, in the order given."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdecimal() and int(part) >= 1 for part in parts):
        raise argparse.ArgumentTypeError(f"expected whole numbers of at least 1 such as 1,2, got {text!r}")
    return list(dict.fromkeys(int(part) for part in parts))


def workers(text: str) -> list[int]:
    parts = text.split(",")
    if not all(c.strip().isdigit() for c in parts):
        raise argparse.ArgumentTypeError(f"expected worker counts such as 0,1,2, got {text!r}")
    return [int(c) for c in parts]


def formats(text: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(part.strip() for part in text.split(",")))
    unknown = [f for f in found if f not in TABLE_FORMATS]
    if unknown or not found:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(TABLE_FORMATS)}, "
                                         f"got {text!r}")
    return found


def add_checkpoint(parser: argparse.ArgumentParser) -> None:
    """Which weights of a run folder a verb loads (segbench.engine.loaded.weights_of)."""
    parser.add_argument("--checkpoint", default="best", metavar="best|last|FILE",
                        help="the weights: best (the epoch the run scored, where it kept it), last, or a weights "
                             "file (default: best)")


def add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a config key; the value is parsed as YAML (repeatable)")


def group_with_list(verbs, name: str, text: str, description: str, list_text: str, list_handler):
    """A verb with actions, starting with ``list [--json]``; returns the action parsers to add the others to."""
    group = verbs.add_parser(name, help=text, description=description)
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help=list_text)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_handler)
    return sub


def dataset_adapter(args):
    """The adapter of the dataset that ``name``, ``--root`` and ``--set`` describe."""
    from segbench.config import dataset_config
    from segbench.registry import DATASETS

    config = dataset_config(args.name, args.root, args.overrides)
    return DATASETS.get(args.name)(config)


def shell_word(path) -> str:
    """``path`` for a command line segbench advises, to work as pasted: quoted for the shell (`runs/sp ace` split
    into two arguments), led by ./ where it starts with a dash (`-unf` was read as options), and a name holding a
    control character (a newline) in bash's $'...', whose escapes the terminal and the shell read alike ('runs/n\\nl'
    pasted named another folder)."""
    text = str(path) if not str(path).startswith("-") else f"./{path}"
    if text.isprintable():
        return shlex.quote(text)
    escaped = "".join("\\\\" if c == "\\" else "\\'" if c == "'" else c if c.isprintable() else
                      f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)
    return f"$'{escaped}'"
