"""``segbench predict``: a run's model on the user's own images and videos. Inputs are files, folders (searched
recursively) and glob patterns; each image gets a class-index PNG at its own size, stored as a palette image so that
it opens in colour and still reads back as class indices, and with ``overlay`` a JPEG of the image under its
classes; each video gets a video of its frames under their classes (OpenCV reads and writes them)."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import cv2
import keras

from segbench.data.readers import IMAGE_SUFFIXES, frame_count, read_rgb, write_image, write_palette_png
from segbench.engine.loaded import LoadedRun
from segbench.engine.progress import progress_verbosity
from segbench.errors import DataError, SegbenchError
from segbench.io import TEMPORARY, atomic_path, remove_stale_temporaries, why_not_a_file
from segbench.quiet import quiet_stderr
from segbench.report.figures import overlay as blend
from segbench.report.fresh import png_text
from segbench.rundir import run_folder_of

OVERLAY_SUFFIX = ".overlay.jpg"
SOFTWARE = "segbench predict"  # in each class map's Software chunk: predict replaces its own files only
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
# The containers that store their frame count (AVI's header, the sample tables of MP4 and QuickTime); Matroska and
# WebM store none, and OpenCV's count for them is an estimate from the duration, which a whole video may miss.
COUNTED_VIDEOS = (".mp4", ".avi", ".mov")
VIDEO_OVERLAY_SUFFIX = ".overlay.mp4"  # MPEG-4 Part 2 ("mp4v"): the codec every OpenCV build can write
# A folder's photos in every format Pillow reads that cameras and tools write, not only a dataset's: a .tif or .webp
# named on the command line was predicted, and the same file in a folder left out without a word.
INPUT_SUFFIXES = IMAGE_SUFFIXES + (".tif", ".tiff", ".webp", ".gif") + VIDEO_SUFFIXES


def expand(inputs: list[str], out: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(image or video file, output path without suffix) for every image and video the inputs name: a file as
    itself, a folder's at any depth (their path inside it), a pattern's matches; each keeps its whole name but the
    last suffix (``street.day.jpg`` writes ``street.day.png``). A folder or pattern leaves out the files inside
    ``out``: an ``--out`` inside an input folder holds an earlier call's class maps and overlays, no photos of the
    user's. One line per input that names none. Two inputs that would write the same file, or an input its own
    output would overwrite, are refused before anything runs; an image and a video of one stem write different
    files (a class map, an overlay video) and are both predicted."""
    out_tree = out.resolve()
    found: dict[Path, tuple[Path, Path]] = {}  # the file a job writes -> (its input, its output without suffix)
    missing = []
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            named = [(file, file.relative_to(path)) for file in sorted(path.rglob("*"))
                     if file.suffix.lower() in INPUT_SUFFIXES]
        elif path.is_file():
            named = [(path, Path(path.name))]
        else:
            named = [(Path(match), Path(Path(match).name)) for match in sorted(glob.glob(text, recursive=True))]
        # Not the temporaries a killed predict left in a folder (an unreadable .street.<random>.overlay.jpg).
        named = [(file, name) for file, name in named if file == path or not TEMPORARY.fullmatch(file.name)]
        # A FIFO or a device of a photo's name (a link to /dev/zero) is named, not left out without a word.
        odd = [f"{file}: {why_not_a_file(file)}" for file, _ in named if not file.is_file() and not file.is_dir()]
        missing += odd
        named = [(file, name) for file, name in named if file.is_file()]
        pairs = [(file, name.with_suffix("")) for file, name in named
                 if file == path or not file.resolve().is_relative_to(out_tree)]  # a file named is predicted
        if not pairs and not odd:
            missing.append(f"{text}: every image and video in it lies inside --out {out}, which is left out (it "
                           "holds predict's own outputs)" if named else
                           f"{text}: no such file or folder, or no image or video in it ({', '.join(INPUT_SUFFIXES)})")
        for file, target in pairs:
            written = _written(file, target)
            if written in found and found[written][0] != file:
                raise SegbenchError(f"{file} and {found[written][0]} would both write {written}; predict them apart")
            if (out / written).resolve() == file.resolve():
                raise SegbenchError(f"{file}: its output would overwrite it; give predict another --out")
            if written.suffix == ".png" and not _class_map_or_absent(out / written):
                # Another photo of the stem in --out (street.png beside street.jpg) was replaced by a class map.
                raise SegbenchError(f"{out / written}: there already and not a class map predict wrote (another "
                                    f"picture of {file.name}'s name?), which {file.name}'s would replace; give "
                                    "predict another --out")
            found[written] = file, target
    # An input folder's subfolders are kept under --out, and one named like a run folder there (--out a parent of
    # runs) wrote over that run's kept predictions and figures.
    for folder in sorted({(out / written).parent for written in found} - {out}):
        run = run_folder_of(folder)
        if run is not None:
            inputs = [str(file) for written, (file, _) in found.items() if (out / written).parent == folder]
            raise SegbenchError(f"{inputs[0]}: its outputs would go into {folder}, inside the run folder {run}, "
                                "whose files predict would write over; give --out a folder of its own")
    return list(found.values()), missing


def _class_map_or_absent(path: Path) -> bool:
    """Whether ``path`` is free for a class map: not there, or a class map predict wrote (an earlier call's,
    replaced by this one's), as its PNG's Software chunk says: any palette PNG was taken for one, and a user's VOC
    label beside its photo was replaced."""
    return not path.exists() or png_text(path, "Software") == SOFTWARE


def _written(file: Path, target: Path) -> Path:
    """The file of a job's outputs that names it: an image's class map, a video's overlay video."""
    return Path(f"{target}{VIDEO_OVERLAY_SUFFIX if file.suffix.lower() in VIDEO_SUFFIXES else '.png'}")


def predict_files(run: LoadedRun, jobs: list[tuple[Path, Path]], out: Path, overlay: bool = False,
                  batch_size: int = 8) -> tuple[list[Path], list[str]]:
    """Predict the images and videos of ``jobs`` (from ``expand``) into ``out``; returns the files written (class
    maps, overlay videos) and one line per input that could not be read (the others go on)."""
    videos = [(file, target) for file, target in jobs if file.suffix.lower() in VIDEO_SUFFIXES]
    images = [job for job in jobs if job not in videos]
    for file, target in videos:
        # A video's overlay is all predict writes of it, with no class map beside it to tell an earlier call's
        # from the user's own clip of that name (which was replaced).
        if (out / _written(file, target)).exists():
            raise SegbenchError(f"{out / _written(file, target)}: there already, and predict cannot tell an overlay "
                                "video of its own from one of yours; remove it, or give predict another --out")
    for file, target in images if overlay else ():
        # An overlay is predict's own where the class map beside it is: a user's street.overlay.jpg was replaced.
        if (out / f"{target}{OVERLAY_SUFFIX}").exists() and not (out / f"{target}.png").is_file() \
                or not _class_map_or_absent(out / f"{target}.png"):
            raise SegbenchError(f"{out / f'{target}{OVERLAY_SUFFIX}'}: there already and not an overlay predict "
                                f"wrote, which {file.name}'s would replace; give predict another --out")
    # What a predict killed half-way left of these outputs would stay in the user's folder for good.
    remove_stale_temporaries([out / _written(file, target) for file, target in jobs]
                             + [out / f"{target}{OVERLAY_SUFFIX}" for _, target in images if overlay])
    written, failures = _predict_images(run, images, out, overlay, batch_size) if images else ([], [])
    for file, target in videos:
        try:
            written.append(predict_video(run, file, out / _written(file, target), batch_size))
        except DataError as exc:
            failures.append(str(exc))
    return written, failures


def _predict_images(run: LoadedRun, jobs: list[tuple[Path, Path]], out: Path, overlay: bool,
                    batch_size: int) -> tuple[list[Path], list[str]]:
    written, failures, notes = [], [], []
    bar = keras.utils.Progbar(len(jobs), unit_name="image", verbose=progress_verbosity())
    for start in range(0, len(jobs), batch_size):
        images, targets = [], []
        for file, target in jobs[start:start + batch_size]:
            try:
                images.append(read_rgb(file, upright=True))
                targets.append(target)
            except DataError as exc:
                failures.append(str(exc))
                continue
            frames = frame_count(file)
            if frames > 1:  # an animation's other frames were left out without a word
                notes.append(f"note: {file} holds {frames} frames (an animation, or pages); its class map is of the "
                             "first: a clip is predicted frame by frame as a video (.mp4, .avi, ...)")
        for image, target, classes in zip(images, targets, run.predict(images, batch_size) if images else []):
            destination = out / f"{target}.png"  # not with_suffix: street.day keeps .day
            destination.parent.mkdir(parents=True, exist_ok=True)
            write_palette_png(destination, classes, run.palette, SOFTWARE)
            if overlay:
                write_image(out / f"{target}{OVERLAY_SUFFIX}", blend(image, classes, run.palette))
            written.append(destination)
        bar.add(len(jobs[start:start + batch_size]))
    for note in notes:
        print(note)
    sys.stdout.flush()
    return written, failures


def predict_video(run: LoadedRun, file: Path, destination: Path, batch_size: int = 8) -> Path:
    """``destination``: the video ``file``'s frames under their predicted classes, at its size and frame rate."""
    with quiet_stderr():  # FFmpeg's own line ("moov atom not found") on fd 2 would come before ours
        capture = cv2.VideoCapture(str(file))
        ok, frame = capture.read()
    try:
        if not ok:
            raise DataError(f"{file}: cannot be read as a video (damaged, or a codec this OpenCV build lacks)")
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0  # a stream that does not say gets the common rate
        frames_said = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        bar = keras.utils.Progbar(frames_said if frames_said > 0 else None, unit_name="frame",
                                  verbose=progress_verbosity())
        height, width = frame.shape[:2]
        with atomic_path(destination) as tmp:  # the final suffix kept: OpenCV picks the container by it
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
            if not writer.isOpened():
                raise DataError(f"{destination}: OpenCV cannot write an MPEG-4 video here")
            frames = 0
            try:
                while ok:
                    batch = []
                    while ok and len(batch) < batch_size:
                        batch.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                        ok, frame = capture.read()
                    for image, classes in zip(batch, run.predict(batch, batch_size)):
                        writer.write(cv2.cvtColor(blend(image, classes, run.palette), cv2.COLOR_RGB2BGR))
                    bar.add(len(batch))
                    frames += len(batch)
            finally:
                writer.release()
            check_frames(file, frames, frames_said)  # inside atomic_path: a cut video's overlay is not kept
    finally:
        capture.release()
    sys.stdout.flush()
    return destination


def check_frames(file: Path, frames: int, frames_said: int) -> None:
    """Refuse a video of which fewer frames could be read than its container states: a file cut short (a copy
    stopped half-way) decodes to its end without an error, and its overlay held 16 of 40 frames as if whole."""
    if file.suffix.lower() in COUNTED_VIDEOS and frames < frames_said:
        raise DataError(f"{file}: damaged (cut short?): {frames} of the {frames_said} frames it states could be "
                        "read; no overlay written")
