"""Loading a Keras 2 HDF5 weights file into a model by layer name, as the converted PSPNet release ships."""

from __future__ import annotations

from itertools import count
from pathlib import Path

import h5py
import numpy as np

from segbench.errors import ConfigError


class Mismatch(ValueError):
    """What keeps a weights file from fitting a model, worded to follow the file's name."""


def load_legacy_h5(model, path: str | Path, loose: tuple[str, ...] = ()) -> list[str]:
    """Set each layer of ``model`` that has weights from the file's group of the same name.

    The file is ``save_weights`` output (a root attribute ``layer_names``; per layer a group whose attribute
    ``weight_names`` lists its datasets in the layer's weight order) or a whole-model file holding that under
    ``model_weights``. A layer the file lacks, or holds with other shapes, stops the load with a ConfigError naming
    it, unless it is in ``loose`` (a classifier, whose shape follows the class count): that one keeps its initial
    weights. Layers only the file has are ignored. Nothing is set unless everything fits. Returns the names of the
    layers left as they were.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model.weights: {path} does not exist")
    try:
        updates, kept = match_legacy_h5(model, path, loose)
    except Mismatch as exc:
        raise ConfigError(f"model.weights: {path} {exc}") from None
    for layer, values in updates:
        layer.set_weights(values)
    return kept


def match_legacy_h5(model, path: Path, loose: tuple[str, ...] = ()) -> tuple[list, list[str]]:
    """The file's weights for each layer of ``model`` (layer, values), and the ``loose`` layers it has none for
    (or none that fit), as ``load_legacy_h5`` sets them; a Mismatch where the file does not fit the model."""
    try:
        file = h5py.File(path, "r")
    except OSError:  # an HTML error page, a cut-short download: h5py finds no HDF5 signature
        raise Mismatch("is not an HDF5 file") from None
    with file:
        root = file["model_weights"] if "layer_names" not in file.attrs and "model_weights" in file else file
        stored = set(_strings(root, "layer_names"))
        if not stored:
            raise Mismatch("is not a Keras 2 HDF5 weights file (no layer_names)")
        updates, kept, missing = [], [], []
        for layer in model.layers:
            if not layer.weights:
                continue
            if layer.name not in stored:
                (kept if layer.name in loose else missing).append(layer.name)
                continue
            group = root[layer.name]
            values = [np.asarray(group[name]) for name in _strings(group, "weight_names")]
            found = [value.shape for value in values]
            expected = [tuple(weight.shape) for weight in layer.weights]
            if found == expected:
                updates.append((layer, values))
            elif layer.name in loose:
                kept.append(layer.name)
            else:
                raise Mismatch(f"has weights of shapes {found} for layer {layer.name!r}, but {model.name}'s are "
                               f"{expected}")
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise Mismatch(f"has no weights for layer{'s' if len(missing) > 1 else ''} {listed} of {model.name}")
    return updates, kept


def _strings(group, name: str) -> list[str]:
    """A string-list attribute; Keras 2 splits one too large for an HDF5 header into ``name0``, ``name1``, ..."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks = []
        for index in count():
            if f"{name}{index}" not in group.attrs:
                break
            chunks.append(group.attrs[f"{name}{index}"])
    return [item.decode("utf8") if isinstance(item, bytes) else str(item) for chunk in chunks for item in chunk]
