"""Run configs: YAML files with ``base:`` inheritance and ``--set`` overrides, validated by pydantic.

Every leaf key remembers which file (or ``--set``) gave it its value, so an error names the place to fix.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator

from segbench.data.base import check_class_weights, loss_void
from segbench.errors import ConfigError, DataError
from segbench.io import not_a_file, why_not_a_file
from segbench.plugins import import_plugins, missing_import, resolve_imports
from segbench.registry import DATASETS, ENCODERS, MODELS, closest
from segbench.schema import Config, DatasetConfig, KeyProblem, ModelConfig, Section, TrainConfig
from segbench.shipped import config_names, find_config
from segbench.yamlsafe import MAX_CONFIG_CHARS, echo, load_checked, problem_words, yaml_problem


class CheckedTrainConfig(TrainConfig):
    """``train`` as a loaded config has it: each ``augment`` item checked against albumentations. The check lives
    here, not in the leaf schema, because it needs segbench.data."""

    @field_validator("augment")
    @classmethod
    def known_transforms(cls, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not specs:
            return specs
        # Imported here: albumentations takes a second to import, and most commands never augment.
        from segbench.data.augment import check_transforms

        return check_transforms(specs)


Sources = dict[tuple[str, ...], str]
IMPORTS = "imports"  # the top-level key of the plugins a config needs


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read ``path`` with its bases, apply ``KEY=VALUE`` overrides, and validate the result. ``path`` is a file,
    or the name of a config shipped with segbench (``smoke/segnet``), so that an installed segbench runs its own
    configs from any directory."""
    path = resolve_path(path)
    named: dict[str, str] = {}
    raw, sources = _read_tree(path, chain=(), read={}, named=named)
    for item in overrides:
        key, value = parse_override(item)
        if key == (IMPORTS,):  # paths on the command line are the user's, from where they stand
            value = resolve_imports(value, Path.cwd(), where=f"--set {IMPORTS}")
        _override(raw, sources, key, value)
    # Only now: the files' own plugins are looked for once a --set imports=[...] has had its chance to replace them.
    missing = missing_import(raw.get(IMPORTS) or [], named)
    if missing:
        raise ConfigError(missing)
    # Before validation: the plugins register the models and datasets (and their schemas) the sections name.
    import_plugins(raw.get(IMPORTS, []), where=sources.get((IMPORTS,), str(path)))
    for registry in (DATASETS, MODELS, ENCODERS):
        registry.settle()
    return validate(raw, sources, default_source=str(path))


def resolve_path(path: str | Path) -> Path:
    """``path`` itself when it is a file, else the shipped config it names; a one-line ConfigError when neither."""
    path = Path(path)
    if path.is_file():
        return path
    shipped = find_config(str(path))
    if shipped is not None:
        return shipped
    hint = None if path.is_absolute() else closest(str(path).removesuffix(".yaml"), config_names())
    raise ConfigError(_no_config(path) + (f" (did you mean the shipped config {hint}?)" if hint else ""))


def _no_config(path: Path) -> str:
    return f"{path}: {not_a_file(path, 'no such config file')}"


def parse_override(item: str) -> tuple[tuple[str, ...], Any]:
    """``model.input_size=[96,128]`` -> (("model", "input_size"), [96, 128]); the value is parsed as YAML."""
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    if sep and re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", key.strip()) and any(part.isdigit() for part in parts):
        whole = ".".join(parts[:next(i for i, part in enumerate(parts) if part.isdigit())])
        raise ConfigError(f"--set {item}: a list is set whole, not one item by its index (e.g. {whole}=[...])")
    # Letters of any script: `train.ëpochs` was "expected KEY.PATH=VALUE", where `train.epöchs` got "did you mean".
    if not sep or not re.fullmatch(r"[^\W\d]\w*(\.[^\W\d]\w*)*", key.strip()):
        raise ConfigError(f"--set {item}: expected KEY.PATH=VALUE, e.g. train.epochs=5")
    try:
        value = load_checked(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {item}: value is not valid YAML ({yaml_problem(exc, text)})") from None
    return tuple(key.strip().split(".")), value


def validate(raw: dict, sources: Sources, default_source: str) -> Config:
    """Check ``raw`` against the schema of its dataset and model, raising ConfigError with the culprit's source."""
    fields: dict[str, Any] = {"train": (CheckedTrainConfig, Field(default_factory=CheckedTrainConfig))}
    for section, registry, base in (("dataset", DATASETS, DatasetConfig), ("model", MODELS, ModelConfig)):
        given = raw.get(section)
        if not isinstance(given, dict):  # the schema says what the section should be
            continue
        where = _source_of(sources, (section, "name"), default_source)
        named = "" if where == f"--set {section}.name" else f"{section}.name: "
        # Without a name the section is checked against no dataset's or model's keys, and a base's own keys were
        # blamed as unknown: the name is what is missing, so that is what is said.
        if "name" not in given:
            raise ConfigError(f"{where}: missing key '{section}.name' (available: {', '.join(sorted(registry.names()))})")
        name = given["name"]
        if not isinstance(name, str):  # YAML reads 123, true, null or 2020-01-01 as no string
            raise ConfigError(f"{where}: {named}expected the name of a {registry.kind}, got {echo(name)} "
                              f"(available: {', '.join(sorted(registry.names()))})")
        try:
            fields[section] = (registry.options(name) or base, ...)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {named}{exc}") from None
    schema = create_model("ResolvedConfig", __base__=Config, **fields)
    try:
        config = schema.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, schema, sources, default_source, raw)) from None
    # Train keys that must agree with the dataset are checked now, before a run folder is made, not hours into a run.
    if config.train.ignore_index != "void" or isinstance(config.train.class_weights, list):
        try:
            adapter = DATASETS.get(config.dataset.name)(config.dataset)
        except DataError:  # a class file not there yet: the run names it, and these keys are checked then
            return config
        for key, check in (("ignore_index", loss_void), ("class_weights", check_class_weights)):
            try:
                check(adapter, getattr(config.train, key))
            except ConfigError as exc:
                where = _source_of(sources, ("train", key), default_source)
                text = str(exc).removeprefix(f"train.{key}: ") if where == f"--set train.{key}" else exc
                raise ConfigError(f"{where}: {text}") from None
    return config


def dataset_config(name: str, root: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> DatasetConfig:
    """The ``dataset`` section for a dataset named on the command line, with ``--set`` keys relative to it
    (``num_classes=3`` or ``dataset.num_classes=3``), and ``--set imports=[...]`` naming the plugins that register
    it."""
    section: dict = {"name": name, **({"root": root} if root else {})}
    sources: Sources = {}
    for item in overrides:
        key, value = parse_override(item)
        if key == (IMPORTS,):  # a plugin dataset's module: `datasets verify my_data --set imports=[my_data.py]`
            import_plugins(resolve_imports(value, Path.cwd(), where=f"--set {IMPORTS}"), where=f"--set {IMPORTS}")
            DATASETS.settle()
            continue
        key = key[1:] if key[0] == "dataset" and len(key) > 1 else key
        # The command line's own name and --root would be replaced without a word (imitate wrote elsewhere).
        if key == ("name",) or (key == ("root",) and root):
            given = f"the command names it {name!r}" if key == ("name",) else f"--root gives it ({root})"
            raise ConfigError(f"--set {item.partition('=')[0].strip()}: {given}; leave out the --set")
        _override(section, sources, key, value, under=("dataset",))
    try:
        options = DATASETS.options(name) or DatasetConfig
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    schema = create_model("DatasetOnly", __base__=Section, dataset=(options, ...))
    try:
        return schema.model_validate({"dataset": section}).dataset
    except ValidationError as exc:
        message = _describe(exc, schema, sources, default_source=name)
        hint = " (give it with --set KEY=VALUE)" if "missing key" in message else ""
        raise ConfigError(message + hint) from None


def merged(path: str | Path) -> dict:
    """A config file with its bases merged, as written: no defaults filled in, nothing validated (and so no
    dataset or model module loaded)."""
    return _read_tree(Path(path), (), {}, {})[0]


def _read_tree(path: Path, chain: tuple[Path, ...], read: dict[Path, tuple[dict, Sources]],
               named: dict[str, str]) -> tuple[dict, Sources]:
    """The merged tree of ``path`` and its bases, and the file each leaf came from. ``imports`` add up along the
    way, each resolved from the file that names it, rather than the last file's list replacing its bases'.

    ``read`` holds the trees already made in this load, by file: a base two files share (a diamond) is read and
    merged once, not once per path to it, which 30 levels of two bases each made 2**30 readings of. ``named`` gets
    the error line of each plugin file not there yet, for the caller to say once overrides are in (``missing_import``)."""
    if path.resolve() in read:
        tree, sources = read[path.resolve()]
        return copy.deepcopy(tree), dict(sources)  # merging writes into the tree it is given
    data = _read_yaml(path)
    bases = data.pop("base", [])
    bases = [bases] if isinstance(bases, str) else bases
    if not isinstance(bases, list) or not all(isinstance(b, str) and b.strip() for b in bases):
        # An empty name is the config's own folder: "base:  is a folder, not a file" named no mistake.
        empty = isinstance(bases, list) and any(isinstance(b, str) and not b.strip() for b in bases)
        raise ConfigError(f"{path}: base: expected a file name or a list of file names{', got an empty one' * empty}")
    own_imports = resolve_imports(data.pop(IMPORTS, []), path.parent.resolve(), where=f"{path}: {IMPORTS}", named=named)
    merged: dict = {}
    sources: Sources = {}
    imports: list[str] = []
    for name in bases:
        name = os.path.expanduser(name)  # `~/configs/x.yaml`, as a shell would read it (and as paths in a config are)
        base_path = (path.parent / name).resolve()
        if base_path in chain or base_path == path.resolve():
            raise ConfigError(f"{path}: base: {name} includes itself (a cycle through {base_path.name})")
        if not base_path.is_file():
            raise ConfigError(f"{path}: base: {name} {why_not_a_file(path.parent / name)} (looked for {base_path})")
        tree, tree_sources = _read_tree(base_path, chain + (path.resolve(),), read, named)
        imports += tree.pop(IMPORTS, [])
        _merge(merged, tree)
        sources.update(tree_sources)
    _merge(merged, data)
    sources.update({key: str(path) for key in _leaf_paths(data)})
    imports = list(dict.fromkeys(imports + own_imports))  # a plugin two bases share is imported once
    if imports:
        merged[IMPORTS] = imports
        sources[(IMPORTS,)] = str(path)
    read[path.resolve()] = copy.deepcopy(merged), dict(sources)
    return merged, sources


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(_no_config(path))
    try:
        with path.open(encoding="utf-8") as file:
            text = file.read(MAX_CONFIG_CHARS + 1)  # no more than that is ever read
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    try:
        data = load_checked(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {yaml_problem(exc, text)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (dataset, model, ...), got a {type(data).__name__}")
    return data


def _merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _leaf_paths(tree: dict, prefix: tuple[str, ...] = ()):
    for key, value in tree.items():
        here = prefix + (str(key),)
        yield here
        if isinstance(value, dict):
            yield from _leaf_paths(value, here)


def _override(tree: dict, sources: Sources, key: tuple[str, ...], value: Any, under: tuple[str, ...] = ()) -> None:
    """``--set key=value`` applied to ``tree`` (the section ``under`` of the config). The value replaces all that the
    files held under ``key``, so their sources go too: a key missing now is the override's doing, and named so."""
    where = f"--set {'.'.join(key)}"
    _set_path(tree, key, value, where=where)
    for replaced in [known for known in sources if known[:len(under + key)] == under + key]:
        del sources[replaced]
    sources[under + key] = where


def _set_path(tree: dict, key: tuple[str, ...], value: Any, where: str) -> None:
    node = tree
    for i, part in enumerate(key[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: {'.'.join(key[: i + 1])} is a value, not a section")
        node = child
    node[key[-1]] = value


def _source_of(sources: Sources, loc: tuple[str, ...], default: str) -> str:
    if loc not in sources:
        # An unknown key that only an override's longer path made (--set trän.epochs=1 makes 'trän'): that --set,
        # not the file of the section above it.
        below = [where for known, where in sources.items() if known[:len(loc)] == loc]
        if below:
            return below[-1]
    for end in range(len(loc), 0, -1):
        if loc[:end] in sources:
            return sources[loc[:end]]
    return default


def _describe(exc: ValidationError, schema: type[BaseModel], sources: Sources, default_source: str,
              raw: dict | None = None) -> str:
    # A typo'd key shows up twice, as an unknown key and as a missing one: the unknown one says what to fix.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first, errors = _branch_of(errors)
    loc = tuple(str(part) for part in first["loc"] if not _is_branch(part))
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, KeyProblem):  # the section's validator knows which of its keys is at fault
        loc, first = loc + (problem.key,), {**first, "input": problem.value}
    dotted = ".".join(loc)
    where = _source_of(sources, loc, default_source)
    # A --set names the key already (`datasets imitate --set classes=...` is dataset.classes): not twice.
    given = where.removeprefix("--set ") if where.startswith("--set ") else None
    named = "" if given is not None and (dotted == given or dotted.endswith(f".{given}")) else f"{dotted}: "
    if first["type"] == "extra_forbidden" and (other := _another_s_key(loc, where, raw, sources, default_source)):
        message = f"unknown key '{dotted}' {other}"
    elif first["type"] == "extra_forbidden":
        # `base:` is read before the schema: mmsegmentation's `_base_` got no hint.
        hint = closest(loc[-1], _fields_at(schema, loc[:-1]) + (["base"] if len(loc) == 1 else []))
        message = f"unknown key '{dotted}'" + (f" (did you mean '{'.'.join(loc[:-1] + (hint,))}'?)" if hint else "")
    elif first["type"] == "missing":
        message = f"missing key '{dotted}'"
    elif first["type"] == "model_type":  # pydantic names the section by its class (CheckedTrainConfig); we by its keys
        keys = ", ".join(_fields_at(schema, loc)[:3])
        message = f"{named}expected a section (a mapping of keys{' such as ' + keys if keys else ''}), got " \
                  f"{echo(first['input'])}"
    else:
        message = f"{named}{problem_words(first)}"
    more = f" [and {len(errors)} more problem{'s' if len(errors) > 1 else ''}]" if errors else ""
    return f"{where}: {message}{more}"


# Shipped bases that set no key of the other section: what a config of another dataset or model can be based on.
_WITHOUT = {"dataset": "configs/_base/schedule.yaml and configs/_base/models/*.yaml set no dataset",
            "model": "configs/_base/schedule.yaml and configs/_base/datasets/*.yaml set no model"}


def _another_s_key(loc: tuple[str, ...], where: str, raw: dict | None, sources: Sources,
                   default_source: str) -> str | None:
    """Why a dataset's or model's key is unknown where it came from a base of another dataset or model than the
    one a later file names: a config of the folder dataset over the demo's synthetic one was told "unknown key
    'dataset.image_size' (did you mean 'dataset.image_suffix'?)", a key it never wrote (probe 21a case 7)."""
    if raw is None or len(loc) != 2 or loc[0] not in _WITHOUT or where.startswith("--set ") or \
            not Path(where).is_file():
        return None
    try:
        own = merged(where).get(loc[0], {}).get("name")  # the name the key's own file, or its bases, gave
    except (ConfigError, AttributeError):
        return None
    name = raw[loc[0]]["name"]
    if own is None or own == name:  # the key is the file's own mistake, told as such
        return None
    kind = "dataset" if loc[0] == "dataset" else "model"
    named_in = _source_of(sources, (loc[0], "name"), default_source)
    instead = (f", or give the whole section (--set '{loc[0]}={{name: {name}, ...}}' replaces the files')"
               if named_in.startswith("--set ") else "")
    return (f"for the {kind} {name!r} that {named_in} names: it is a key of {own!r}, which this file names, and a "
            f"base's {loc[0]} keys merge into a config's; base your config on files that set none "
            f"({_WITHOUT[loc[0]]}){instead}")


_PLAIN_BRANCHES = {"int", "float", "str", "bool", "none"}


def _is_branch(part) -> bool:
    """Whether a part of pydantic's error location names a branch of a union ("list[float]",
    "literal['none','median_frequency']", "int") rather than a key or an index."""
    return isinstance(part, str) and ("[" in part or part in _PLAIN_BRANCHES)


def _fits(branch: str, value) -> bool:
    if isinstance(value, list | tuple):
        return branch.startswith(("list[", "tuple["))
    if isinstance(value, str):
        return branch.startswith(("literal[", "str"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return branch in ("int", "float") or branch.startswith("literal[")
    return False


def _branch_of(errors: list[dict]) -> tuple[dict, list[dict]]:
    """The error to tell and the others. Where the first is one branch's of a union (a list of class weights,
    or one of two words), the branch of the value's own kind: a list holding a null was told it is not 'none' or
    'median_frequency', its null hidden behind "[and 1 more problem]". The other branches' errors are not more
    problems of the user's."""
    first = errors[0]
    at = next((i for i, part in enumerate(first["loc"]) if _is_branch(part)), None)
    if at is None:
        return first, errors[1:]
    field = first["loc"][:at]
    branches = [e for e in errors if e["loc"][:at] == field and len(e["loc"]) > at and _is_branch(e["loc"][at])]
    whole = next((e["input"] for e in branches if len(e["loc"]) == at + 1), None)
    chosen = next((e for e in branches if _fits(e["loc"][at], whole)), first)
    return chosen, [e for e in errors if e not in branches]


def _fields_at(schema: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    model = schema
    for part in loc:
        field = model.model_fields.get(part)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        model = field.annotation
    return list(model.model_fields)
