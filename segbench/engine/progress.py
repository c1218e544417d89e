"""How much progress to print: a live bar on a terminal, one line per pass in a log file."""

import os
import statistics
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


def hours(seconds: float) -> str:
    """A duration as people read it: '1 h 52 min', '12.5 min' under an hour, '40 s' under a minute."""
    minutes = round(seconds / 60)
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{seconds / 60:.1f} min"


def time_left(epoch_seconds: list[float], epochs_left: int) -> str:
    """The training time still to come, at the pace of the last five epochs (their median: one slow epoch, a
    neighbour's burst on a shared machine, does not swing it); '' when no epoch is left."""
    if epochs_left <= 0 or not epoch_seconds:
        return ""
    return f"about {hours(statistics.median(epoch_seconds[-5:]) * epochs_left)} left"
