#!/usr/bin/env python3
"""Write ``segbench/models/catalog.json``, the figures ``segbench models list`` prints, from the bundled models built
with random weights (a plugin's are not written): run it after a model is added or changed, which
tests/models/test_catalog.py fails on until then.

    python scripts/model_catalog.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segbench.io import write_json
from segbench.models.catalog import bundled, figures
from segbench.models.listing import TABLE

if __name__ == "__main__":
    names = bundled()
    write_json(TABLE, [figures(name) for name in names])
    print(f"{TABLE}: {len(names)} models")
