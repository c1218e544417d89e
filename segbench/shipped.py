"""Where the configs that ship with segbench are, from a source tree or an installed wheel, and config names
resolved against them, so that ``segbench run smoke/segnet`` works from any directory."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries the repository's configs/ inside the package (pyproject.toml's force-include); a source tree or
# an editable install reads them where they are written.
CONFIGS = _PACKAGE / "configs" if (_PACKAGE / "configs").is_dir() else _PACKAGE.parent / "configs"


def config_names() -> list[str]:
    """Every shipped config as the name ``find_config`` takes (``camvid/segnet``), bases (``_base/``) left out."""
    return sorted(str(path.relative_to(CONFIGS).with_suffix("")) for path in CONFIGS.rglob("*.yaml")
                  if "_base" not in path.relative_to(CONFIGS).parts)


def find_config(text: str) -> Path | None:
    """The shipped config ``text`` names (``smoke/segnet`` or ``smoke/segnet.yaml``), or None."""
    name = text.removesuffix(".yaml")
    path = (CONFIGS / f"{name}.yaml").resolve()
    return path if path.is_file() and path.is_relative_to(CONFIGS.resolve()) else None
