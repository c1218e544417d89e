"""What `segbench datasets list` says about each registered adapter."""

from __future__ import annotations

import pandas as pd

from segbench.registry import DATASETS


def describe_all() -> list[dict]:
    entries = []
    for name in DATASETS.names():
        adapter = DATASETS.get(name)
        classes = list(getattr(adapter, "classes", []))  # the folder adapter takes its classes from the config
        void = adapter.ignore_index if isinstance(getattr(adapter, "ignore_index", None), int) else None
        entries.append({"name": name, "classes": classes, "void": classes[void] if void is not None else None,
                        "default_root": f"datasets/{name}", "layout": adapter.layout or "drawn on the fly",
                        "download": adapter.url})
    return entries


def render(entries: list[dict]) -> str:
    table = pd.DataFrame([{"name": e["name"], "classes": len(e["classes"]) or "config",
                           "void": e["void"] or "-", "expects": e["layout"]} for e in entries])
    names = "\n".join(f"{e['name']}: {', '.join(e['classes'])}" for e in entries if e["classes"])
    return table.to_markdown(index=False) + "\n\n" + names + "\n\nData goes in datasets/<name>/ unless --root says otherwise."
