"""A peer's measurements (``scripts/peer_smp.py``'s JSON) beside ours: our images/s over theirs, row by row."""

from __future__ import annotations

import json
from pathlib import Path

from segbench.errors import SegbenchError

SAME = ("model", "input_size", "batch", "precision")  # what must match for a ratio to mean anything


def load_peer(path: Path) -> dict:
    try:
        peer = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SegbenchError(f"{path}: no such peer file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SegbenchError(f"{path}: not a peer JSON file ({exc})") from None
    if not isinstance(peer, dict) or not isinstance(peer.get("rows"), list):
        raise SegbenchError(f"{path}: not a peer JSON file (no 'rows'; write one with scripts/peer_smp.py)")
    return peer


def ratios(result: dict, peer: dict) -> dict | None:
    """Our median images/s over the peer's for training and inference, where the peer measured the same model at
    the same size, batch and precision; else None."""
    for row in peer["rows"]:
        if all(row.get(key) == result[key] for key in SAME):
            return {"peer": peer.get("peer"), "peer_model": row.get("peer_model"),
                    "peer_parameters": row.get("parameters"),
                    **{part: result[part]["images_per_s"]["median"] / row[part]["images_per_s"]["median"]
                       for part in ("train", "infer")}}
    return None
