"""What `segbench datasets list` says about each registered adapter."""

from __future__ import annotations

import pandas as pd

from segbench.markdown import markdown_table
from segbench.registry import DATASETS


def describe_all() -> list[dict]:
    entries = []
    for name in DATASETS.names():
        adapter = DATASETS.get(name)
        # A bundled dataset described in data has its description; the folder adapter takes one from the data.
        described = getattr(adapter, "description", None) or {}
        classes = list(described.get("classes", getattr(adapter, "classes", [])))
        void = described.get("void", adapter.ignore_index)
        entries.append({"name": name, "classes": classes, "void": void_name(classes, void),
                        "default_root": f"datasets/{name}", "layout": adapter.layout or "drawn on the fly",
                        "download": adapter.url})
    return entries


def void_name(classes: list[str], void) -> str | None:
    """A void class by its name, a void outside the classes (255) by its value; None where there is none (or the
    data describes it: the folder adapter's is a property)."""
    if not isinstance(void, int):
        return None
    return classes[void] if 0 <= void < len(classes) else f"{void} (not a class)"


def render(entries: list[dict]) -> str:
    described = "its class file"  # the folder adapter's classes and void are the data's own
    table = pd.DataFrame([{"name": e["name"], "classes": len(e["classes"]) or described,
                           "void": e["void"] or (described if not e["classes"] else "-"), "expects": e["layout"]}
                          for e in entries])
    names = "\n".join(f"{e['name']}: {', '.join(e['classes'])}" for e in entries if e["classes"])
    return markdown_table(table) + "\n\n" + names + "\n\nData goes in datasets/<name>/ unless --root says otherwise."
