"""``segbench predict``: a finished run's model on images and videos of the user's own."""

from __future__ import annotations

from pathlib import Path

from segbench.commands.args import add_checkpoint, batch
from segbench.errors import SegbenchError, one_line, print_error

NEEDS_KERAS = True  # it builds the run's model
OUT_OF_MEMORY = "try a smaller --batch"  # the run's input size is fixed by its weights


def register(verbs) -> None:
    parser = verbs.add_parser(
        "predict", help="class maps of a run's model for your own images and videos",
        description="For every image the inputs name (files, folders searched recursively, glob patterns; what "
                    "lies inside --out is left out of folders and patterns), write "
                    "its class map at the image's own size into --out as a palette PNG (it opens in the "
                    "dataset's colours and reads back as class indices; 16-bit grey past 256 classes), keeping a folder's subfolders; with "
                    "--overlay also a JPEG of the image under its classes. A video (.mp4, .avi, .mov, .mkv, .webm) "
                    "becomes <name>.overlay.mp4, its frames under their classes at its size and frame rate. An "
                    "unreadable input is one line and the others go on (exit code 1).")
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder with its weights")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, folders or glob patterns")
    parser.add_argument("--out", type=Path, required=True, help="folder for the class maps and videos")
    parser.add_argument("--overlay", action="store_true", help="also write <name>.overlay.jpg")
    add_checkpoint(parser)
    parser.add_argument("--batch", type=batch, default=8, help="images per model call, 1 to 1024 (default: 8)")
    parser.set_defaults(handler=run)


def check(args) -> None:
    """Before Keras loads: an ``--out`` that is a file, or at or inside a run folder, whose predictions/ and figures
    are what `report` draws as the run's (a picture of that name among the inputs was written over them)."""
    from segbench.rundir import refuse_run_folder

    refuse_run_folder(args.out, "predict")
    if args.out.exists() and not args.out.is_dir():  # "afile: File exists", after the model was loaded
        raise SegbenchError(f"{args.out}: not a folder; --out names the folder (new or not) for the class maps")


def run(args) -> int:
    from segbench.data.base import refuse_out_in_the_data
    from segbench.engine.loaded import load_run, note_unfinished
    from segbench.engine.predict import VIDEO_OVERLAY_SUFFIX, expand, predict_files

    jobs, missing = expand(args.inputs, args.out)  # before the model is built: a typo shows at once
    if not jobs:
        raise SegbenchError("; ".join(missing))
    loaded = load_run(args.run_dir, args.checkpoint)
    refuse_out_in_the_data(loaded.adapter, args.out, "predict")  # class maps among a split's images joined them
    note_unfinished(loaded.path)
    written, unreadable = predict_files(loaded, jobs, args.out, args.overlay, args.batch)
    failures = missing + unreadable
    for line in failures:
        print_error(line)
    videos = sum(path.name.endswith(VIDEO_OVERLAY_SUFFIX) for path in written)
    maps = len(written) - videos
    print(one_line(f"{maps} class map{'s' * (maps != 1)}" + (f" and {videos} video{'s' * (videos != 1)}" if videos
                                                             else "")
                   + f" in {args.out} ({loaded.weights.name}, {loaded.precision})"
                   + (f"; {len(failures)} input{'s' * (len(failures) != 1)} unreadable" if failures else "")))
    return 1 if failures else 0
