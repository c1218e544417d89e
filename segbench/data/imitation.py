"""Synthetic scenes written in a real dataset's exact on-disk format: its folders, file names, image and label
encodings. CI and new users run every paper config through the real adapter code without the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segbench.data.base import DatasetAdapter
from segbench.data.readers import write_image
from segbench.data.synthetic import VOID, draw_scene
from segbench.errors import DataError
from segbench.io import lies_under, os_reason, staging_folder, write_text
from segbench.lock import locked
from segbench.schema import SPLITS

STAGING = ".imitating"  # a fixed name, so that the one a killed imitate left behind is found and removed by the next


def imitate(adapter: DatasetAdapter, counts: dict[str, int], size: tuple[int, int], seed: int = 0) -> int:
    """Write ``counts[split]`` pairs of ``size`` (height, width) per split under ``adapter.root``; returns how many.

    Splits that share folders (a dataset that draws its own val, or cuts one folder by number) get their sum; the
    adapter's own split rule then divides them. A split named by a list file gets pairs of its own and its list:
    their keys where the split has folders to find them in, else 'IMAGE LABEL' paths."""
    groups: dict[tuple, list] = {}  # (images, labels[, split]) -> [count, the split whose list names them]
    for split in filter(adapter.has_split, SPLITS):
        folders, listing = adapter.folders(split), adapter.lists(split)
        if folders is None and listing is not None:  # a list of paths: any folders will do
            folders = (adapter.root / split / "images", adapter.root / split / "labels")
        if folders is None:
            raise DataError(f"{adapter.root}: {adapter.config.name} lists its {split} pairs from files, not "
                            "folders; cannot imitate it")
        key = folders + ((split,) if listing is not None else ())
        groups.setdefault(key, [0, split if listing is not None else None])[0] += counts.get(split, 0)
    for folder in sorted({f for key in groups for f in key[:2]}):  # in one order: the first named is the same
        # Staged under the root and moved in: a folder outside it (../escape/images) was written elsewhere than the
        # class file reads, every split then empty.
        if not lies_under(folder, adapter.root):
            raise DataError(f"{folder}: lies outside the root {adapter.root}; imitate writes a dataset under its root")
        if folder.is_dir() and any(folder.iterdir()):
            raise DataError(f"{folder}: holds files already; imitate writes into an empty root only")
    root = adapter.root
    made = not root.exists()
    try:
        # Written into a staging folder and moved into the root once whole, as `datasets prepare` unpacks: an
        # interrupted imitate leaves nothing the next one refuses, nor a half dataset that `verify` finds wanting.
        with locked(root, "dataset root"), staging_folder(root / STAGING) as staging:
            written = _write(adapter, groups, size, seed, lambda path: staging / _relative(root, path))
            for child in sorted(staging.iterdir()):
                _move_into(child, root / child.name)
    except OSError as exc:
        # The file it failed on was in the staging folder, removed since: name the root and what it was writing.
        staged = Path(exc.filename) if exc.filename else None
        where = f" while writing {staged.relative_to(root / STAGING)}" if staged and staged.is_relative_to(
            root / STAGING) else ""
        raise DataError(f"{root}: {os_reason(exc)}{where}; nothing was left there, imitate again once that is "
                        "fixed") from None
    finally:
        if made and root.is_dir() and not any(root.iterdir()):
            root.rmdir()  # a root it made and could not fill is not left to be mistaken for a dataset's
    return written


def _write(adapter: DatasetAdapter, groups: dict, size: tuple[int, int], seed: int, staged) -> int:
    mapping = class_mapping(adapter)
    written = 0
    for (images, labels, *_), (count, listed) in groups.items():
        lines = []
        for _ in range(count):
            written += 1
            image, scene = draw_scene(list(size), (seed, written))
            stem = f"image{written}"  # trailing numbers: what Sitting's split orders by
            image_path, label_path = images / f"{stem}{adapter.image_suffix}", labels / f"{stem}{adapter.label_suffix}"
            write_image(staged(image_path), image)
            adapter.write_label(staged(label_path), mapping[scene])
            by_key = adapter.folders(listed) is not None if listed else True
            lines.append(stem if by_key else f"{image_path.relative_to(adapter.root)} "
                                             f"{label_path.relative_to(adapter.root)}")
        if listed:
            write_text(staged(adapter.lists(listed)), "".join(f"{line}\n" for line in lines))
    return written


def _relative(root: Path, path: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        raise DataError(f"{path}: outside the dataset root {root}; imitate writes under the root only") from None


def _move_into(source: Path, target: Path) -> None:
    """``source`` renamed to ``target``, or its contents into ``target`` where that folder exists (empty of files:
    checked before anything was written)."""
    if not target.exists():
        source.rename(target)
        return
    for child in sorted(source.iterdir()):
        _move_into(child, target / child.name)
    source.rmdir()


def class_mapping(adapter: DatasetAdapter) -> np.ndarray:
    """Synthetic class -> dataset class: the four scene classes spread over the dataset's real classes, and the
    outlines on its void class (on its first class where it has none)."""
    real = [c for c in range(adapter.num_classes) if c != adapter.ignore_index]
    spread = [real[i] for i in np.linspace(0, len(real) - 1, VOID).round().astype(int)]
    void = adapter.ignore_index if adapter.ignore_index is not None else spread[0]
    values = [*spread, void]
    return np.array(values, np.uint8 if max(values) < 256 else np.uint16)  # the classes above 255 too, not the void only
