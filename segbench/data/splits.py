"""Split files: a dataset without official train/val/test lists gets one made once, written beside the data and
read from then on, so every run sees the same split and a user may replace it with their own lists."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from segbench.data.base import DatasetAdapter, Problem, Sample
from segbench.data.readers import read_text_file
from segbench.errors import DataError
from segbench.io import write_json
from segbench.schema import SPLITS, DatasetConfig, PathText

SPLIT_FILE = "segbench-split.json"


class SplitFileConfig(DatasetConfig):
    """Keys of a dataset whose split lives in a split file."""

    split_file: PathText | None = Field(None, description=f"default: <root>/{SPLIT_FILE}")


def path_of(adapter: DatasetAdapter) -> Path:
    """The adapter's split file: ``dataset.split_file``, else the one in the dataset root."""
    return Path(adapter.config.split_file) if adapter.config.split_file else adapter.root / SPLIT_FILE


def load_or_make(path: Path, make: Callable[[], dict[str, list[str]]]) -> dict[str, list[str]]:
    """The split stored at ``path``; made by ``make`` and stored there first when the file does not exist.

    A read-only dataset folder keeps no file: ``make`` is deterministic, so every run makes the same split.
    """
    if path.exists():
        return read(path)
    split = make()
    try:
        write_json(path, split)
    except OSError:
        pass
    return split


def read(path: Path) -> dict[str, list[str]]:
    try:
        split = json.loads(read_text_file(path, "no such split file"))
    except ValueError as exc:
        raise DataError(f"{path}: not a readable split file ({exc})") from None
    if not isinstance(split, dict) or not all(isinstance(split.get(s, []), list) for s in SPLITS):
        raise DataError(f"{path}: a split file maps train/val/test to lists of file stems")
    unknown = sorted(set(split) - set(SPLITS))
    if unknown:
        raise DataError(f"{path}: unknown split {', '.join(unknown)} (use train, val, test)")
    stems = {s: [str(stem) for stem in split.get(s, [])] for s in SPLITS}
    for name, listed in stems.items():
        # Said here: the pairs' own check saw one image twice and called it "x.jpg and x.jpg: two images of one name".
        twice = [stem for stem, count in Counter(listed).items() if count > 1]
        if twice:
            raise DataError(f"{path}: {name} lists {twice[0]} twice; each image once")
    return stems


def select(pairs: list[Sample], stems: list[str], path: Path, split: str) -> list[Sample]:
    """The pairs named by ``stems``, the split file ``path``'s ``split``, in its order. A stem that names no image
    is refused: skipped, a split shorter than its file was trained and scored without a word (verify said OK)."""
    if not stems and pairs and split != "val":  # "no test pairs; sitting expects ..." blamed a layout that was met
        raise DataError(f"{path}: {split} names no images (of the {len(pairs)} there), so there is nothing to "
                        f"{'train on' if split == 'train' else 'score'}; list some, or delete the file to draw the split "
                        "again")
    by_stem = {sample.image.stem: sample for sample in pairs}
    missing = [stem for stem in stems if stem not in by_stem]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataError(f"{path}: {split} names {missing[0]}{more}, which is no image of the dataset; name each image "
                        "by its file's stem (image12 for image12.jpg), or delete the file to draw the split again")
    return [by_stem[stem] for stem in stems]


def left_out(pairs: list[Sample], split: dict[str, list[str]], path: Path) -> list[Problem]:
    """A warning for each of ``pairs`` (all the dataset's split file divides) that the split file ``path`` names in
    no split: images added after it was drawn are used nowhere, and verify said OK (probe 22a case 7)."""
    named = {stem for stems in split.values() for stem in stems}
    return [Problem(str(pair.image), f"in no split: {path} names it in none of its lists, so no run uses it; add "
                                     "its stem to one, or delete the file to draw the split again (one segbench "
                                     "drew)", "warning")
            for pair in pairs if pair.image.stem not in named]
