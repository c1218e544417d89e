"""Checks of every pair of a dataset on disk: files present, intact and matched, sizes equal, labels in range."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from segbench.data.base import DatasetAdapter, Problem, Sample, loads_itself, named_once, shared_images, unread_said
from segbench.data.pairs import missing_said, out_of_range, out_of_range_message, read_pair, sizes_differ
from segbench.data.readers import (
    IMAGE_SUFFIXES,
    check_intact,
    read_rgb,
    unread_beside,
)
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
            # The synthetic scenes; a plugin's pairs without files are read through its load (its mistakes were
            # found only once a run had started, probe 19b case 18).
            if any(sample.image is None for sample in samples) and type(adapter).__module__.startswith("segbench."):
                raise DataError(f"{adapter.config.name}: drawn in memory, it has no files to verify")
            report = SplitReport(split, pairs=len(samples))
            if not samples:  # an empty root, or another dataset's folder, holds no pairs: not "OK"
                report.problems.append(missing_split(adapter, split))
            for found in pool.map(lambda sample: check_pair(adapter, sample), samples):
                report.problems += found
            report.problems += unmatched_labels(adapter, split, samples)
            report.problems += unread_images(adapter, split, samples)
            reports.append(report)
    for report in reports:
        report.problems += overlaps(listed, report.split)
    if reports and reports[0].split == "train":  # told with the split they were meant for, most likely
        reports[0].problems += adapter.left_out()
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


def check_pair(adapter: DatasetAdapter, sample: Sample) -> list[Problem]:
    if sample.image is None or sample.label is None:  # a plugin's pair of no files: what its load returns
        return _loaded_problems(adapter, sample)
    problems = [Problem(str(path), missing_said(what, path) if why == "missing" else f"{what} {why}")
                for what, path in (("image", sample.image), ("label", sample.label))
                if path.suffix.lower() in IMAGE_SUFFIXES and (why := check_intact(path))]
    if not sample.label.exists() and sample.label.suffix.lower() not in IMAGE_SUFFIXES:
        problems.append(Problem(str(sample.label), missing_said("label", sample.label)))
    if problems:
        return problems
    if loads_itself(adapter):
        # A plugin's own load, which a run reads through, alone: it may decode what the files hold (stored 0/10/20
        # read as classes 0/1/2), which segbench's reader called out of range in every sound file.
        return _loaded_problems(adapter, sample)
    try:
        image, label = read_rgb(sample.image), adapter.read_label(sample.label)
    except DataError as exc:
        path, _, message = str(exc).partition(": ")
        return [Problem(path, message)]
    if label.shape != image.shape[:2]:
        sizes = sizes_differ(image, label)
        if adapter.resizes_mismatched_labels:
            problems.append(Problem(str(sample.label), f"{sizes}: resized to the image", "warning"))
        else:
            problems.append(Problem(str(sample.label), sizes))
    bad = out_of_range(label, adapter.num_classes, adapter.ignore_index)
    if bad:
        problems.append(Problem(str(sample.label), out_of_range_message(bad, adapter.num_classes)))
    return problems + adapter.label_problems(sample)


def _loaded_problems(adapter: DatasetAdapter, sample: Sample) -> list[Problem]:
    """What the pair read through the adapter's own load breaks of segbench's contract (read_pair's checks), else
    the adapter's own label checks."""
    try:
        read_pair(adapter, sample)
    except DataError as exc:
        path, _, message = str(exc).partition(": ")
        return [Problem(path, message)]
    return adapter.label_problems(sample)


def unmatched_labels(adapter: DatasetAdapter, split: str, samples: list[Sample]) -> list[Problem]:
    """Label files of the split's label folder that no image claims (reported with the first split they
    belong to, since SUIM's train and val share one folder)."""
    folders = adapter.folders(split)
    if folders is None or any(adapter.folders(s) == folders for s in SPLITS[:SPLITS.index(split)]):
        return []
    images, labels = folders
    return [Problem(str(path), "label without an image" + (unread_beside(images / path.relative_to(labels),
                                                                          IMAGE_SUFFIXES, "images")
                                                            if path.is_relative_to(labels) else ""))
            for path in adapter.unclaimed_labels(split)]


def unread_images(adapter: DatasetAdapter, split: str, samples: list[Sample]) -> list[Problem]:
    """Images in a format not read that the split's folder holds, told with the first split of the folder; those
    whose label is there are named by "label without an image (b.tif there: ...)" already."""
    folders = adapter.folders(split)
    if folders is None or any(adapter.folders(s) == folders for s in SPLITS[:SPLITS.index(split)]):
        return []
    images, labels = folders
    told = {os.path.splitext(images / path.relative_to(labels))[0] for path in adapter.unclaimed_labels(split)
            if path.is_relative_to(labels)}
    return [Problem(str(path), unread_said(split)) for path in adapter.unread_images(split, samples)
            if os.path.splitext(path)[0] not in told]


def render(adapter: DatasetAdapter, reports: list[SplitReport]) -> str:
    """One line per problem (severity, file, what), then a count per split and a verdict."""
    lines = [one_line(f"{'ERROR' if p.severity == 'error' else 'WARN '} {p.path}: {p.message}")  # a name's "\n"
             for report in reports for p in report.problems]
    lines += [f"{r.split}: {r.pairs} pairs, {r.count('error')} errors, {r.count('warning')} warnings" for r in reports]
    errors = sum(r.count("error") for r in reports)
    lines.append(f"{adapter.config.name} at {adapter.root}: " + (f"{errors} errors" if errors else "OK"))
    return "\n".join(lines)
