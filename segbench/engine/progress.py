"""How much progress to print: a live bar on a terminal, one line per pass in a log file."""

import os
import sys

# Set by a sweep for the run it starts in a child process, whose stdout is a pipe to the sweep's: "bar" where the
# sweep's own stdout is a terminal, "lines" where it is not.
PROGRESS_ENV = "SEGBENCH_PROGRESS"


def progress_verbosity() -> int:
    """Keras' verbosity: 1 (live bar) on a terminal; 2 elsewhere, where the bar's redraws would pile up."""
    wanted = os.environ.get(PROGRESS_ENV)
    if wanted in ("bar", "lines"):
        return 1 if wanted == "bar" else 2
    return 1 if sys.stdout.isatty() else 2
