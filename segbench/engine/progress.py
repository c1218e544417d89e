"""How much progress to print: a live bar on a terminal, one line per pass in a log file."""

import sys


def progress_verbosity() -> int:
    """Keras' verbosity: 1 (live bar) on a terminal; 2 elsewhere, where the bar's redraws would pile up."""
    return 1 if sys.stdout.isatty() else 2
