"""What every dataset adapter declares: classes, palette, void index, and its (image, label) pairs per split."""

from __future__ import annotations

import colorsys
import functools
import hashlib
import inspect
import json
import os
import re
import traceback
from abc import ABC
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from segbench.data.description import class_name_problem
from segbench.data.readers import (
    IMAGE_SUFFIXES,
    LABEL_SUFFIXES,
    UNREAD_IMAGE_SUFFIXES,
    files_by_stem,
    read_index_png,
    read_rgb,
    write_image,
)
from segbench.errors import ConfigError, DataError, SegbenchError, first_line
from segbench.io import inside, link_to_nothing, walk
from segbench.schema import SPLITS, DatasetConfig, Split


@dataclass(frozen=True)
class Sample:
    """One (image, label) pair; ``id`` names it in errors and figures (the image path where there is one)."""

    id: str
    image: Path | None = None
    label: Path | None = None

    @property
    def name(self) -> str:
        """The id's last part, the file name (the full path is long and machine's own): what keys its per-image
        figures, so that runs on other machines pair image by image."""
        return Path(self.id).name

    @property
    def stem(self) -> str:
        """What a run's files and tables call it (``predictions/``, ``per_image.csv``; ``predict`` too names a
        photo's outputs by its stem): the id's stem, anything but letters, digits, '.', '-' made '_'."""
        return re.sub(r"[^\w.-]", "_", Path(self.id).stem)


@dataclass(frozen=True)
class Problem:
    """A defect found by ``verify``: an error stops the data being used as is, a warning is repaired on load."""

    path: str
    message: str
    severity: str = "error"


def dataset_root(config: DatasetConfig) -> Path:
    """The data's folder: ``dataset.root``, by default ``datasets/<name>`` (relative: to the current folder)."""
    return Path(config.root or Path("datasets") / config.name)


def _listed(list_pairs):
    """``list_pairs`` held to its contract, a list of Samples named by strings, as it returns: a plugin's generator
    (or a list of paths, or ids of ints) was a traceback in `verify` and in a run's loader, which left a folder
    behind. Its own failure is one line, as a ``load`` that raises is, naming where in the plugin it raised."""

    @functools.wraps(list_pairs)
    def checked(self, split):
        named = f"dataset {type(self).__name__}: list_pairs({split!r})"
        try:
            pairs = list_pairs(self, split)
            if not isinstance(pairs, list | tuple | Iterator):
                raise DataError(f"{named} returned {type(pairs).__name__}, not a list of Samples")
            pairs = list(pairs)  # a generator raises only now
        except DataError:
            raise
        except (Exception, SystemExit) as exc:  # the plugin's own code: any error it may raise, or sys.exit()
            if isinstance(exc, OSError) and exc.filename is not None:  # a file's, which the CLI names by its path
                raise
            # An OSError of the plugin's own ("server down") too: it named neither the adapter nor where it was raised.
            raise DataError(f"{named} raised {type(exc).__name__}: {first_line(exc)} ({raised_at(exc, type(self))})"
                            ) from exc
        odd = next((pair for pair in pairs if not isinstance(pair, Sample)), None)
        if odd is not None:
            raise DataError(f"{named} returned a {type(odd).__name__} among its pairs, not a Sample")
        odd = next((pair for pair in pairs if not isinstance(pair.id, str)), None)
        if odd is not None:
            raise DataError(f"{named} returned a Sample whose id is {type(odd.id).__name__} {odd.id!r}, not a str")
        if any(not pair.id.strip() for pair in pairs):  # "two images of one name ()" named no image
            raise DataError(f"{named} returned a Sample whose id is empty; give each pair an id of its own (its "
                            "file's path, say)")
        for what in ("image", "label"):  # a str path was an AttributeError traceback in verify and in a run
            odd = next((pair for pair in pairs if not isinstance(getattr(pair, what), Path | str | None)), None)
            if odd is not None:
                raise DataError(f"{named} returned a Sample whose {what} is {type(getattr(odd, what)).__name__}, not "
                                "a path")
        return [_with_paths(pair) for pair in pairs]

    checked._checked = True
    return checked


def _with_paths(sample: Sample) -> Sample:
    """``sample`` with a path given as text made a ``Path``, as every reader takes it."""
    if isinstance(sample.image, str) or isinstance(sample.label, str):
        return replace(sample, image=None if sample.image is None else Path(sample.image),
                       label=None if sample.label is None else Path(sample.label))
    return sample


def loads_itself(adapter: DatasetAdapter) -> bool:
    """Whether the adapter's ``load`` is its own (a plugin's), not the files read as the base class reads them: its
    values are its code's, which verify checks through it and errors name it by."""
    return type(adapter).load is not DatasetAdapter.load


def raised_at(exc: BaseException, adapter: type) -> str:
    """``file:line`` where ``exc`` left the adapter's own file (the deepest such frame), else where it was raised:
    the line of the plugin to look at, where a library it called raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = inspect.getsourcefile(adapter)
    frame = next((frame for frame in reversed(frames) if frame.filename == own), frames[-1])
    return f"{frame.filename}:{frame.lineno}"


def _declared_problem(declared: dict) -> str | None:
    """What is wrong with the ``classes``, ``palette`` and ``ignore_index`` an adapter's class body declares (a
    plugin's; an adapter that sets them per instance declares none), or None."""
    classes, palette, void = (declared.get(key) for key in ("classes", "palette", "ignore_index"))
    if isinstance(classes, str | bytes):  # "abc" trained as the classes a, b and c
        return f"classes is one {type(classes).__name__}, not a tuple of class names"
    if classes is not None and not hasattr(classes, "__get__") and not isinstance(classes, tuple | list):
        # A set's order follows string hashing: each process numbered the classes its own way.
        return f"classes is a {type(classes).__name__}, not a tuple of class names in label-index order"
    if "palette" in declared and not hasattr(palette, "__get__"):
        # Numpy's integers and arrays count as the numbers they are: a palette computed with numpy (or from a
        # colormap) in __init__ was refused as "not ... of 0..255".
        colours = palette.tolist() if isinstance(palette, np.ndarray) else palette
        colours = colours if isinstance(colours, tuple | list) else None
        if colours is None or not all(isinstance(colour, tuple | list | np.ndarray) and len(colour) == 3 and all(
                isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= value <= 255
                for value in colour) for colour in colours):
            return f"palette {palette!r:.80} is not a tuple of (r, g, b) colours of 0..255 each"
        if isinstance(classes, tuple | list) and len(colours) < len(classes):
            return f"palette has {len(colours)} colours for {len(classes)} classes"
    if "ignore_index" in declared and not (void is None or hasattr(void, "__get__")
                                           or isinstance(void, int | np.integer) and not isinstance(void, bool)
                                           and void >= 0):
        return f"ignore_index {void!r} is not a label value (an int of at least 0) or None"
    return None


def spread_colours(count: int) -> tuple[tuple[int, int, int], ...]:
    """``count`` distinct, saturated colours around the hue circle."""
    return tuple(tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / count, 0.75, 0.95)) for i in range(count))


def _instance_problem(adapter: DatasetAdapter) -> str | None:
    """``_declared_problem`` and the class names' rule, of what an adapter gives per instance (a property, or set in
    its ``__init__``), which its class body does not declare: a set there was a pandas traceback in stats, two
    classes named alike two columns of one name."""
    classes = getattr(adapter, "classes", None)
    if classes is None:
        return "declares no classes (a tuple of class names in label-index order)"
    declared = {"classes": classes, "palette": adapter.palette, "ignore_index": adapter.ignore_index}
    return _declared_problem(declared) or class_name_problem(classes)


class DatasetAdapter(ABC):
    classes: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]  # RGB per class, for figures (see __getattr__ where none is given)
    # The void label, declared here once: a class index (CamVid's Unlabelled, counted by the paper protocol and left
    # out by the standard one) or a value outside the classes (255: "don't care", left out by both). The loss skips
    # it unless ``train.ignore_index`` says otherwise (see ``loss_void``).
    ignore_index: int | None = None
    layout: ClassVar[str] = ""  # where the adapter expects its files, for `segbench datasets list`
    resizes_mismatched_labels: ClassVar[bool] = False  # a known defect that ``align`` repairs on purpose
    source: ClassVar[str] = ""  # where to get the data, for `segbench datasets prepare`
    # Whose frames a report's figures show, and on what terms: the report prints it under every figure.
    credit: ClassVar[str | None] = None
    url: ClassVar[str | None] = None  # a public download, if there is one
    sha256: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        # An adapter's own class names (a plugin's) are held to a class file's rule: two alike made one column of
        # the tables, holding the later class's IoU. Refused as it is defined, so a plugin's import names its file.
        super().__init_subclass__(**kwargs)
        problem = _declared_problem(cls.__dict__)
        if problem:
            raise ConfigError(f"dataset {cls.__name__}: {problem}")
        if isinstance(cls.__dict__.get("ignore_index"), np.integer):  # JSON (metrics.json, digests) takes no numpy int
            cls.ignore_index = int(cls.__dict__["ignore_index"])
        problem = class_name_problem(cls.__dict__["classes"]) if isinstance(cls.__dict__.get("classes"), tuple | list) \
            else None
        if problem:
            raise ConfigError(f"dataset {cls.__name__}: {problem}")
        # Wherever it was defined: one a mixin gave, or an adapter of the user's inherited, escaped the check.
        found = getattr(cls, "list_pairs", None)
        if callable(found) and not getattr(found, "__isabstractmethod__", False) and not hasattr(found, "_checked"):
            cls.list_pairs = _listed(found)

        # And what an instance gives, once the most derived class's __init__ is done: properties and attributes set
        # there escaped the check above. A plugin's only: a bundled adapter's come from checked class files.
        init = cls.__init__
        if not cls.__module__.startswith("segbench."):
            @functools.wraps(init)
            def checked(self, *args, **kwargs):
                try:
                    init(self, *args, **kwargs)
                except SegbenchError:
                    raise
                except (Exception, SystemExit) as exc:  # the plugin's own set-up: a traceback in run, verify, stats
                    if isinstance(exc, OSError) and exc.filename is not None:  # a file's: the CLI names its path
                        raise
                    raise DataError(f"dataset {cls.__name__}: __init__ raised {type(exc).__name__}: "
                                    f"{first_line(exc)} ({raised_at(exc, cls)})") from exc
                problem = _instance_problem(self) if type(self) is cls else None
                if problem:
                    raise ConfigError(f"{inspect.getsourcefile(cls)}: dataset {cls.__name__}: {problem}")
                if type(self) is cls and isinstance(self.ignore_index, np.integer):
                    # As a Python int: an np.int64 void ended `run` in json's "not JSON serializable" traceback.
                    try:
                        self.ignore_index = int(self.ignore_index)
                    except AttributeError:  # a property's: it says what it returns
                        raise ConfigError(f"{inspect.getsourcefile(cls)}: dataset {cls.__name__}: ignore_index is "
                                          f"numpy's {type(self.ignore_index).__name__}; return a Python int") from None

            cls.__init__ = checked

    def __init__(self, config: DatasetConfig):
        self.config = config

    def __getattr__(self, name: str):
        # Only what neither the instance nor its class has: an adapter (a plugin's) that gives no palette trained,
        # and then predict and show ended in an AttributeError. Its figures get colours spread around the hue circle.
        if name == "palette":
            return spread_colours(self.num_classes)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def decoding(self) -> dict:
        """What turns a label file into classes, as data: ``metrics.json`` records its digest, so that a label
        decoding changed since a run (a class file's mapping, palette or void edited) is noticed where the run's
        figures are repeated or skipped as finished. Adapters that decode by code of their own add nothing here."""
        return {"classes": list(self.classes), "void": self.ignore_index}

    def decoding_sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.decoding(), sort_keys=True).encode()).hexdigest()

    def data_record(self) -> dict:
        """What a run records of the data it read (``metrics.json``, and the checkpoint a resume continues), which
        :func:`segbench.rundir.data_record_changes` compares: one config can read other data from another folder
        (a relative root) or after a class file's edit. The root only where it is a folder: a dataset drawn in
        memory (the synthetic one) reads none, from wherever it is run."""
        return {"classes": list(self.classes), "ignore_index": self.ignore_index,
                "decoding_sha256": self.decoding_sha256(),
                "dataset_root": str(self.root.resolve()) if self.root.is_dir() else None}

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def root(self) -> Path:
        return dataset_root(self.config)

    image_suffix: ClassVar[str] = ".jpg"  # as the release stores them (what `datasets imitate` writes)
    label_suffix: ClassVar[str] = ".png"

    def folders(self, split: Split) -> tuple[Path, Path] | None:
        """The (images, labels) folders whose same-stem files make the pairs of ``split``; None where the pairs
        come from elsewhere (a list file, a generator)."""
        return None

    def list_pairs(self, split: Split) -> list[Sample]:
        """Every pair of ``split``, in a fixed order (empty where the dataset has no such split)."""
        folders = self.folders(split)
        if folders is None:
            raise NotImplementedError(f"{type(self).__name__} lists its pairs without folders")
        images, labels = folders
        label_files = files_by_stem(labels, LABEL_SUFFIXES)
        # An image without a label keeps the path of the missing file, so reading it (or verify) names it.
        return [Sample(id=str(path), image=path, label=label_files.get(stem, labels / f"{stem}{self.label_suffix}"))
                for stem, path in files_by_stem(images).items()]

    def unclaimed_labels(self, split: Split) -> list[Path]:
        """Label files in the split's label folder that no image claims (for ``verify``)."""
        images, labels = self.folders(split)
        claimed = set(files_by_stem(images))
        return [path for stem, path in files_by_stem(labels, LABEL_SUFFIXES).items() if stem not in claimed]

    def has_split(self, split: Split) -> bool:
        """Whether the dataset has such a split at all (``datasets imitate`` writes none it has not)."""
        return True

    def lists(self, split: Split) -> Path | None:
        """The list file that names the pairs of ``split``, where one does (``datasets imitate`` writes it)."""
        return None

    def load(self, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
        """(RGB uint8 image of shape HxWx3, label of class indices of shape HxW) at native resolution."""
        return self.align(read_rgb(sample.image), self.read_label(sample.label))

    def read_label(self, path: Path) -> np.ndarray:
        """The label file as class indices, before any repair."""
        return read_index_png(path)

    def write_label(self, path: Path, label: np.ndarray) -> None:
        """``label`` (class indices) in this dataset's label format: what ``read_label`` reads back."""
        write_image(path, label)

    def align(self, image: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where a dataset has known defects that are safe to repair, the repair (default: none)."""
        return image, label

    def label_problems(self, sample: Sample) -> list[Problem]:
        """Defects of a label file beyond what the generic checks see (default: none)."""
        return []

    def left_out(self) -> list[Problem]:
        """Warnings of the pairs on disk that no split takes (those a split file drawn before they were added does
        not name), for verify (default: none; every pair of a folder is in its split)."""
        return []

    @classmethod
    def find_parts(cls, unpacked: Path) -> list[tuple[Path, str]]:
        """In an unpacked archive, the folders of this dataset and where each goes under the root ("." for the
        root itself); empty when the archive holds none."""
        return []

    def samples(self, split: Split) -> list[Sample]:
        """The pairs of ``split``, cut to the first ``dataset.subset`` when that is set."""
        pairs = self.whole_split(split)
        return pairs[: self.config.subset] if self.config.subset else pairs

    def whole_split(self, split: Split) -> list[Sample]:
        """Every pair of ``split`` as the verbs that read it take it (verify lists it itself, to say every problem):
        each of one name, and no image of the split's folder left out for a format not read (run, stats and show
        left its pair out without a word, where verify named it: probe 20a case 6)."""
        pairs = self.list_pairs(split)
        named_once(pairs)
        unread = self.unread_images(split, pairs)
        if unread:
            more = f" (and {len(unread) - 1} more: `segbench datasets verify` names each)" if len(unread) > 1 else ""
            raise DataError(f"{unread[0]}: {unread_said(split)}{more}")
        return pairs

    def unread_images(self, split: Split, pairs: list[Sample]) -> list[Path]:
        """Files of the split's image folder (and below it) in an image format segbench does not read, of a name no
        pair's image has: each would be left out of the split."""
        folders = self.folders(split)
        if folders is None:  # pairs from a list file or a plugin's code: what is not listed is not in the split
            return []
        read = {os.path.splitext(pair.image)[0] for pair in pairs if pair.image is not None}
        return [path for path in sorted(top / name for top, _, files in walk(folders[0]) for name in files)
                if path.suffix.lower() in UNREAD_IMAGE_SUFFIXES and os.path.splitext(path)[0] not in read]


def unread_said(split: Split) -> str:
    """What is wrong with an image of a format not read, wherever it is told."""
    return (f"not read: images are read from {', '.join(IMAGE_SUFFIXES)} files, so this one is left out of the {split} "
            "split; convert it (and its label) to one of them")


def named_once(pairs: list[Sample]) -> None:
    """Refuse two pairs of one name (a/x.png and b/x.png, "img 0.png" beside "img_0.png"): per_image.csv and the
    kept predictions name images by it, so one row stood for two images and one prediction overwrote the other."""
    seen: dict[str, Sample] = {}
    for sample in pairs:
        if sample.stem in seen:
            raise DataError(f"{sample.image or sample.id} and {seen[sample.stem].image or seen[sample.stem].id}: two "
                            f"images of one name ({sample.stem}) in a split, which a run's files name them by; rename "
                            "one")
        seen[sample.stem] = sample


def shared_images(first: str, earlier: list[Sample], second: str, later: list[Sample]) -> Problem | None:
    """An image of split ``second`` that split ``first`` holds too (a split file or pair list naming it in both, one
    folder given for both), or None: a score on images trained on, or the best epoch picked on the images it is
    scored on, is a figure that looks right and is not. Paths are compared resolved, so a linked folder counts."""
    held = {sample.image.resolve() for sample in earlier if sample.image is not None}
    shared = [sample for sample in later if sample.image is not None and sample.image.resolve() in held]
    if not shared:
        return None
    harm = "a score of images trained on" if first == "train" else "the best epoch is picked on the images it scores"
    return Problem(str(shared[0].image), f"in {first} and {second} ({len(shared)} of {second}'s {len(later)} "
                                         f"images): {harm}; give each image one split",
                   "error" if first == "train" else "warning")


def evenly_spaced(samples: list[Sample], count: int) -> list[Sample]:
    """``count`` samples spread over the whole split rather than its first frames."""
    if len(samples) <= count:
        return samples
    return [samples[i] for i in np.linspace(0, len(samples) - 1, count).round().astype(int)]


def refuse_out_in_the_data(adapter: DatasetAdapter, out: Path, verb: str) -> None:
    """Refuse an ``--out`` at or inside the dataset's root or one of its split folders (kept elsewhere by a class
    file, or linked in), where named or where it leads: the files written there joined the dataset as images of
    its own, or replaced some (`datasets show --out dsA/images/test/img0.png`, `predict --out` a split folder)."""
    folders = [folder for split in SPLITS for folder in _data_folders(adapter, split)]
    # A linked subfolder of a split (a city on another disk) is read as part of it, so its target is data too.
    places = [*folders, *(linked for folder in folders for linked in _linked_below(folder))]
    data = next((place for place in places if place.is_dir() and inside(out, place)), None)
    if data is not None:
        root = data == Path(adapter.root)
        raise DataError(f"{out}: lies inside {'the dataset root' if root else 'the data folder'} {data} of "
                        f"{adapter.config.name}, whose files {verb} would join or write over; give --out a place "
                        "outside the data")


def _data_folders(adapter: DatasetAdapter, split: Split) -> list[Path]:
    """The folders ``split``'s files are read from: its images and labels folders, else (a list file, a plugin's
    pairs) the folders its pairs' files are in, else the root where they cannot be listed. Not the root itself
    where the splits are folders in it: `results/` beside `images/` and `annotations/` in one project folder (a
    dataset of `root: .`) was refused, though nothing written there joins a split."""
    folders = adapter.folders(split)
    if folders is not None:
        return list(folders)
    try:
        pairs = adapter.list_pairs(split)
    except DataError:
        return [Path(adapter.root)]
    return list(dict.fromkeys(path.parent for pair in pairs for path in (pair.image, pair.label) if path is not None))


def _linked_below(folder: Path) -> list[Path]:
    """The folders that links below ``folder`` lead to."""
    return [(top / child).resolve() for top, children, _ in walk(folder) for child in children
            if (top / child).is_symlink()]


def require_folder(adapter: DatasetAdapter) -> None:
    """Stop with one line saying where the data should be when the dataset root does not exist."""
    if not adapter.root.is_dir():
        dangling = link_to_nothing(adapter.root)  # "no such folder" of a link `ls` shows
        raise DataError(f"{adapter.root}: {dangling or 'no such folder'} ({adapter.config.name} expects "
                        f"{adapter.layout}; see `segbench datasets prepare {adapter.config.name}`)")


def loss_void(adapter: DatasetAdapter, setting: int | str | None) -> int | None:
    """The label the loss skips, from the dataset's void label and ``train.ignore_index`` (``"void"``: that label;
    None: none, every class learnt; a number: it must be the void label, so that loss and metrics cannot disagree)."""
    void, name, classes = adapter.ignore_index, adapter.config.name, adapter.num_classes
    if setting == "void":
        return void
    if setting is None:
        if void is not None and not 0 <= void < classes:
            raise ConfigError(f"train.ignore_index: null asks the loss to learn every label, but {name}'s void label "
                              f"{void} is not one of its {classes} classes; set it to void (the default)")
        return None
    if setting != void:
        declared = f"void label is {void}" if void is not None else "has no void label"
        raise ConfigError(f"train.ignore_index: {setting} disagrees with {name}, whose {declared}; the dataset "
                          "declares its void label (void, the default, follows it; null learns every class)")
    return setting


def check_class_weights(adapter: DatasetAdapter, setting: str | list[float]) -> None:
    """A list of class weights holds one weight per class of the dataset."""
    if isinstance(setting, list) and len(setting) != adapter.num_classes:
        raise ConfigError(f"train.class_weights: {len(setting)} weights for the {adapter.num_classes} classes of "
                          f"{adapter.config.name}")
