"""The ``segbench`` command: the top-level parser, Keras loaded first for the verbs that build models, and every
failure turned into one line. Each verb's arguments and handler live in its module of segbench.commands."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from segbench import __version__
from segbench.backend import check_environment
from segbench.commands import VERBS
from segbench.errors import SegbenchError, out_of_memory, print_error
from segbench.io import os_reason


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segbench", description="Benchmark harness for semantic segmentation.")
    parser.add_argument("--version", action="version", version=f"segbench {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for command in VERBS.values():
        command.register(verbs)
    return parser


def _needs_keras(args) -> bool:
    """Whether the verb's module says its work (or this action's) builds models: the others only read and write
    files and start in well under a second."""
    needs = VERBS[args.verb].NEEDS_KERAS
    return needs if isinstance(needs, bool) else args.action in needs


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check = getattr(VERBS[args.verb], "check", None)
        if check is not None:  # what the verb can refuse before a framework loads: a wrong request costs no start-up
            check(args)
        if _needs_keras(args):  # load it before anything else, quietly
            check_environment()
            with _native_stderr_silenced():
                import keras  # noqa: F401  (TensorFlow's C++ logs its start-up on stderr, past TF_CPP_MIN_LOG_LEVEL)
        return args.handler(args)
    except SegbenchError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("segbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`segbench results | head`): nothing to say, and no one to hear it
        # Python would complain again when it flushes stdout at exit: stdout to /dev/null, as its documentation says.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder belongs: the system's words
        return _fail(f"{exc.filename or ''}{': ' if exc.filename else ''}{os_reason(exc)}")
    except Exception as exc:
        if out_of_memory(exc):
            advice = getattr(VERBS[args.verb], "OUT_OF_MEMORY", "try a smaller model.input_size or train.batch_size")
            return _fail(f"out of memory ({type(exc).__name__}); {advice}")
        raise


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 pointed at /dev/null for the block: TensorFlow 2.21 writes "All log messages before
    absl::InitializeLog()" and its oneDNN and CUDA notices there from C++ while it loads, whatever
    TF_CPP_MIN_LOG_LEVEL says, which would turn a one-line error into a screenful. Python's own exceptions are
    raised after the descriptor is back, so nothing of ours is lost."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _fail(message: str) -> int:
    print_error(message)
    return 2
