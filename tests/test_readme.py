"""The layout section of docs/development.md is the true picture of the package: every module is named in it, under
its folder."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "segbench"


def layout() -> str:
    text = (REPO / "docs" / "development.md").read_text()
    return text.split("\n## Layout\n", 1)[1].split("\n```\n", 2)[1]


def paragraph(folder: str) -> str:
    """The lines of the layout that describe ``folder/`` (a package folder, or one at the top): its own line and the
    indented lines below it."""
    lines = layout().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip(" ").startswith(f"{folder}/ "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" " * 4)), len(lines))
    return "\n".join(lines[start:end])


MODULES = sorted(path.relative_to(PACKAGE) for path in PACKAGE.rglob("*.py")
                 if path.name not in {"__init__.py", "__main__.py"})


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_every_module_is_in_the_layout(module):
    if len(module.parts) == 1:
        assert re.search(rf"^  {re.escape(module.name)} ", layout(), re.MULTILINE), f"{module} has no line"
    else:
        assert re.search(rf"\b{module.stem}\b", paragraph(module.parts[0])), f"{module} is not named under its folder"


def test_the_layout_names_no_module_that_is_gone():
    named = set(re.findall(r"^  (\w+)\.py ", layout(), re.MULTILINE))
    assert named and named <= {path.stem for path in PACKAGE.glob("*.py")}


@pytest.mark.parametrize("script", sorted(path.name for path in (REPO / "scripts").iterdir()
                                          if path.suffix in {".py", ".sh"} or path.is_dir()))
def test_every_script_is_in_the_layout(script):
    assert script in paragraph("scripts")
