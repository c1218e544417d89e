"""Finding a split's (image, label) pairs in a tree: files keyed by their path below their folder less a suffix
rule, searched recursively (Cityscapes' ``<split>/<city>/<name>_leftImg8bit.png`` beside
``<name>_gtFine_labelIds.png``), or listed in a pair-list file (CamVid's ``train.txt``, VOC's ImageSets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from segbench.data.base import Sample
from segbench.data.readers import IMAGE_SUFFIXES, LABEL_SUFFIXES, one_file_a_key, read_text_file
from segbench.errors import DataError
from segbench.io import lies_under, link_to_nothing, walk


def keyed_files(folder: Path, suffix: str | None, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """The files below ``folder`` (recursively, in sorted order) whose name ends with ``suffix`` (any of ``suffixes``
    where there is none), keyed by their path below ``folder`` less that ending; empty when the folder is absent.
    Two files of one key are refused (``one_file_a_key``)."""
    if not folder.is_dir():
        return {}
    return one_file_a_key(_keyed(folder, suffix, suffixes))


def _keyed(folder: Path, suffix: str | None, suffixes: tuple[str, ...]) -> Iterator[tuple[str, Path]]:
    for path in _files_below(folder):
        relative = path.relative_to(folder).as_posix()
        if suffix is not None:  # in any case, as suffixes of their own are: `a.JPG` was left out by `.jpg`, unsaid
            key = relative[: -len(suffix)] if relative.lower().endswith(suffix.lower()) and len(relative) > len(
                suffix) else None
        else:
            key = relative[: -len(path.suffix)] if path.suffix.lower() in suffixes else None
        if key is not None and not path.is_dir():
            yield key, path


def _files_below(folder: Path) -> list[Path]:
    """Every file below ``folder``, in sorted order, linked subfolders followed (a city kept on another disk, which
    rglob left out without a word) and each real folder walked once (a link back up is no endless tree). A link to
    nothing is refused: a city linked from a disk not mounted was left out of its split without a word."""
    found = sorted(top / name for top, _, files in walk(folder) for name in files)
    dangling = next(((path, said) for path in found if (said := link_to_nothing(path))), None)
    if dangling is not None:
        raise DataError(f"{dangling[0]}: {dangling[1]}, so what it held would be left out of the split (a disk not "
                        "mounted?); mount it, or remove the link")
    return found


def paired(images: Path, labels: Path, image_suffix: str | None, label_suffix: str | None,
           default_label_suffix: str) -> list[Sample]:
    """Every image below ``images`` with the label of the same key below ``labels``; an image without one keeps
    the path its label would have, so that reading it (or verify) names the missing file."""
    label_files = keyed_files(labels, label_suffix, LABEL_SUFFIXES)
    ending = label_suffix or default_label_suffix
    return [Sample(id=str(path), image=path, label=label_files.get(key, labels / f"{key}{ending}"))
            for key, path in keyed_files(images, image_suffix, IMAGE_SUFFIXES).items()]


def unclaimed(images: Path, labels: Path, image_suffix: str | None, label_suffix: str | None) -> list[Path]:
    """Label files below ``labels`` that no image below ``images`` claims."""
    claimed = keyed_files(images, image_suffix, IMAGE_SUFFIXES)
    return [path for key, path in keyed_files(labels, label_suffix, LABEL_SUFFIXES).items() if key not in claimed]


def listed(listing: Path, root: Path, folders: tuple[Path, Path] | None, image_suffix: str | None,
           label_suffix: str | None) -> list[Sample]:
    """The pairs a list file names, one a line: ``IMAGE LABEL`` (paths under ``root``, or absolute) or ``KEY``
    (found in ``folders`` by the suffix rules, or by any image suffix)."""
    lines = read_text_file(listing, "no such list file").splitlines()
    pairs, named = [], {}  # image stem -> the line that named it
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) == 2:
            image, label = (root / field for field in fields)
            outside = [field for field in fields if not lies_under(root / field, root)]
            if outside:
                raise DataError(f"{listing}: line {number}: {outside[0]} lies outside the root {root}; a list names "
                                "paths under it")
        elif len(fields) == 1 and folders is not None:
            image = _find(folders[0], fields[0], image_suffix, IMAGE_SUFFIXES)
            label = _find(folders[1], fields[0], label_suffix, LABEL_SUFFIXES)
        else:
            expected = "'IMAGE LABEL' or 'KEY'" if folders is not None else "'IMAGE LABEL' (or 'KEY' where the " \
                                                                            "split names images and labels folders)"
            raise DataError(f"{listing}: line {number}: expected {expected}, got {line.strip()!r}")
        add_once(listing, number, Sample(id=str(image), image=image, label=label), pairs, named)
    return pairs


def add_once(listing: Path, number: int, sample: Sample, pairs: list[Sample], named: dict[str, tuple[int, int]]):
    """Append the pair of ``listing``'s line ``number`` to ``pairs``, refusing an image named again (``named``:
    image stem -> its line and place in ``pairs``): an image named twice was scored twice, and two of one name
    (test/img1.png, val/img1.png) shared a row of per_image.csv and a kept prediction, both as verify said OK."""
    if sample.stem in named:
        again = "names the image of" if pairs[named[sample.stem][1]].image == sample.image else \
            "names an image of one name with"
        raise DataError(f"{listing}: line {number} {again} line {named[sample.stem][0]} ({sample.stem}); each image "
                        "once, under a name of its own")
    named[sample.stem] = number, len(pairs)
    pairs.append(sample)


def _find(folder: Path, key: str, suffix: str | None, suffixes: tuple[str, ...]) -> Path:
    if suffix is not None:
        return folder / f"{key}{suffix}"
    candidates = [folder / f"{key}{ending}" for ending in suffixes]
    return one_file_a_key((key, path) for path in sorted(candidates) if path.is_file()).get(key, candidates[0])
