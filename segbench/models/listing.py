"""What ``segbench models list`` prints, without importing Keras: the bundled models' figures from the table
``catalog.json`` (``catalog.figures`` of each, written by ``scripts/model_catalog.py`` and checked against the
built models by tests/models/test_catalog.py), and the figures of any other registered model (a plugin's),
measured on it built, only when there is one."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd

from segbench.markdown import markdown_table
from segbench.registry import MODELS

TABLE = Path(__file__).with_name("catalog.json")


def tabled() -> list[dict]:
    """The table's rows, in name order."""
    return json.loads(TABLE.read_text())


def list_models() -> list[dict]:
    """Every registered model: name, encoder and decoder (None where its builder does not say), its own input size
    and class count, its parameters (whole and encoder part) and multiply-accumulates per image there."""
    rows = tabled()
    # Before anything is registered, and with no installed plugin to register, the bundled models are all there is
    # (a config's imports: play no part here): the table answers, and Keras is never imported.
    if not MODELS.holds_any() and not entry_points(group=MODELS.group):
        return rows
    from segbench.models.catalog import figures

    known = {row["name"] for row in rows}
    return sorted(rows + [figures(name) for name in MODELS.names() if name not in known], key=lambda row: row["name"])


UNDESCRIBED = "-"


def render_list(rows: list[dict]) -> str:
    table = pd.DataFrame([{"name": r["name"], "encoder": r["encoder"] or UNDESCRIBED,
                           "decoder": r["decoder"] or UNDESCRIBED, "classes": r["num_classes"],
                           "input": "x".join(map(str, r["input_size"])),
                           "output stride": UNDESCRIBED if r["output_strides"] is None
                           else ", ".join(map(str, r["output_strides"])),
                           "params (M)": f"{r['parameters'] / 1e6:.2f}",
                           "encoder params (M)": UNDESCRIBED if r["encoder_parameters"] is None
                           else f"{r['encoder_parameters'] / 1e6:.2f}",
                           "GMACs": f"{r['macs'] / 1e9:.2f}"} for r in rows])
    return markdown_table(table)
