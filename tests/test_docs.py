"""The README and docs/ stay true: every relative link points at a file that is there (and every #anchor at a
heading of it), and every `segbench ...` line of their shell blocks parses with the CLI's own parser. Both checks
are also shown to fail, on a tiny doc with a broken link and a misspelt option."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from segbench.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}
OPERATORS = {">", ">>", "<", "|", "||", "&&", ";", "&", "2>", "2>&1"}


def blocks(text: str):
    """(info string, lines) of each fenced code block, and the prose between them as (None, lines)."""
    lines, fence, info, current = text.splitlines(), None, None, []
    for line in lines:
        marker = re.match(r"^(```+|~~~+)\s*([\w+-]*)", line)
        if fence is None and marker:
            yield None, current
            fence, info, current = marker.group(1), marker.group(2).lower(), []
        elif fence is not None and line.startswith(fence) and not line.strip(fence[0]).strip():
            yield info, current
            fence, info, current = None, None, []
        else:
            current.append(line)
    yield (None, current) if fence is None else (info, current)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercased, punctuation but `-` and `_` dropped, each space a `-`."""
    text = re.sub(r"`|\*\*?|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    for info, lines in blocks(text):
        if info is not None:
            continue
        for line in lines:
            heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if heading:
                base = slug(heading.group(1))
                count = seen.get(base, 0)
                seen[base] = count + 1
    found = set()
    for base, count in seen.items():
        found |= {base} | {f"{base}-{k}" for k in range(1, count)}
    return found


def link_problems(text: str, where: Path) -> list[str]:
    """What is wrong with the relative links of a Markdown text that lives at ``where``."""
    problems = []
    for info, lines in blocks(text):
        if info is not None:
            continue
        prose = re.sub(r"`[^`]*`", "", "\n".join(lines))
        for target in re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
                continue
            path, _, anchor = target.partition("#")
            if not path:  # an anchor of this text itself
                if anchor not in anchors(text):
                    problems.append(f"{where.name}: link {target!r}: no heading #{anchor} here")
                continue
            file = (where.parent / path).resolve()
            if not file.exists():
                problems.append(f"{where.name}: link {target!r}: no such file {file}")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
                problems.append(f"{where.name}: link {target!r}: no heading #{anchor} in {file.name}")
    return problems


def commands(text: str) -> list[str]:
    """The `segbench ...` command lines of a text's shell blocks: continuations joined, comments dropped,
    leading VAR=value assignments and anything after a pipe or redirection left off."""
    found = []
    for info, lines in blocks(text):
        if info not in SHELL:
            continue
        joined, pending = [], ""
        for line in lines:
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            joined.append(pending + line)
            pending = ""
        for line in joined:
            words = shlex.split(line, comments=True)
            while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
                words.pop(0)
            if words and words[0] == "segbench":
                cut = next((i for i, word in enumerate(words) if word in OPERATORS), len(words))
                found.append(shlex.join(words[:cut]))
    return found


def command_problem(line: str) -> str | None:
    """None when the CLI's parser takes the line, else the line and what argparse said."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(shlex.split(line)[1:])
    except SystemExit as exc:
        if exc.code not in (0, None):
            return f"{line}: {said.getvalue().strip().splitlines()[-1] if said.getvalue().strip() else exc}"
    return None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_and_heading(doc):
    assert not link_problems(doc.read_text(), doc)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_segbench_command_line_parses(doc):
    problems = [problem for line in commands(doc.read_text()) if (problem := command_problem(line))]
    assert not problems, "\n".join(problems)


def test_the_docs_have_commands_to_check():
    lines = [line for doc in DOCS for line in commands(doc.read_text())]
    verbs = {shlex.split(line)[1] for line in lines}
    assert len(lines) > 50 and {"run", "sweep", "evaluate", "predict", "export", "report", "results", "compare",
                                "datasets", "models", "bench", "env"} <= verbs


def test_every_docs_page_is_linked_from_the_readme_and_the_index():
    readme, index = (REPO / "README.md").read_text(), (REPO / "docs" / "README.md").read_text()
    for page in (REPO / "docs").glob("*.md"):
        if page.name != "README.md":
            assert f"docs/{page.name}" in readme and f"({page.name}" in index, page.name


def test_the_link_check_fails_on_a_broken_link(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A section: with punctuation\n")
    doc = tmp_path / "doc.md"
    good = "See [other](other.md), [its section](other.md#a-section-with-punctuation) and [here](#top).\n"
    assert link_problems(f"# Top\n\n{good}", doc) == []
    assert link_problems("# Top\n\n`[not a link](nowhere.md)`\n```\n[nor this](nowhere.md)\n```\n", doc) == []
    broken = link_problems("# Top\n\nSee [gone](gone.md), [bad](other.md#no-such) and [here](#nope).\n", doc)
    assert len(broken) == 3 and "gone.md" in broken[0] and "#no-such" in broken[1] and "#nope" in broken[2]


def test_the_command_check_fails_on_a_misspelt_option():
    text = ("```sh\n"
            "segbench run configs/demo/segnet.yaml --set train.epochs=2   # a comment --bogus\n"
            "KERAS_BACKEND=jax segbench sweep --suite camvid \\\n    --seeds 3 > log.txt\n"
            "make demo\n"
            "segbench run configs/demo/segnet.yaml --foce\n"
            "segbench sweep --suite camvd\n"
            "```\n"
            "```python\nsegbench run --nonsense\n```\n")
    lines = commands(text)
    assert lines == ["segbench run configs/demo/segnet.yaml --set train.epochs=2",
                     "segbench sweep --suite camvid --seeds 3",
                     "segbench run configs/demo/segnet.yaml --foce", "segbench sweep --suite camvd"]
    problems = [command_problem(line) for line in lines]
    assert problems[:2] == [None, None]
    assert "--foce" in problems[2] and "unrecognized arguments" in problems[2]
    assert "camvd" in problems[3]


def test_slugs_follow_githubs_rule():
    assert slug("When things go wrong: what segbench guarantees") == "when-things-go-wrong-what-segbench-guarantees"
    assert slug("Running the paper's tables on a cluster") == "running-the-papers-tables-on-a-cluster"
    assert slug("CPU settings: backend x precision, and what `auto` takes") == \
        "cpu-settings-backend-x-precision-and-what-auto-takes"
    assert slug("segbench run") == "segbench-run"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
