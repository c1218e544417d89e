"""``segbench env``: segbench's version, the backend Keras would start and every framework installed, with how the
environment stands against requirements.lock; what metrics.json's ``environment`` records, told before a run."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

NEEDS_KERAS = False  # versions come from the packages' metadata: nothing is imported


def register(verbs) -> None:
    parser = verbs.add_parser("env", help="print segbench's, Python's and the frameworks' versions",
                              description="Print segbench's version, the Keras backend a run would use, the "
                                          "versions of the installed frameworks and, in a source tree, whether "
                                          "the environment is the one requirements.lock pins.")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a package requirements.lock pins is missing or at another version")
    parser.set_defaults(handler=run)


def keras_backend() -> str:
    """The backend Keras will pick, by its own rule: KERAS_BACKEND, else keras.json's, else tensorflow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


def run(args) -> int:
    from segbench import __version__
    from segbench.backend import cpu
    from segbench.versions import FRAMEWORKS, LOCK, drift, installed, read_lock

    have = installed()
    report = {"segbench": __version__, "python": platform.python_version(), "machine": platform.machine(),
              "cpu": cpu(), "backend": keras_backend(),
              "packages": {name: have.get(name) for name in FRAMEWORKS}}
    if LOCK.is_file():
        report["lock"] = {"file": str(LOCK), "drift": drift(read_lock(LOCK.read_text()), have)}
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print_text(report)
    return 1 if args.check and report.get("lock", {}).get("drift") else 0


def print_text(report: dict) -> None:
    for key in ("segbench", "python", "machine", "cpu", "backend"):
        print(f"{key:24} {report[key]}")
    for name, version in report["packages"].items():
        print(f"{name:24} {version or '-'}")
    if "lock" in report:
        lock = report["lock"]
        count = len(lock["drift"])
        state = f"differs in {count} package{'s' if count > 1 else ''}:" if count else "matches it"
        print(f"{'lock':24} {lock['file']}: the environment {state}")
        for line in lock["drift"]:
            print(f"  {line}")
