"""Label files to class indices, as a description says (pure numpy): values through a mapping (Cityscapes' ids
to train ids), colours through a palette (masks painted in RGB), with a stated rule for colours off the palette."""

from __future__ import annotations

import numpy as np


def narrowest(values: int) -> type:
    """The smallest unsigned type that holds ``values`` distinct label values."""
    return np.uint8 if values <= 256 else np.uint16


def apply_mapping(raw: np.ndarray, mapping: dict[int, int], void: int | None) -> np.ndarray:
    """Each value through ``mapping``; values it leaves out become ``void``, or a ValueError without one."""
    targets = list(mapping.values()) + ([void] if void is not None else [])
    table_size = max(int(raw.max(initial=0)), max(mapping, default=0)) + 1
    unmapped = -1
    table = np.full(table_size, unmapped if void is None else void, np.int64)
    table[list(mapping)] = list(mapping.values())
    decoded = table[raw.astype(np.int64, copy=False)]
    if void is None and (decoded == unmapped).any():
        strays = np.unique(raw[decoded == unmapped])
        raise ValueError(f"label values {', '.join(map(str, strays[:5]))} are not in the mapping, and there is no "
                         "void label to send them to")
    return decoded.astype(narrowest(max(targets) + 1))


def decode_colours(rgb: np.ndarray, palette, void: int | None = None, void_colour=None,
                   off_palette: str = "error") -> np.ndarray:
    """An RGB mask (H, W, 3) -> class indices (H, W): colour ``palette[c]`` is class c, ``void_colour`` the void
    label; any other colour is an error (``"error"``: a ValueError naming the first), the class of the nearest
    palette colour (``"nearest"``, Euclidean in RGB), or void (``"void"``)."""
    colours = [tuple(c) for c in palette] + ([tuple(void_colour)] if void_colour is not None else [])
    values = list(range(len(palette))) + ([void] if void_colour is not None else [])
    codes = _codes(np.asarray(colours, np.uint8))
    found, inverse = np.unique(_codes(rgb.reshape(-1, 3)), return_inverse=True)
    order = np.argsort(codes)
    at = np.clip(np.searchsorted(codes[order], found), 0, len(codes) - 1)
    known = codes[order][at] == found
    decoded = np.asarray(values, np.int64)[order][at]
    if not known.all():
        off = found[~known]
        if off_palette == "error":
            pixels = int(np.isin(inverse, np.flatnonzero(~known)).sum())
            raise ValueError(f"{pixels} pixels of colours outside the palette, e.g. {_colour(off[0])} "
                             "(set off_palette: nearest or void to decode them)")
        if off_palette == "void":
            decoded[~known] = void
        else:
            off_rgb = np.stack([(off >> 16) & 255, (off >> 8) & 255, off & 255], axis=1).astype(np.int64)
            distances = ((off_rgb[:, None, :] - np.asarray(colours, np.int64)[None]) ** 2).sum(axis=2)
            decoded[~known] = np.asarray(values, np.int64)[distances.argmin(axis=1)]
    most = max(values + ([void] if void is not None else []))
    return decoded[inverse].reshape(rgb.shape[:2]).astype(narrowest(most + 1))


def encode_colours(label: np.ndarray, palette, void: int | None = None, void_colour=None) -> np.ndarray:
    """Class indices -> an RGB mask, the inverse of :func:`decode_colours` (for ``datasets imitate``)."""
    table = np.zeros((max(len(palette), (void or 0) + 1), 3), np.uint8)
    table[: len(palette)] = palette
    if void_colour is not None:
        table[void] = void_colour
    return table[label]


def _codes(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _colour(code: int) -> tuple[int, int, int]:
    return int(code >> 16 & 255), int(code >> 8 & 255), int(code & 255)
