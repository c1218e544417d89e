"""A dataset described in data: its classes, palette, void label, label encoding and folder layout, in a class
file (YAML) beside the data or in the config's ``dataset`` section, so that a dataset of one's own needs no code.

The same schema describes the bundled datasets that follow a common layout (Cityscapes, ADE20K, Pascal VOC), so a
user's class file is written exactly like theirs. Example ``classes.yaml``::

    classes: [road, sidewalk, building]
    palette: [[128, 64, 128], [244, 35, 232], [70, 70, 70]]
    void: 255                      # a class index, or a value outside the classes ("don't care")
    mapping: {7: 0, 8: 1, 11: 2}   # label value -> class index; values it leaves out are void
    image_suffix: _leftImg8bit.png # pairs <key>_leftImg8bit.png with <key>_gtFine_labelIds.png, in nested folders
    label_suffix: _gtFine_labelIds.png
    train: {images: leftImg8bit/train, labels: gtFine/train}
    test: {images: leftImg8bit/val, labels: gtFine/val}
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from segbench.errors import DataError, one_line
from segbench.io import link_to_nothing, not_a_file
from segbench.schema import SPLITS, Section
from segbench.yamlsafe import load_checked, problem_words, yaml_problem

CLASS_FILE = "classes.yaml"  # looked for in the dataset root when no dataset.class_file is named
# Where a description names no split: the folder adapter's layout since its first version.
DEFAULT_LAYOUT = {"train": {"images": "images", "labels": "annotations"}}
MAX_LABEL = 65535  # label files are 8- or 16-bit images

Colour = Annotated[list[Annotated[int, Field(ge=0, le=255)]], Field(min_length=3, max_length=3)]
LabelValue = Annotated[int, Field(ge=0, le=MAX_LABEL)]


class SplitLayout(Section):
    """Where one split's pairs are: an images and a labels folder under the root, searched recursively and paired
    by key (the path below the folder, less the suffix), or a list file under the root whose lines are
    ``IMAGE LABEL`` (paths under the root) or ``KEY`` (found in the two folders)."""

    images: str | None = None
    labels: str | None = None
    list: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # [images, labels], as the folder adapter has always taken them.
        if isinstance(value, list):
            if len(value) != 2:
                raise ValueError("a split is [images folder, labels folder] or {images, labels, list}")
            return {"images": value[0], "labels": value[1]}
        return value

    @model_validator(mode="after")
    def _complete(self) -> SplitLayout:
        if self.list is None and (self.images is None or self.labels is None):
            raise ValueError("a split names its images and labels folders, or a list file")
        if (self.images is None) != (self.labels is None):
            raise ValueError("a split names both its images and labels folders, or neither")
        return self


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt) beyond the format characters (Cf): drawn as
# nothing (variation selectors, the combining grapheme joiner, Hangul fillers), so "bg\ufe0f" reads as "bg".
IGNORABLE = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
             (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
             (0xE0000, 0xE0FFF))
BLANK = {0x2800}  # BRAILLE PATTERN BLANK: a symbol that is drawn as a space


def _as_read(name: str) -> str:
    """A class name as a reader sees it: compatibility forms folded (NFKC), what is drawn as nothing dropped
    (format characters such as the zero-width space and soft hyphen, and the other default-ignorable code points),
    blanks and spaces collapsed, case set aside."""
    folded = "".join(" " if ord(c) in BLANK else c for c in unicodedata.normalize("NFKC", name)
                     if unicodedata.category(c) != "Cf" and not any(lo <= ord(c) <= hi for lo, hi in IGNORABLE))
    return " ".join(folded.split()).casefold()


def class_name_problem(classes) -> str | None:
    """Why ``classes`` cannot name a table's columns (two alike, or one without a name), or None. Tables, CSVs and
    figures name a class's column by its name: two of one name showed one column, holding the later class's IoU,
    and the earlier class was gone. Told apart as a reader tells them: "bg", "bg ", "BG", a full-width "ｂｇ" and
    "b\u200bg" read as one name, and "" or an invisible character alone as none."""
    seen: dict[str, int] = {}
    for index, name in enumerate(classes):
        key = _as_read(name) if isinstance(name, str) else ""
        if not key:
            return f"class {index} has no name ({name!r}); each class needs a name of its own"
        if isinstance(name, str) and one_line(name) != name:  # a newline broke every table's header in two
            return f"class {index}'s name {name!r} holds a control character (a newline, a tab); name it on one line"
        if key in seen:
            return (f"{classes[seen[key]]!r} and {name!r} name classes {seen[key]} and {index} alike; each class needs "
                    "a name of its own")
        seen[key] = index
    return None


class DescriptionKeys(Section):
    """Every key of a description, each optional: what a config's ``dataset`` section may give or override."""

    classes: list[str] | None = Field(None, description="class names in label-index order")
    palette: list[Colour] | None = Field(None, description="RGB per class, for figures and RGB labels")
    void: LabelValue | None = Field(None, description="the void label: a class index, or a value such as 255")
    void_colour: Colour | None = Field(None, description="RGB labels: the colour of a void outside the classes")
    mapping: dict[LabelValue, LabelValue] | None = Field(
        None, description="label value -> class index (e.g. Cityscapes' ids -> train ids); values left out are void")
    labels: Literal["index", "rgb"] | None = Field(
        None, description="index: pixel values are classes (default); rgb: colours of the palette")
    off_palette: Literal["error", "nearest", "void"] | None = Field(
        None, description="RGB labels: a colour outside the palette is an error (default), the nearest, or void")
    image_suffix: str | None = Field(None, description="an image file's name ends so (e.g. _leftImg8bit.png)")
    label_suffix: str | None = Field(None, description="a label file's name ends so (e.g. _gtFine_labelIds.png)")
    train: SplitLayout | None = None
    val: SplitLayout | None = None
    test: SplitLayout | None = None

    @field_validator("classes")
    @classmethod
    def _one_name_a_class(cls, classes: list[str] | None) -> list[str] | None:
        problem = class_name_problem(classes or [])
        if problem:
            raise ValueError(problem)
        return classes


class Description(DescriptionKeys):
    """A complete description, checked as a whole."""

    classes: list[str] = Field(min_length=1)
    labels: Literal["index", "rgb"] = "index"
    off_palette: Literal["error", "nearest", "void"] = "error"

    @model_validator(mode="after")
    def _consistent(self) -> Description:
        count = len(self.classes)
        if self.palette is not None and len(self.palette) != count:
            raise ValueError(f"palette has {len(self.palette)} colours for {count} classes")
        targets = set(range(count)) | ({self.void} if self.void is not None else set())
        strays = sorted(set((self.mapping or {}).values()) - targets)
        if strays:
            raise ValueError(f"mapping sends labels to {strays[0]}, which is neither one of the {count} classes nor "
                             "the void label")
        if self.labels == "rgb":
            if self.palette is None:
                raise ValueError("labels: rgb decodes colours through the palette: give one colour per class")
            if self.void is not None and self.void >= count and self.void_colour is None:
                raise ValueError(f"labels: rgb with void {self.void} outside the classes needs void_colour")
            if self.off_palette == "void" and self.void is None:
                raise ValueError("off_palette: void needs a void label")
            if self.mapping is not None:
                raise ValueError("mapping maps label values; RGB labels are decoded through the palette instead")
            clash = self._colour_clash()
            if clash:
                raise ValueError(clash)
        elif self.void_colour is not None or self.off_palette != "error":
            raise ValueError("void_colour and off_palette are for labels: rgb")
        if not any((self.train, self.val, self.test)):
            raise ValueError("no split: give train, val or test")
        return self

    def _colour_clash(self) -> str | None:
        """Two label values of one colour: a colour decodes to one value, so the other was never read (verify OK)."""
        owner: dict[tuple[int, ...], int] = {}
        for index, colour in enumerate(self.palette or []):
            if (first := owner.setdefault(tuple(colour), index)) != index:
                return (f"palette gives {self.classes[first]!r} and {self.classes[index]!r} one colour "
                        f"{tuple(colour)}; RGB labels need a colour of its own per class")
        clashed = owner.get(tuple(self.void_colour)) if self.void_colour is not None else None
        if clashed is not None and clashed != self.void:  # a void that is a class may share its colour
            return (f"void_colour {tuple(self.void_colour)} is the colour of {self.classes[clashed]!r} too; the void "
                    "needs a colour of its own")
        return None

    @property
    def label_values(self) -> int:
        """How many label values a label may hold after decoding: the classes, and a void beyond them."""
        return max(len(self.classes), (self.void or 0) + 1)


def load(class_file: Path | None, given: dict[str, Any], default: Path) -> tuple[Description, Path | None]:
    """The description from ``class_file`` (else ``default`` where it exists) with the config's ``given`` keys over
    it, and the file it came from; an error is one line naming the file or the config key."""
    # A default class file that is there but no file (a FIFO, a folder) is read to say so, not taken for none.
    path = class_file or (default if default.exists() or default.is_symlink() else None)
    found = _read(path) if path is not None else {}
    if path is None and "classes" not in given and not default.parent.is_dir():  # the root itself, not its file
        raise DataError(f"{default.parent}: {link_to_nothing(default.parent) or 'no such folder'} (dataset.root)")
    if path is None and "classes" not in given:
        raise DataError(f"{default}: no class file, and the config names no dataset.classes (or num_classes); "
                        f"write one (see `segbench datasets list`) or name it with dataset.class_file")
    merged = {**found, **given}
    if not any(split in merged for split in SPLITS):
        merged.update(DEFAULT_LAYOUT)
    try:
        return Description.model_validate(merged), path
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(str(part) for part in error["loc"])
        message = {"extra_forbidden": "unknown key", "missing": "missing"}.get(error["type"]) or problem_words(error)
        key = ".".join(loc)
        where = f"dataset.{key}" if loc and loc[0] in given else f"{path or 'dataset'}" + (f": {key}" if key else "")
        raise DataError(f"{where}: {message}") from None


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: {not_a_file(path, 'no such class file')}")
    try:
        text = path.read_text(encoding="utf-8")
        found = load_checked(text)  # a key twice, aliases' bombs: as a config's
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: {yaml_problem(exc, text)}") from None
    if not isinstance(found, dict):
        # Not Python's NoneType; and a file of names or a CSV (read as one YAML string) is told what a class file is.
        empty = not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())
        got = ("nothing (an empty file)" if empty else "null") if found is None else f"a {type(found).__name__}"
        hint = " (class names one a line, or a CSV? a class file is YAML: `classes: [road, car]`)" \
            if isinstance(found, str) else ""
        raise DataError(f"{path}: a class file is a mapping (classes, palette, void, ...), got {got}{hint}")
    return found
