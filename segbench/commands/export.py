"""``segbench export``: a run's model for other runtimes (ONNX, TensorFlow SavedModel), checked after writing."""

from __future__ import annotations

import json
from pathlib import Path

from segbench.commands.args import add_checkpoint, positive
from segbench.errors import SegbenchError, one_line, print_error

NEEDS_KERAS = True  # it builds the run's model
# segbench.engine.export.FORMATS and OUTPUTS, repeated because that module loads Keras, and
# segbench.engine.onnxfile.PRECISIONS and segbench.engine.quantize.CALIBRATE, because those load numpy and OpenCV,
# which the parser of every verb must not; tests/test_commands.py checks that they agree.
FORMATS = ("onnx", "saved_model")
OUTPUTS = ("logits", "classes")
PRECISIONS = ("float32", "fp16", "int8")
CALIBRATE = 64


def register(verbs) -> None:
    parser = verbs.add_parser(
        "export", help="a run's model as ONNX or a TensorFlow SavedModel, checked against Keras",
        description="Write the run's model through Keras' model.export, computing in float32. A client feeds it "
                    "RGB (not BGR) uint8 NHWC images resized bilinearly to the model's input size (model.input_size "
                    "of the run's config.yaml; the graph normalises them itself: ONNX input 'image') and gets "
                    "float32 logits (N x H x W x classes, no softmax) or, with --output classes, the int32 class "
                    "map (N x H x W), at the input size, not the image's: resize the logits bilinearly to the "
                    "image's size and take the argmax, or the class map nearest-neighbour (ONNX output 'logits' "
                    "or 'classes'; class i is metrics.json's classes[i]). Then run the file (onnxruntime, or "
                    "TensorFlow for a SavedModel) on images of the run's eval split (random images where its data "
                    "is not at hand) and print the share of pixels whose class agrees with Keras' (docs/verbs.md: "
                    "segbench export). --quantize fp16 or int8 converts the float32 ONNX file with onnxruntime's "
                    "tools; the agreement is then reported, not required.")
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder with its weights")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the .onnx file, or the SavedModel's folder")
    parser.add_argument("--output", choices=OUTPUTS, default="logits",
                        help="what the graph returns, at the model's input size: logits (float32) or classes "
                             "(int32 argmax) (default: logits)")
    parser.add_argument("--quantize", choices=PRECISIONS[1:], metavar="|".join(PRECISIONS[1:]),
                        help="ONNX only: fp16 (onnxruntime's float16 converter) or int8 (onnxruntime's static "
                             "quantization: QDQ, int8 weights per channel, activations calibrated; the calibration "
                             "is recorded in <out stem>.calibration.json) (default: float32)")
    parser.add_argument("--calibrate", type=positive, metavar="N",
                        help="with --quantize int8: train images drawn by the run's seed to calibrate the "
                             f"activations' ranges on (default: {CALIBRATE})")
    add_checkpoint(parser)
    parser.add_argument("--check", type=positive, default=16, metavar="N", help="images to check on (default: 16)")
    parser.set_defaults(handler=run)


# The share of pixels on which a faithful file may differ from its float32 source: ties and last-bit differences
# between two float32 runtimes move a pixel or so in ten thousand, a converter's mistake a large part.
TRUSTED = 0.999


def check(args) -> None:
    """Before Keras loads: an ``--out`` at or inside a run folder, where a SavedModel replaced an (empty) eval/ or
    predictions/ of the run's, and an export went with eval/ when the run started over."""
    from segbench.rundir import refuse_run_folder

    refuse_run_folder(args.out, "export", "file" if args.fmt == "onnx" else "folder")
    if args.fmt == "onnx" and args.quantize:  # a quantized export writes, or removes, a record beside --out
        from segbench.engine.quantize import foreign_calibration

        theirs = foreign_calibration(args.out)
        if theirs is not None:
            raise SegbenchError(f"{theirs}: not a calibration record of segbench's, and an {args.quantize} export "
                                f"to {args.out} would replace it; move it, or give --out another name")


def run(args) -> int:
    from segbench.engine.export import agreement, check_images, export, runner
    from segbench.engine.loaded import note_unfinished

    precision = args.quantize or PRECISIONS[0]
    if args.calibrate is not None and precision != "int8":
        raise SegbenchError("export: --calibrate goes with --quantize int8")
    loaded = export(args.run_dir, args.fmt, args.out, args.output, args.checkpoint, precision,
                    args.calibrate or CALIBRATE)
    note_unfinished(loaded.path)
    images, where = check_images(loaded, args.check)
    found = agreement(loaded, runner(args.fmt, args.out), args.output, images)
    own = [key for key in found if key not in ("images", "pixels", "float32")]
    kind, size = (f"onnx {precision}", f", {args.out.stat().st_size / 2**20:.1f} MiB") if args.fmt == "onnx" \
        else (args.fmt, "")
    # Each line a line, whatever the names hold (a newline in --out split the success line in two, probe 22b).
    print(one_line(f"{args.out}: {kind}, {loaded.config.model.name} from {loaded.weights.name}, uint8 "
                   f"{'x'.join(map(str, loaded.model.input_shape[1:]))} in, {args.output} out{size}"))
    if precision == "int8":
        print(one_line(_calibration_line(args.out)))
    source = ("the exported model's source" if precision == "float32" else
              f"the source of this {precision} file; {precision} moves the class of pixels where two classes are "
              f"close, so this is reported, not refused: `segbench evaluate {args.run_dir} --onnx {args.out}` scores "
              "it")
    print(one_line(f"agreement with Keras on {where}, {found['pixels']:,} pixels: {100 * found['float32']:.3f} % "
                   f"(float32, {source})" + "".join(f", {100 * found[key]:.3f} % ({key}, as the run computed)"
                                                    for key in own)))
    if precision == "float32" and found["float32"] < TRUSTED:
        print_error(f"{args.out} gives another class than its source, Keras' float32 model, on "
                    f"{100 * (1 - found['float32']):.2f} % of the pixels checked: the converter changed what it "
                    "computes; the file is left for inspection, not to be used")
        return 1
    return 0


def _calibration_line(out: Path) -> str:
    from segbench.engine.quantize import calibration_path

    path = calibration_path(out)
    found = json.loads(path.read_text(encoding="utf-8"))["calibration"]
    fewer = f" (all there are; {found['asked']} asked)" if len(found["images"]) < found["asked"] else ""
    return (f"calibrated ({found['method']}) on {len(found['images'])} {found['split']} images{fewer} drawn by seed "
            f"{found['seed']}, as evaluation feeds them: {path}")
