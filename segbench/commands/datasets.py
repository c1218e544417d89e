"""``segbench datasets``: list the adapters; prepare, imitate, verify, count and look at the data on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

from segbench.commands.args import add_overrides, counts, dataset_adapter, group_with_list, positive, shell_word, size
from segbench.errors import SegbenchError, one_line
from segbench.rundir import refuse_run_folder, replaced_with_a_run, run_folder_of
from segbench.schema import SPLITS

NEEDS_KERAS = {"prepare"}  # Keras' get_file downloads; the other actions only read and write files


def register(verbs) -> None:
    sub = group_with_list(verbs, "datasets", "list, prepare, verify, count and look at datasets",
                          "Dataset adapters and the data on disk.",
                          "the adapters, their classes and where each expects its data", list_command)

    prepare = sub.add_parser("prepare", help="download or unpack a dataset into its root")
    prepare.add_argument("name")
    prepare.add_argument("--root", help="dataset folder (default: datasets/<name>)")
    prepare.add_argument("--from", dest="archive", type=Path,
                         help="an archive downloaded by hand (zip or tar), or the folder it was unpacked into (copied "
                              "from, left as it is)")
    prepare.set_defaults(handler=prepare_command)

    imitate = sub.add_parser("imitate", help="write synthetic scenes in a dataset's exact format",
                             description="Write synthetic scenes into an empty ROOT in the dataset's own folders, "
                                         "file names and label format, to try its configs without the real data.")
    imitate.add_argument("name")
    imitate.add_argument("--root", required=True, help="an empty or new folder")
    imitate.add_argument("--images", type=counts, default=[6, 2, 4], metavar="TRAIN,VAL,TEST",
                         help="pairs per split (default: 6,2,4); where a dataset divides one folder itself, "
                              "their sum, divided by its own rule")
    imitate.add_argument("--size", type=size, default=[90, 120], metavar="HxW", help="default: 90x120")
    add_overrides(imitate)
    imitate.set_defaults(handler=imitate_command)

    for action, text, handler in (
            ("verify", "check every pair; exit 1 when anything is wrong", verify_command),
            ("stats", "image count and pixels per class of a split", stats_command),
            ("show", "a grid of samples with their labels overlaid", show_command)):
        parser = sub.add_parser(action, help=text)
        parser.add_argument("name")
        parser.add_argument("--root", help="dataset folder (default: datasets/<name>)")
        add_overrides(parser)
        if action == "verify":
            parser.add_argument("--split", action="append", choices=SPLITS,
                                help="only this split (repeatable; default: all)")
        else:
            parser.add_argument("--split", required=True, choices=SPLITS)
        if action == "stats":
            parser.add_argument("--json", action="store_true", help="print one JSON object")
        if action == "show":
            parser.add_argument("--n", type=positive, default=8, help="how many samples (default: 8)")
            parser.add_argument("--out",  # a str: Path would drop the trailing / of a folder not made yet
                                help="figure file: .png, .pdf, .svg or .jpg; a folder (or a name ending in /) gets "
                                     "samples-<split>.png "
                                     "(default: results/<name>/samples-<split>.png)")
        parser.set_defaults(handler=handler)


def list_command(args) -> int:
    from segbench.data.catalog import describe_all, render

    entries = describe_all()
    print(json.dumps(entries, indent=2) if args.json else render(entries))
    return 0


def prepare_command(args) -> int:
    from segbench.data.prepare import prepare
    from segbench.registry import DATASETS

    adapter = DATASETS.get(args.name)
    root = Path(args.root or Path("datasets") / args.name)
    refuse_root_in_a_run(root)
    placed = prepare(adapter, args.name, root, args.archive)
    # An archive's member names are anyone's: a newline or a terminal escape in one broke this line, or coloured it.
    print(one_line(f"{args.name}: placed {', '.join(p.relative_to(root).as_posix() for p in placed)} in {root}"))
    print(f"next: segbench datasets verify {args.name} --root {shell_word(root)}")  # to paste
    return 0


def imitate_command(args) -> int:
    from segbench.data.imitation import imitate

    adapter = dataset_adapter(args)
    refuse_root_in_a_run(Path(adapter.root))
    counts = dict(zip(SPLITS, args.images))
    written = imitate(adapter, counts, tuple(args.size))
    print(f"{args.name}: {written} synthetic pairs in its format in {adapter.root}: "
          + ", ".join(f"{split} {len(adapter.list_pairs(split))}" for split in SPLITS))
    unused = [split for split in SPLITS if counts[split] and not adapter.has_split(split)]
    if unused:  # the folder adapter's default layout, one images/ + annotations/ pair of folders, is train only
        print(f"note: its layout has no {' or '.join(unused)} split, so the {', '.join(map(str, (counts[s] for s in unused)))} "
              f"asked for {' and '.join(unused)} were not written (a class file's {', '.join(unused)} keys name "
              "their folders)")
    return 0


def refuse_root_in_a_run(root: Path) -> None:
    """A dataset made at or inside a run folder (its eval/) was deleted with it when the run was started over."""
    folder = run_folder_of(root)
    if folder is not None:
        raise SegbenchError(replaced_with_a_run(root, folder, "give --root a folder of its own"))


def verify_command(args) -> int:
    from segbench.data.verify import render, verify

    adapter = dataset_adapter(args)
    reports = verify(adapter, args.split or SPLITS)
    print(render(adapter, reports))
    return 1 if any(report.count("error") for report in reports) else 0


def stats_command(args) -> int:
    from segbench.data.stats import class_pixels, render

    adapter = dataset_adapter(args)
    found = class_pixels(adapter, adapter.whole_split(args.split))
    if args.json:
        print(json.dumps({"dataset": args.name, "split": args.split, "images": found["images"],
                          "classes": list(adapter.classes), "pixels": found["pixels"]}))
    else:
        print(render(adapter, args.split, found))
    return 0


def show_command(args) -> int:
    from segbench.data.base import evenly_spaced, refuse_out_in_the_data
    from segbench.report.samples import show_grid

    out = figure_path(args.out, args.name, args.split)
    refuse_run_folder(out, "datasets show", "file")  # a picture named like a kept prediction replaced it
    adapter = dataset_adapter(args)
    refuse_out_in_the_data(adapter, out, "datasets show")
    samples = adapter.whole_split(args.split)
    if not samples:
        raise SegbenchError(f"{adapter.root}: {args.name} has no {args.split} pairs there")
    chosen = evenly_spaced(samples, args.n)
    show_grid(adapter, chosen, out, title=f"{args.name} {args.split}: {len(chosen)} of {len(samples)}")
    print(out)
    return 0


FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg")


def figure_path(given: str | None, name: str, split: str) -> Path:
    """Where `datasets show` writes: checked before any image is read, so that a wrong name costs nothing."""
    default = f"samples-{split}.png"
    if given is None:
        return Path("results") / name / default
    out = Path(given)
    if out.is_dir() or given.endswith(("/", os.sep)):
        return out / default
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        raise SegbenchError(f"{out}: not a figure file name; end it in {', '.join(FIGURE_SUFFIXES)}, or give a folder")
    return out
