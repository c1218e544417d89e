"""``segbench evaluate``: a finished run scored again without training: test-time augmentation, sliding windows,
corruptions, the robustness table over all of them, and an exported ONNX file scored in the model's place."""

from __future__ import annotations

import argparse
from pathlib import Path

from segbench.commands.args import add_checkpoint, batch, non_negative, positive, size
from segbench.engine.views import MAX_SCALE
from segbench.errors import SegbenchError
from segbench.schema import SPLITS

NEEDS_KERAS = True  # it builds the run's model
OUT_OF_MEMORY = "try a smaller --batch"


def scales(text: str) -> tuple[float, ...] | str:
    """``0.5,0.75,1`` as numbers above 0, or ``ms`` for the multi-scale set of the ms+flip column."""
    if text == "ms":  # resolved by the handler: segbench.engine.inference loads Keras, which the parser must not
        return text
    try:
        found = tuple(dict.fromkeys(float(part) for part in text.split(",")))
    except ValueError:
        found = ()
    # NaN is not above 0 either; inf is, and ended in int()'s OverflowError once Keras had loaded.
    if not found or not all(0 < scale <= MAX_SCALE for scale in found):
        raise argparse.ArgumentTypeError(f"expected scales above 0 and at most {MAX_SCALE} such as 0.5,1,1.5 "
                                         f"(or ms), got {text!r}")
    return found


def corruption(text: str) -> tuple[str, int]:
    from segbench.data import corrupt  # albumentations, only when a corruption is asked for

    try:
        return corrupt.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(verbs) -> None:
    parser = verbs.add_parser(
        "evaluate", help="score a finished run again: test-time augmentation, sliding windows, corruptions",
        description="Score the run's model on a split again, at native resolution as the run itself was scored, "
                    "and write RUN_DIR/eval/<mode>.json in the schema of metrics.json with the mode recorded "
                    "(metrics.json is never touched). Without options it repeats the run's own scoring. "
                    "Logits of every view are averaged at each image's own size.")
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder with its weights")
    parser.add_argument("--split", choices=SPLITS, help="the split to score (default: the run's eval.split)")
    add_checkpoint(parser)
    parser.add_argument("--tta", choices=("flip",), help="flip: average with the horizontally flipped image")
    parser.add_argument("--scales", type=scales, default=(1.0,), metavar="S,S,...|ms",
                        help="average over the image at these multiples of the size the model sees it at (input "
                             "sides rounded to multiples of 32); ms: 0.5,0.75,1,1.25,1.5,1.75")
    parser.add_argument("--window", type=size, metavar="HxW",
                        help="slide windows of this size over each image at its own size (times --scales) instead "
                             "of resizing it to the model's input; logits are averaged where windows overlap")
    parser.add_argument("--stride", type=positive, metavar="PIXELS",
                        help="the most pixels between windows (default with --window: half its shorter side)")
    parser.add_argument("--corrupt", type=corruption, metavar="NAME[:SEVERITY]",
                        help="corrupt each image first (severity 1-5, default 3): gaussian_noise, motion_blur, "
                             "defocus_blur, jpeg_compression, brightness, contrast, fog")
    parser.add_argument("--robustness", action="store_true",
                        help="score every corruption at every severity (35 scorings, each kept in eval/ so that an "
                             "interrupted sweep continues) and write eval/robustness.{csv,md,png}")
    parser.add_argument("--onnx", type=Path, metavar="FILE",
                        help="score this file exported from the run (segbench export, --output logits; float32, fp16 "
                             "or int8) through onnxruntime instead of the Keras model, with the same protocol, into "
                             "eval/onnx-<precision>.json; one view only (no --tta, --scales, --window, --robustness)")
    parser.add_argument("--seed", type=non_negative, default=0, help="the corruptions' random draws (default: 0)")
    parser.add_argument("--batch", type=batch, help="model inputs per call, 1 to 1024 (default: the run's "
                                                    "eval.batch_size)")
    parser.set_defaults(handler=run)


def check(args) -> None:
    """What can be refused before Keras loads: options that do not go together and a folder that is not a run's."""
    from segbench.lock import holder
    from segbench.rundir import CONFIG, unfinished

    views(args)
    if not (args.run_dir / CONFIG).is_file():
        raise SegbenchError(f"{args.run_dir}: not a run folder (no {CONFIG})")
    # A scoring in eval/ stands beside the run's own; of a run still training it would outlive the weights it scored.
    state = unfinished(args.run_dir)
    pid = holder(args.run_dir) if state else None
    if pid:  # one training now was told to --resume, which its lock would refuse
        raise SegbenchError(f"{args.run_dir}: {state}, training now (PID {pid}); evaluate scores a finished run "
                            "again: wait for it to finish, or predict with the weights it has kept")
    if state:
        raise SegbenchError(f"{args.run_dir}: {state}; evaluate scores a finished run again: let it finish "
                            "(--resume) first, or predict with the weights it has kept")


def views(args):
    """The views the options ask for, or the one line that says why they cannot be had."""
    from segbench.engine.views import MS_SCALES, Views

    if args.robustness and args.corrupt:
        raise SegbenchError("evaluate: --robustness scores every corruption; leave out --corrupt")
    if args.stride is not None and args.window is None:
        raise SegbenchError("evaluate: --stride goes with --window")
    if args.onnx is not None and (args.robustness or args.tta or args.window or args.scales != (1.0,)):
        raise SegbenchError("evaluate: --onnx scores the file as it is, one view at its input size: leave out "
                            "--tta, --scales, --window and --robustness")
    stride = args.stride or (max(1, min(args.window) // 2) if args.window else None)  # 1x1: half is no stride
    try:
        return Views(flip=args.tta == "flip", scales=MS_SCALES if args.scales == "ms" else args.scales,
                     window=tuple(args.window) if args.window else None, stride=stride)
    except ValueError as exc:
        raise SegbenchError(f"evaluate: {exc}") from None


def run(args) -> int:
    from segbench.bootstrap import interval_text
    from segbench.engine.loaded import load_run
    from segbench.engine.rescore import rescore, robustness
    from segbench.lock import locked
    from segbench.rundir import eval_path

    chosen = views(args)
    loaded = load_run(args.run_dir, args.checkpoint)
    onnx = None
    if args.onnx is not None:
        from segbench.engine.onnxfile import OnnxModel

        onnx = OnnxModel(args.onnx)
    with locked(loaded.path):  # not while a run trains into the folder, nor beside another evaluate
        if args.robustness:
            clean, scores = robustness(loaded, chosen, args.split, args.batch, args.seed)
            return _robustness_table(loaded, clean, scores)
        found = rescore(loaded, chosen, args.corrupt, args.split, args.batch, args.seed, onnx=onnx)
    low, high = found.get("intervals", {}).get("paper", {}).get("miou", (None, None))
    line = (f"{eval_path(loaded.path, found['mode']['name'])}: mIoU {100 * found['miou']:.2f}"
            + (f" {interval_text(low, high)}" if low is not None else "")
            + f", fIoU {100 * found['fiou']:.2f} on {found['num_images']} {found['split']} images "
            f"({args.onnx or loaded.weights.name}, {found['precision']}"
            + (f", {found['mode']['onnx']['runtime']}" if onnx is not None else "")
            + f", {found['mode']['seconds']:.0f} s)")
    own = loaded.metrics  # a finished run's: check() refused an unfinished one
    if own["split"] == found["split"]:
        line += f"; the run's own score: {100 * own['miou']:.2f}"
    print(line)
    return 0


def _robustness_table(loaded, clean: dict, scores: dict) -> int:
    from segbench.report.robustness import table, write
    from segbench.rundir import EVAL

    frame = table(clean["miou"], {key: found["miou"] for key, found in scores.items()})
    title = f"{loaded.path.name} ({loaded.config.model.name}, {clean['split']})"
    paths = write(loaded.path / EVAL, frame, clean["miou"], title)
    print(paths[1].read_text(encoding="utf-8"))
    print("written: " + ", ".join(map(str, paths)))
    return 0
