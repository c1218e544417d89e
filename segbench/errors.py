"""Errors a user can act on: the CLI prints them as one line and exits with code 2, without a traceback."""

import re
import sys

# How every failure line starts on stderr; a sweep and the benchmark suite read their children's lines by it.
ERROR_PREFIX = "segbench: error: "


class SegbenchError(Exception):
    """A problem with the user's input (config, files, arguments), stated as one line."""


class ConfigError(SegbenchError):
    """A config file or override that cannot be used."""


class DataError(SegbenchError):
    """A dataset sample or folder that cannot be read."""


# A newline or other control character in a name the user gave (an archive member "a\nb", a file name) would break
# the one line in two, and a sweep reading its children's lines by ERROR_PREFIX would lose the rest. The C1 controls
# (NEL, U+0085, among them) and the Unicode line and paragraph separators end a line too, for Python and terminals.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with its control characters escaped: "\\n" shown as the two characters."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def print_error(message: str) -> None:
    print(f"{ERROR_PREFIX}{one_line(message)}", file=sys.stderr)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of a library's error, to quote inside one of ours; its type where it says nothing."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation that failed: Python's MemoryError (numpy's included), OpenCV's cv2.error of
    code StsNoMem ("Insufficient memory"), or a framework's own (ResourceExhaustedError, RESOURCE_EXHAUSTED,
    OutOfMemoryError). Told by name, so that nothing here imports OpenCV or a framework."""
    if isinstance(exc, MemoryError):
        return True
    # By its text: OpenCV keeps the code of its last error on the class (cv2.error.code), not on each error.
    if type(exc).__module__ == "cv2" and "Insufficient memory" in str(exc):
        return True
    name = type(exc).__name__
    return "ResourceExhausted" in name or "OutOfMemory" in name or "RESOURCE_EXHAUSTED" in str(exc)[:500]
