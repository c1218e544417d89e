"""The YAML the user writes (configs, a dataset's class file), read as strictly as it decides things: no Python
tags, ``1e-4`` a float, bounded in size and in what its aliases expand to, and no key given twice in a mapping."""

from __future__ import annotations

import datetime
import re

import yaml

from segbench.io import SafeLoader


class _SafeLoader(SafeLoader):
    """``yaml.SafeLoader`` (no Python tags; libyaml's where it is there) that also reads ``1e-4`` as a float, as YAML
    1.2 does; PyYAML's YAML 1.1 rules would hand it over as the string '1e-4', which a learning rate should never
    be."""


_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


# A config is a page of YAML. Aliases may repeat a block, but nine levels of nine aliases ("billion laughs") expand
# to 387 million values: counted before anything is built, and refused.
MAX_CONFIG_CHARS, MAX_EXPANDED_VALUES = 1_000_000, 100_000


def load_checked(text: str):
    """``text`` as YAML under the rules above; a yaml.YAMLError (with its line, where it has one) otherwise."""
    if len(text) > MAX_CONFIG_CHARS:
        raise yaml.YAMLError(f"more than {MAX_CONFIG_CHARS:,} characters; a config is a page of YAML")
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded(node, {}) > MAX_EXPANDED_VALUES:
            raise yaml.YAMLError(f"its aliases expand to more than {MAX_EXPANDED_VALUES:,} values")
        _no_key_twice(loader, node, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes once every alias is copied out (an alias is the same node object)."""
    if id(node) not in sizes:
        sizes[id(node)] = 0  # a recursive alias counts once rather than forever
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) \
            else node.value if isinstance(node, yaml.SequenceNode) else []
        sizes[id(node)] = 1 + sum(_expanded(child, sizes) for child in children)
    return sizes[id(node)]


def _no_key_twice(loader: yaml.SafeLoader, node: yaml.Node, seen: set[int]) -> None:
    """A key given twice in one mapping is refused: PyYAML keeps the last without a word, so `epochs: 1` above an
    `epochs: 7` (or a second `train:` section, which replaces the first whole) ran a setting nobody asked for, and
    a class file's second `classes:` or mapping key decided how labels were read. Keys are compared as YAML reads
    them, so `1`, `0x1`, `1.0` and `true` are one key. A key a merge (``<<: *defaults``) brings in may be overridden:
    that is what merging is for."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                value = loader.construct_object(key)
                # True and False are 1 and 0 to what reads the mapping (a class file's label values): one key.
                number = isinstance(value, int | float)
                earlier = first.setdefault(("number" if number else type(value).__name__, value), key)
                if earlier is not key:
                    raise yaml.MarkedYAMLError(problem=f"key '{key.value}' given twice in one mapping (first on "
                                                       f"line {earlier.start_mark.line + 1}"
                                                       + (f" as '{earlier.value}'" if earlier.value != key.value
                                                          else "") + ")",
                                               problem_mark=key.start_mark)
    children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) \
        else node.value if isinstance(node, yaml.SequenceNode) else []
    for child in children:
        _no_key_twice(loader, child, seen)


MAX_ECHO = 200  # characters of a value an error echoes


def echo(value) -> str:
    """``value`` as an error line echoes it: as YAML writes it, at most MAX_ECHO characters."""
    # YAML reads an unquoted 2020-01-01 as a date; its repr (datetime.date(2020, 1, 1)) is not what the user wrote.
    # null, true and false as YAML writes them, not as Python does.
    if value is None or isinstance(value, bool):
        got = yaml.safe_dump(value).split("\n")[0]
    elif isinstance(value, datetime.date):
        got = f"{value.isoformat()}, which YAML reads as a date"
    elif isinstance(value, list | dict) and value:
        try:  # as YAML writes it: [1, null, 2020-01-01], not [1, None, datetime.date(2020, 1, 1)]
            got = yaml.safe_dump(value, default_flow_style=True, width=float("inf")).strip()
        except yaml.YAMLError:
            got = repr(value)
    else:
        got = repr(value)
    return got if len(got) <= MAX_ECHO else f"{got[:MAX_ECHO]}... ({len(got):,} characters)"


def problem_words(error: dict) -> str:
    """One of pydantic's errors as an error line says it: its message begun in lower case, and the value it got
    (a class file's "classes.1: Input should be a valid string" said neither, probe 21a case 5); a message naming
    what it got already (a transform's own), or of the whole file (its own words name the keys), is left as it is."""
    text = error["msg"].removeprefix("Value error, ")
    got = "" if text.startswith("transform ") or not error.get("loc") else f" (got {echo(error['input'])})"
    return f"{text[:1].lower()}{text[1:]}{got}"


def yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """PyYAML's problem with ``text`` (a config's or a class file's), with its line, in words a user acts on."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "could not determine a constructor for the tag" in (problem or ""):
        tag = problem.split("tag", 1)[1].strip().strip("'").replace("tag:yaml.org,2002:", "!!")
        problem = f"the tag {tag} is not allowed (segbench reads plain YAML)"
    line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "cannot start any token" in problem and line[mark.column:mark.column + 1] == "\t":
        # libyaml's "found character that cannot start any token" never said which: a tab, in most configs.
        problem = f"a tab at column {mark.column + 1}, where YAML takes spaces only"
    if "found another document" in problem:  # "but found another document": the second half of PyYAML's sentence
        problem = "a second YAML document starts here (`---`), where the file is one; remove the line, or merge the two"
    return f"line {mark.line + 1}: {problem}" if mark else problem
