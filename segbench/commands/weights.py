"""``segbench weights``: the pretrained files the paper's rows start from, what is in the cache, and fetching them
ahead of a sweep (on a login node with a network, say)."""

from __future__ import annotations

import json

from segbench.commands.args import group_with_list
from segbench.errors import SegbenchError, print_error
from segbench.paper import SUITES
from segbench.pretrained import PRETRAINED

NEEDS_KERAS = {"fetch"}  # Keras' get_file downloads and the layer checks build models; list only reads the cache


def register(verbs) -> None:
    sub = group_with_list(verbs, "weights", "list and fetch the pretrained weight files",
                          "The pretrained files the paper's rows start from (ImageNet encoders, the PSPNet-50 "
                          "ADE20K release), cached where Keras caches ($KERAS_HOME/models). Environment: "
                          "SEGBENCH_WEIGHTS_URL (a mirror, a URL or a folder, with the same file names), "
                          "SEGBENCH_WEIGHTS_TIMEOUT "
                          "(seconds, default 30), SEGBENCH_OFFLINE=1 (never download).",
                          "each file: where it is cached, its size and whether it was checked", list_command)
    fetch = sub.add_parser("fetch", help="download and check files into the cache (default: all of them)")
    # No argparse choices: Python 3.11's argparse refuses an empty list against them.
    fetch.add_argument("names", nargs="*", metavar="NAME", help=f"files by name: {', '.join(PRETRAINED)}")
    fetch.add_argument("--suite", choices=tuple(SUITES), help="the files a paper suite's configs read")
    fetch.set_defaults(handler=fetch_command)


def list_command(args) -> int:
    from segbench.pretrained import OFFLINE_ENV, listing, offline

    rows = listing()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        if row["blocked"]:
            state = f"{row['blocked']}: move it away, then place {row['url']} there or fetch it"
        elif row["bytes"] is None:
            state = (f"missing; place {row['url']} there ({OFFLINE_ENV} is set)" if offline() else
                     f"missing; {row['setting']} ({row['models']}) fetches it from {row['url']}")
        else:
            checked = f"verified by {row['verified']}" if row["verified"] else "not verified yet (checked on first use)"
            state = f"{row['bytes'] / 1e6:.1f} MB, {checked}"
        print(f"{row['name']:<16} {row['path']}  {state}")
    return 0


def fetch_command(args) -> int:
    from segbench.config import load_config
    from segbench.models.fetch import ensure_all, needed
    from segbench.paper import suite_configs
    from segbench.pretrained import cached

    unknown = [name for name in args.names if name not in PRETRAINED]
    if unknown:
        raise SegbenchError(f"weights fetch: no pretrained file named {unknown[0]!r} (one of {', '.join(PRETRAINED)})")
    entries = [PRETRAINED[name] for name in args.names]
    if args.suite:
        entries += [entry for path in suite_configs(args.suite) for entry in needed(load_config(path).model)]
    if not args.names and not args.suite:
        entries = list(PRETRAINED.values())
    failed = 0
    for name, problem in ensure_all(entries).items():
        if problem:
            print_error(problem)
            failed += 1
        else:
            path = cached(PRETRAINED[name])
            print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 2 if failed else 0
