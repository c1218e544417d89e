"""``segbench predict``: a run's model on the user's own images. Inputs are files, folders (searched recursively)
and glob patterns; each image gets a class-index PNG at its own size, stored as a palette image so that it opens in
colour and still reads back as class indices, and with ``overlay`` a JPEG of the image under its classes."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from segbench.data.readers import IMAGE_SUFFIXES, read_rgb, write_image
from segbench.engine.loaded import LoadedRun
from segbench.engine.progress import progress_verbosity
from segbench.errors import DataError, SegbenchError
from segbench.io import atomic_path
from segbench.report.figures import overlay as blend

OVERLAY_SUFFIX = ".overlay.jpg"


def expand(inputs: list[str]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(image file, output path without suffix) for every image the inputs name: a file as itself (its stem), a
    folder's images at any depth (their path inside it), a pattern's matches (their stems); and one line per input
    that names no image. Two images that would write the same output are refused before anything runs."""
    found: dict[Path, Path] = {}
    missing = []
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            pairs = [(file, file.relative_to(path).with_suffix("")) for file in sorted(path.rglob("*"))
                     if file.suffix.lower() in IMAGE_SUFFIXES and file.is_file()]
        elif path.is_file():
            pairs = [(path, Path(path.stem))]
        else:
            pairs = [(Path(match), Path(Path(match).stem)) for match in sorted(glob.glob(text, recursive=True))
                     if Path(match).is_file()]
        if not pairs:
            missing.append(f"{text}: no such file or folder, or no image in it ({', '.join(IMAGE_SUFFIXES)})")
        for file, out in pairs:
            if out in found and found[out] != file:
                raise SegbenchError(f"{file} and {found[out]} would both write {out}.png; predict them apart")
            found[out] = file
    return [(file, out) for out, file in found.items()], missing


def write_palette_png(path: Path, classes: np.ndarray, palette) -> None:
    """A class map as a palette PNG: viewers show the dataset's colours, readers get the indices back."""
    image = Image.fromarray(classes.astype(np.uint8), mode="P")
    image.putpalette([value for colour in palette for value in colour])
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")


def predict_files(run: LoadedRun, jobs: list[tuple[Path, Path]], out: Path, overlay: bool = False,
                  batch_size: int = 8) -> tuple[list[Path], list[str]]:
    """Predict the images of ``jobs`` (from ``expand``) into ``out``; returns the class maps written and one line
    per image that could not be read (the others go on)."""
    if run.adapter.num_classes > 256:
        raise SegbenchError(f"{run.path}: {run.adapter.num_classes} classes do not fit a palette PNG (256 at most)")
    written, failures = [], []
    bar = keras.utils.Progbar(len(jobs), unit_name="image", verbose=progress_verbosity())
    for start in range(0, len(jobs), batch_size):
        images, targets = [], []
        for file, target in jobs[start:start + batch_size]:
            try:
                images.append(read_rgb(file))
                targets.append(target)
            except DataError as exc:
                failures.append(str(exc))
        for image, target, classes in zip(images, targets, run.predict(images, batch_size) if images else []):
            destination = out / target.with_suffix(".png")
            destination.parent.mkdir(parents=True, exist_ok=True)
            write_palette_png(destination, classes, run.palette)
            if overlay:
                write_image(out / f"{target}{OVERLAY_SUFFIX}", blend(image, classes, run.palette))
            written.append(destination)
        bar.add(len(jobs[start:start + batch_size]))
    sys.stdout.flush()
    return written, failures
