"""Checks of every pair of a dataset on disk: files present, intact and matched, sizes equal, labels in range."""

from __future__ import annotations

import glob
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from segbench.data.base import DatasetAdapter, Problem, Sample, loads_itself, named_once, shared_images
from segbench.data.pairs import out_of_range, out_of_range_message, read_pair
from segbench.data.readers import IMAGE_SUFFIXES, LABEL_SUFFIXES, check_intact, read_rgb
from segbench.errors import DataError, one_line
from segbench.schema import SPLITS


@dataclass
class SplitReport:
    split: str
    pairs: int = 0
    problems: list[Problem] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(p.severity == severity for p in self.problems)


def verify(adapter: DatasetAdapter, splits=SPLITS) -> list[SplitReport]:
    """One report per split; decoding runs on a thread per core (OpenCV and Pillow release the GIL)."""
    reports, listed = [], {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for split in splits:
            samples = adapter.list_pairs(split)  # a missing root or an unreadable list file stops here, once
            listed[split] = samples
            named_once(samples)
            if any(sample.image is None for sample in samples):
                raise DataError(f"{adapter.config.name}: drawn in memory, it has no files to verify")
            report = SplitReport(split, pairs=len(samples))
            if not samples:  # an empty root, or another dataset's folder, holds no pairs: not "OK"
                report.problems.append(missing_split(adapter, split))
            for found in pool.map(lambda sample: check_pair(adapter, sample), samples):
                report.problems += found
            report.problems += unmatched_labels(adapter, split, samples)
            reports.append(report)
    for report in reports:
        report.problems += overlaps(listed, report.split)
    return reports


def overlaps(listed: dict[str, list[Sample]], split: str) -> list[Problem]:
    """Images of ``split`` that a split before it (train, then val) holds too; each told once, at the later split."""
    return [found for first in SPLITS[:SPLITS.index(split)] if first in listed
            if (found := shared_images(first, listed[first], split, listed[split]))]


def missing_split(adapter: DatasetAdapter, split: str) -> Problem:
    """A split without pairs. A run trains without val (scoring its last epoch), so that is a warning; without
    train or test there is nothing to train on or to score: an error, for the verbs that need that split."""
    where = str(_split_place(adapter, split))
    if split == "val":
        return Problem(where, "no val pairs: a run trains without validation and scores its last epoch "
                              "(eval.checkpoint: best has no best epoch to take)", "warning")
    return Problem(where, f"no {split} pairs; {adapter.config.name} expects {adapter.layout}")


def _split_place(adapter: DatasetAdapter, split: str):
    folders = adapter.folders(split)
    return folders[0] if folders else adapter.root


def _unread_beside(wanted: Path, read: tuple[str, ...] = LABEL_SUFFIXES, what: str = "labels") -> str:
    """Where a file of the stem of ``wanted`` (a missing label, or the image a label lacks) is there in a suffix
    ``what`` are not read in (img0.tif beside img0.png), say so: the line named a .png that is not there, and
    nothing of the .tif."""
    try:
        beside = sorted(path.name for path in wanted.parent.glob(f"{glob.escape(wanted.stem)}.*")
                        if path.suffix.lower() not in read)
    except OSError:
        return ""
    return f" ({', '.join(beside)} there: {what} are read from {', '.join(read)} files)" if beside else ""


def check_pair(adapter: DatasetAdapter, sample: Sample) -> list[Problem]:
    unread = "" if sample.label.exists() else _unread_beside(sample.label)  # said wherever its absence is
    problems = [Problem(str(path), f"{what} {why}{unread if what == 'label' else ''}")
                for what, path in (("image", sample.image), ("label", sample.label))
                if path.suffix.lower() in IMAGE_SUFFIXES and (why := check_intact(path))]
    if not sample.label.exists() and sample.label.suffix.lower() not in IMAGE_SUFFIXES:
        problems.append(Problem(str(sample.label), f"label missing{unread}"))
    if problems:
        return problems
    if loads_itself(adapter):
        # A plugin's own load, which a run reads through, alone: it may decode what the files hold (stored 0/10/20
        # read as classes 0/1/2), which segbench's reader called out of range in every sound file.
        try:
            read_pair(adapter, sample)
        except DataError as exc:
            path, _, message = str(exc).partition(": ")
            return [Problem(path, message)]
        return adapter.label_problems(sample)
    try:
        image, label = read_rgb(sample.image), adapter.read_label(sample.label)
    except DataError as exc:
        path, _, message = str(exc).partition(": ")
        return [Problem(path, message)]
    if label.shape != image.shape[:2]:
        # Height x width, as every size segbench takes or prints (--size HxW, input_size, "native 360x480").
        sizes = f"label is {label.shape[0]}x{label.shape[1]} but its image is {image.shape[0]}x{image.shape[1]}"
        if adapter.resizes_mismatched_labels:
            problems.append(Problem(str(sample.label), f"{sizes}: resized to the image", "warning"))
        else:
            problems.append(Problem(str(sample.label), sizes))
    bad = out_of_range(label, adapter.num_classes, adapter.ignore_index)
    if bad:
        problems.append(Problem(str(sample.label), out_of_range_message(bad, adapter.num_classes)))
    return problems + adapter.label_problems(sample)


def unmatched_labels(adapter: DatasetAdapter, split: str, samples: list[Sample]) -> list[Problem]:
    """Label files of the split's label folder that no image claims (reported with the first split they
    belong to, since SUIM's train and val share one folder)."""
    folders = adapter.folders(split)
    if folders is None or any(adapter.folders(s) == folders for s in SPLITS[:SPLITS.index(split)]):
        return []
    images, labels = folders
    return [Problem(str(path), "label without an image" + (_unread_beside(images / path.relative_to(labels),
                                                                          IMAGE_SUFFIXES, "images")
                                                            if path.is_relative_to(labels) else ""))
            for path in adapter.unclaimed_labels(split)]


def render(adapter: DatasetAdapter, reports: list[SplitReport]) -> str:
    """One line per problem (severity, file, what), then a count per split and a verdict."""
    lines = [one_line(f"{'ERROR' if p.severity == 'error' else 'WARN '} {p.path}: {p.message}")  # a name's "\n"
             for report in reports for p in report.problems]
    lines += [f"{r.split}: {r.pairs} pairs, {r.count('error')} errors, {r.count('warning')} warnings" for r in reports]
    errors = sum(r.count("error") for r in reports)
    lines.append(f"{adapter.config.name} at {adapter.root}: " + (f"{errors} errors" if errors else "OK"))
    return "\n".join(lines)
