"""Decoding image and label files into numpy arrays (every failure names the file), and writing them."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from segbench.errors import DataError, first_line
from segbench.io import atomic_path, not_a_file

# .jpe, .jfif and .jif are JPEG's other names (Windows saves a browser's JPEG as .jfif): such images were left out of
# their split without a word, named neither here nor among the formats not read (probe 21a case 6).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".jif", ".bmp")
LABEL_SUFFIXES = IMAGE_SUFFIXES + (".mat",)
# Image formats a dataset's files may come in that its readers do not read (predict reads some of them): a pair
# stored so was left out of its split, and verify said OK (probe 19a case 10). Verify names each.
UNREAD_IMAGE_SUFFIXES = (".tif", ".tiff", ".gif", ".webp", ".apng", ".jp2", ".j2k", ".jxl", ".heic", ".heif",
                         ".avif", ".ppm", ".pgm", ".pbm", ".pnm", ".exr", ".dng", ".psd", ".ico", ".tga", ".pcx",
                         ".svg", ".jxr", ".qoi", ".hdr", ".pfm")


# Pillow's modes for one channel wider than 8 bits: 16-bit grayscale PNGs open as I;16 (as I in older Pillows).
WIDE_GRAY_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
# A PNG's (bit depth, colour type) of 16 bits per colour channel: RGB and RGBA.
WIDE_COLOUR_PNGS = ((16, 2), (16, 6))


def read_rgb(path: Path, upright: bool = False) -> np.ndarray:
    """An RGB uint8 image of shape HxWx3, decoded in full by Pillow: a truncated file is an error here, where
    OpenCV's libjpeg only prints a warning and fills the rest of the image with grey. A 16-bit image, grey or colour,
    keeps its top 8 bits (``eight_bits``): Pillow's ``convert("RGB")`` would clip a grey one's values above 255 to
    white. ``upright`` applies the EXIF orientation a camera recorded (a phone's portrait photo is stored on its
    side), as viewers show the photo: for predict's photos. Datasets are read on the stored pixel grid, the grid
    their labels were drawn on, with or without the tag."""
    png = _readable_png_format(path)
    with _opened(path) as stored:
        image = ImageOps.exif_transpose(stored) if upright else stored
        # A float image (TIFF mode F) would be clipped to 0 and 1 by convert("RGB"), and 8-bit values held in a
        # 32-bit integer one (mode I, but for a 16-bit PNG, which older Pillows open so) shifted to 0: both black.
        if image.mode == "F" or (image.mode == "I" and png != (16, 0)):
            kind = "floating-point" if image.mode == "F" else "32-bit integer"
            raise DataError(f"{path}: a {kind} image, whose range segbench cannot know; save it with 8 or 16 bits "
                            "per channel")
        if png in WIDE_COLOUR_PNGS:  # Pillow opens it as 8-bit RGB of its top 8 bits: OpenCV reads all 16
            return _oriented(eight_bits(_wide_colour(path)), stored if upright else None)
        if image.mode not in WIDE_GRAY_MODES:
            return np.asarray(image.convert("RGB"))
        mode, wide = image.mode, np.asarray(image).astype(np.int64)
    if wide.size and (wide.min() < 0 or wide.max() > 0xFFFF):
        raise DataError(f"{path}: a {mode} image with values outside 0..65535; save it as 8 or 16 bits")
    return np.repeat(eight_bits(wide)[..., None], 3, axis=2)


def eight_bits(wide: np.ndarray) -> np.ndarray:
    """A 16-bit image's pixels in 8 bits: its top 8 bits, or, where no value is above 255, its values as they are:
    8-bit pixels saved in 16 bits, which their top 8 bits turned black (probe 20a)."""
    return (wide if wide.max(initial=0) <= 255 else wide >> 8).astype(np.uint8)


def _wide_colour(path: Path) -> np.ndarray:
    """A PNG of 16 bits per colour channel as RGB of 16 bits, read by OpenCV on its stored grid."""
    wide = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if wide is None or wide.ndim != 3:
        raise DataError(f"{path}: damaged (a 16-bit colour PNG OpenCV cannot read)")
    return cv2.cvtColor(wide[..., :3], cv2.COLOR_BGR2RGB)


def _oriented(rgb: np.ndarray, stored: Image.Image | None) -> np.ndarray:
    """``rgb`` turned by the EXIF orientation ``stored`` records, as viewers show it; as it is without ``stored``."""
    if stored is None or not stored.info.get("exif"):
        return rgb
    holder = Image.fromarray(rgb)
    holder.info["exif"] = stored.info["exif"]
    return np.asarray(ImageOps.exif_transpose(holder))


def frame_count(path: Path) -> int:
    """The frames an image file holds (an animated GIF, PNG or WebP, a multi-page TIFF): 1 for a still image."""
    with Image.open(path) as image:
        return getattr(image, "n_frames", 1)


def _one_frame(image: Image.Image, path: Path, what: str) -> None:
    """A label that is an animation (APNG, GIF) is refused: Pillow reads its first frame, which verify passed, and a
    run trained on a frame that was not the label (probe 19a case 15)."""
    if (frames := getattr(image, "n_frames", 1)) > 1:
        raise DataError(f"{path}: an animated {what} of {frames} frames, of which only the first would be read; save "
                        "the frame that is the label as an image of its own")


def read_colour_label(path: Path) -> np.ndarray:
    """A colour mask as RGB uint8, its colours exactly as stored. A 16-bit colour PNG holds either 8-bit colours
    scaled to 16 bits (each value a multiple of 257) or 8-bit values as they are (none above 255); Pillow's top 8
    bits are right for the first and turned every colour of the second into black. Any other is refused, and so is
    a lossily compressed one, as a label of indices is: a JPEG colour mask off its palette along every edge was
    "fixed" by `off_palette: nearest` into classes it does not hold."""
    if not _wide_colour_png(path):
        try:  # its header only (no decoding twice): a file that cannot be opened is read_rgb's to name
            with Image.open(path) as image:
                lossy = _lossy(image, path)
                _one_frame(image, path, "colour mask")
        except (OSError, SyntaxError, ValueError):
            lossy = None
        if lossy:
            raise DataError(f"{path}: a {lossy} colour mask; lossy compression changes the colours along class edges, "
                            "so it does not hold the classes drawn; save the masks as PNG")
        return read_rgb(path)
    wide = _wide_colour(path)
    if not (wide % 257).any():
        return (wide // 257).astype(np.uint8)
    if wide.max() <= 255:
        return wide.astype(np.uint8)
    raise DataError(f"{path}: a 16-bit colour mask whose colours are not 8-bit ones (neither each value a multiple "
                    "of 257 nor all at most 255); save it with 8 bits per channel")


def write_image(path: Path, array: np.ndarray) -> None:
    """An RGB image (HxWx3) or a map of class indices (HxW, uint8), atomically, in the format of the suffix."""
    pixels = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if array.ndim == 3 else array
    # Encoded here and written by Python: cv2.imwrite on a full disk printed libpng's "Write Error" and returned
    # False, and the cause was lost (probe 21a case 10); a write's OSError now names the file and its cause.
    try:
        encoded, data = cv2.imencode(path.suffix, pixels)
    except cv2.error:  # no encoder for the suffix
        encoded = False
    if not encoded:
        raise DataError(f"{path}: could not be encoded as {path.suffix}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.tobytes())


def write_palette_png(path: Path, classes: np.ndarray, palette, software: str | None = None) -> None:
    """A class map as a palette PNG (Pascal VOC's label format): viewers show the dataset's colours, readers get the
    indices back. Indices past the palette (a 255 void) show black. More classes than a palette holds (256): a 16-bit
    grey PNG of the indices, which readers get back as they do a palette's (predict refused such a run). ``software``
    goes into the PNG's Software text chunk (what made the file, for a writer that must tell its own files from a
    user's)."""
    from PIL.PngImagePlugin import PngInfo

    if len(palette) > 256:
        image = Image.fromarray(classes.astype(np.uint16))
    else:
        image = Image.fromarray(classes.astype(np.uint8), mode="P")
        image.putpalette([value for colour in palette for value in colour])
    info = PngInfo()
    if software:
        info.add_text("Software", software)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", pnginfo=info)


def read_index_png(path: Path) -> np.ndarray:
    """A label of class indices stored as pixel values: grayscale (8 or 16 bit), the indices of a palette image,
    or the same value in every channel (the older Keras library's "prepped" labels are sometimes 3-channel copies)."""
    with _opened(path) as image:
        lossy = _lossy(image, path)
        if lossy:
            # Its lossy compression moves values along every class edge: the label read is not the one drawn
            # (verify said OK of a mask whose edges held other classes).
            raise DataError(f"{path}: a {lossy} label; lossy compression changes the values along class edges, so "
                            "it does not hold the classes drawn; save the labels as PNG")
        _one_frame(image, path, "label")
        label = np.asarray(image)
    if label.dtype.kind == "f":  # a float TIFF (a mask resized bilinearly, kept as float): 1.6 is no class
        raise DataError(f"{path}: a label of floating-point values; labels hold integer class indices, so save it as "
                        "an 8- or 16-bit PNG of them")
    if label.dtype == bool:  # a 1-bit PNG (a binary mask): classes 0 and 1, not a mask to index with
        return label.astype(np.uint8)
    if label.ndim == 2:
        depth = _png_format(path)
        if depth is not None and depth[1] == 0 and depth[0] in (2, 4):
            # Pillow scales 2- and 4-bit grey samples to 8 bits for display (x85, x17): a label's are indices.
            return label // (255 // (2 ** depth[0] - 1))
        return label
    if _wide_colour_png(path):
        # Pillow keeps a 16-bit colour PNG's top 8 bits, which turned classes 0..255 into 0 without a word: OpenCV
        # reads all 16 (its channels in BGR order, which equal channels do not mind).
        label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if label is None or label.ndim != 3:
            raise DataError(f"{path}: damaged (a 16-bit colour PNG OpenCV cannot read)")
    colour = label[..., :3] if label.shape[2] >= 3 else label[..., :1]  # alpha (LA, RGBA) is no part of the class
    if (colour != colour[..., :1]).any():
        raise DataError(f"{path}: a colour label (its channels differ) where class indices were expected; a folder "
                        "dataset reads colour masks with labels: rgb and a palette in its class file")
    return label[..., 0]


def _lossy(image, path: Path) -> str | None:
    """What lossy compression ``image`` (opened from ``path``) was stored with, whatever its suffix: a JPEG, a TIFF
    of JPEG-compressed strips, or a lossy WebP (its bitstream is "VP8 ", a lossless one's "VP8L"); None when none."""
    if image.format == "JPEG":
        return "JPEG"
    if image.format == "TIFF" and "jpeg" in str(image.info.get("compression", "")):
        return "JPEG-compressed TIFF"
    if image.format == "WEBP" and _webp_bitstream(path) == b"VP8 ":
        return "lossy WebP"
    return None


MAX_WEBP_BYTES = 64 * 2**20  # a label's WebP is far smaller; no more than this is read to find its bitstream


def _webp_bitstream(path: Path) -> bytes | None:
    """The kind of a WebP's first image bitstream, b"VP8 " (lossy) or b"VP8L" (lossless), found by walking its RIFF
    chunks: an ICC profile, EXIF or alpha chunk ahead of it (an extended file, as phones write) hid a lossy one from
    a look at the first bytes. Animation frames are walked into."""
    with open(path, "rb") as file:
        data = file.read(MAX_WEBP_BYTES)
    offset, end = 12, len(data)  # past "RIFF", its size and "WEBP"
    while offset + 8 <= end:
        kind, size = data[offset:offset + 4], int.from_bytes(data[offset + 4:offset + 8], "little")
        if kind in (b"VP8 ", b"VP8L"):
            return kind
        # An animation frame holds its own chunks after 16 bytes of its placement; any other chunk is skipped whole.
        offset += 8 + 16 if kind == b"ANMF" else 8 + size + (size & 1)
    return None



def _png_format(path: Path) -> tuple[int, int] | None:
    """A PNG's bit depth and colour type, as its header says (None for another file)."""
    with open(path, "rb") as file:
        head = file.read(26)
    # The signature, then the IHDR chunk: length, type, width, height, bit depth (byte 24), colour type (byte 25).
    if len(head) == 26 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return head[24], head[25]
    return None


def _readable_png_format(path: Path) -> tuple[int, int] | None:
    """``_png_format``, with a 16-bit grey+alpha PNG refused naming the file: Pillow keeps its low bytes (256 read
    as 0) and OpenCV swaps its bytes (256 read as 1), so nothing here reads it right."""
    found = _png_format(regular_file(path))
    if found == (16, 4):
        raise DataError(f"{path}: a 16-bit grey+alpha PNG, which neither Pillow nor OpenCV reads right; save it as "
                        "grey (8 or 16 bits) without alpha, or as 8-bit")
    return found


def _wide_colour_png(path: Path) -> bool:
    """Whether ``path`` is a PNG of 16 bits per colour channel (RGB or RGBA): Pillow opens it as 8-bit RGB."""
    return _readable_png_format(path) in WIDE_COLOUR_PNGS


def regular_file(path: Path) -> Path:
    """``path``, if it is a regular file: a FIFO or a device in a dataset would block its reader, or never end."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: {'missing' if not path.exists() else 'not a regular file'}")
    return path


def read_text_file(path: Path, missing: str) -> str:
    """The text of a dataset's own text file (a split file, a pair list), or one DataError naming it: ``missing``
    where nothing is there; a FIFO or device is refused unopened, since reading one blocked verify and run for good."""
    if not path.is_file():
        raise DataError(f"{path}: {not_a_file(path, missing)}")
    try:
        # utf-8-sig: Windows Notepad's UTF-8 starts with a byte-order mark, which stuck to the first line's path
        # ("\ufeffimages/val/a.jpg: image missing" of an image that is there).
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None


@contextmanager
def _opened(path: Path) -> Iterator[Image.Image]:
    """The decoded image at ``path``; a file that is missing, not a regular file or not completely readable is one
    DataError naming it."""
    path = regular_file(path)
    try:
        with Image.open(path) as image:
            image.load()
            yield image
    except Image.DecompressionBombError as exc:  # a sound file, too: "damaged" sent its user looking for damage
        raise DataError(f"{path}: too large to read ({first_line(exc)}); shrink it") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: damaged ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def check_intact(path: Path) -> str | None:
    """Why ``path`` is not a complete image file ("missing", "damaged (...)", ...), or None."""
    try:
        with _opened(path):
            return None
    except DataError as exc:
        return str(exc).removeprefix(f"{path}: ")


def unread_beside(wanted: Path, read: tuple[str, ...] = LABEL_SUFFIXES, what: str = "labels") -> str:
    """Where a file of the stem of ``wanted`` (a missing label, or the image a label lacks) is there in a suffix
    ``what`` are not read in (img0.tif beside img0.png), say so: the line named a .png that is not there, and
    nothing of the .tif."""
    try:
        beside = sorted(path.name for path in wanted.parent.glob(f"{glob.escape(wanted.stem)}.*")
                        if path.suffix.lower() not in read)
    except OSError:
        return ""
    return f" ({', '.join(beside)} there: {what} are read from {', '.join(read)} files)" if beside else ""


def find_image(path: Path) -> Path:
    """``path``, or a file of the same stem with another image suffix (lists written for .png, data in .jpg)."""
    if path.exists():
        return path
    for suffix in IMAGE_SUFFIXES:
        other = path.with_suffix(suffix)
        if other.exists():
            return other
    return path


def files_by_stem(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """Files of ``folder`` with one of ``suffixes``, keyed by stem (empty when the folder is absent)."""
    if not folder.is_dir():
        return {}
    return one_file_a_key((p.stem, p) for p in sorted(folder.iterdir()) if p.suffix.lower() in suffixes)


def one_file_a_key(keyed: Iterable[tuple[str, Path]]) -> dict[str, Path]:
    """``(key, file)`` pairs as a dict, refusing two files of one key (``a.jpg`` and ``a.png``): which one is the
    sample cannot be told, and keeping the last in sort order scored a stray file in place of the photo while
    ``verify`` said OK."""
    found: dict[str, Path] = {}
    for key, path in keyed:
        if key in found:
            raise DataError(f"{path}: {found[key].name} beside it has the same name less its suffix, and which one "
                            "is meant cannot be told; keep one of them")
        found[key] = path
    return found
