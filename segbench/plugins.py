"""User code that registers models and datasets: a config's ``imports:`` (module names, or ``.py`` files relative
to the config that names them) and installed packages' entry points (groups ``segbench.models``,
``segbench.datasets``). A plugin registers through the same decorators as segbench's own modules
(``MODELS.register(name, options=...)``); an error inside one is one line naming its file. A leaf beside
``segbench.errors``: the registries load entry points through it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
import sysconfig
import traceback
from importlib.metadata import entry_points
from pathlib import Path

from segbench.errors import ConfigError, first_line
from segbench.io import sha256, why_not_a_file

MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

# Plugin files, by the module name each is imported under: a registry names the file, not that made-up name, when
# two plugins claim one name.
_FILES: dict[str, str] = {}
# The source files each ``imports:`` entry loaded (its own and the modules of the user's it imported), kept for a
# second config naming it in the same process, which imports nothing again.
_LOADED: dict[str, list[str]] = {}
_DIGESTS: dict[str, str] = {}  # each plugin file's SHA-256 when this process first saw it
ENTRY_POINTS = "entry point:"  # _LOADED's keys for what each installed package's entry point loaded
# Where the Python installation and segbench keep their modules: versioned, and recorded as versions, not files.
_INSTALLED = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                 *(sysconfig.get_paths()[key] for key in ("stdlib", "purelib", "platlib")),
                                                 Path(__file__).parent)})


def resolve_imports(entries, base_dir: Path, where: str, named: dict[str, str] | None = None) -> list[str]:
    """A config's ``imports:`` as the loader keeps them: ``.py`` paths made absolute from ``base_dir`` (the folder
    of the config that names them, so that a run folder's saved config finds them from anywhere), module names as
    given. ``where`` starts each error line. With ``named``, a file is not looked for yet: each resolved path gets
    the error line it would have there (``missing_import`` says it), since a ``--set imports=[...]`` may still
    replace it (the way a moved plugin is named again). A link to nothing is called one, leading where it looked."""
    entries = [entries] if isinstance(entries, str) else entries
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        raise ConfigError(f"{where}: expected a list of module names or .py files")
    resolved = []
    for entry in entries:
        if entry.endswith(".py"):
            given = base_dir / os.path.expanduser(entry)  # a leading ~ as a shell would read it
            path = given.resolve()
            if named is not None:
                named[str(path)] = f"{where}: {entry} {why_not_a_file(given)} (looked for {path})"
            elif not path.is_file():
                raise ConfigError(f"{where}: {entry} {why_not_a_file(given)} (looked for {path})")
            resolved.append(str(path))
        elif entry.lower().endswith((".yaml", ".yml", ".json", ".txt")):
            # A file's name: read as a module name, 'this.yaml' imported the stdlib's `this` before it failed.
            raise ConfigError(f"{where}: {entry!r} names a {entry.rsplit('.', 1)[1]} file; imports take .py files "
                              "and module names (a config's base files go under base:)")
        elif entry.lower().endswith(".py"):  # read as the module name PDS: "No module named 'PDS'"
            raise ConfigError(f"{where}: {entry!r} ends in {entry.rsplit('.', 1)[1]}, not .py: a plugin file's name ends "
                              "in lower-case .py; rename it")
        elif MODULE_NAME.fullmatch(entry):
            resolved.append(entry)
        else:
            raise ConfigError(f"{where}: {entry!r} is neither a .py file nor a module name")
    return resolved


def missing_import(entries: list[str], named: dict[str, str]) -> str | None:
    """The error line of the first file of ``entries`` that ``resolve_imports`` left in ``named`` and is not there;
    None when all are."""
    return next((named[entry] for entry in entries if entry in named and not Path(entry).is_file()), None)


def import_plugins(entries: list[str], where: str | None = None) -> None:
    """Import each entry of ``resolve_imports``: a module by its name, a file under a name made from its path, so
    that a second config naming the same file (a sweep's, a resumed run's) finds it imported and registers nothing
    twice. ``where``, the config that names them, leads a module's error line (a file's names the file)."""
    _witness_imports()
    for entry in entries:
        before = set(sys.modules)
        if entry.endswith(".py"):
            _guarded(entry, lambda path=entry: _import_file(Path(path)), file=entry)
        else:
            _guarded(f"{where}: imports: {entry}" if where else entry, lambda name=entry: importlib.import_module(name))
        if entry not in _LOADED:
            own = sys.modules.get(entry) if not entry.endswith(".py") else None  # imported before, by another way
            new = [sys.modules[name] for name in sys.modules if name not in before] + ([own] if own else [])
            _LOADED[entry] = sorted({str(Path(module.__file__).resolve()) for module in new if _users(module)}
                                    | ({entry} if entry.endswith(".py") else set()))
            digests(_LOADED[entry])  # as imported: an edit while the run trains is not the code that ran


def source_files(entries: list[str], used=()) -> list[str]:
    """The files of the user's code that importing ``entries`` ran: each plugin file, the file a module name
    resolved to, and the modules of theirs those imported (a model's code in a helper module), not the installed
    packages', whose versions are recorded instead; and, for each registered object in ``used`` (the run's model
    builder and dataset adapter) that an entry point brought, what that entry point loaded (an editable install's
    code, edited under one version). For digests that tell a changed plugin."""
    files = {file for entry in entries for file in _LOADED.get(entry, [])}
    defined = {_file_of(getattr(obj, "__module__", "")) for obj in used}
    # With what the other entry points loaded, where the run's objects came from one: a helper (of its project or
    # of another's) that the one loaded first imported is not new when the next one imports it, and its edit went
    # unnoticed. An edit of another plugin's is refused then too: over-recording, never a silent change.
    if any(key.startswith(ENTRY_POINTS) and defined & set(loaded) for key, loaded in _LOADED.items()):
        files |= {file for key, loaded in _LOADED.items() if key.startswith(ENTRY_POINTS) for file in loaded}
    # And what the plugins' folders gave since: a helper a builder imports only when it builds (heavy imports kept
    # out of the plugin's import) was not seen as the plugin was imported, and its edit went unnoticed.
    # Only where there are plugins: resolving every loaded module's file took 0.14 s a call (a run calls this at
    # each epoch) with none.
    folders = {_home(file) for file in files}
    files |= {str(Path(module.__file__).resolve()) for module in (list(sys.modules.values()) if folders else ())
              if _users(module) and any(Path(module.__file__).resolve().is_relative_to(folder) for folder in folders)}
    return sorted(files)


def _home(file: str) -> Path:
    """The folder of ``file``'s top-level package (its own folder outside a package): two entry points of one
    package sharing a helper in a sibling subpackage recorded the helper for the first only, and an edit of it was
    scored as the second's run."""
    folder = Path(file).parent
    while (folder / "__init__.py").is_file() and (folder.parent / "__init__.py").is_file():
        folder = folder.parent
    return folder


def _file_of(module: str) -> str | None:
    found = getattr(sys.modules.get(module), "__file__", None)
    return str(Path(found).resolve()) if found else None


def digests(files: list[str]) -> dict[str, str] | None:
    """Each file's SHA-256 as it was when first seen in this process (imported, or found loaded once the model
    was built), as a run records its plugins' (None for a run without any): Python runs the code it imported
    however the file is edited after, and a digest taken when the run finished vouched for an edit made while it
    trained."""
    for file in files:
        if file not in _DIGESTS:
            _DIGESTS[file] = sha256(file)
    return {file: _DIGESTS[file] for file in files} or None


class _ImportWitness:
    """First on ``sys.meta_path`` once plugins are loaded: it finds each module through the finders after it, so
    nothing resolves otherwise, and takes the digest of a file of the user's as it is imported. A helper a plugin
    imports late (inside ``load()``, as a loader thread first reads a sample), edited while the run trained, was
    recorded by the edited file's digest, though the code that ran was the file as imported."""

    def find_spec(self, name, path=None, target=None):
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.origin and _users_file(spec.origin):
                    digests([str(Path(spec.origin).resolve())])
                return spec
        return None


def _witness_imports() -> None:
    if not any(isinstance(finder, _ImportWitness) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ImportWitness())


def unrecorded(recorded: dict | None, files: list[str]) -> str | None:
    """The first of ``files`` (the user's code a config loads now) that a run did not record (None when all are,
    or the run recorded none): a module name is found from where segbench is called, and from another folder it
    named another file, whose model was scored as the run's."""
    if recorded is None:
        return None
    # Or a recorded place that leads to it: a plugin moved and linked back where the run imported it, as
    # docs/models.md advises, was refused as another file (probe 22b case 15); its bytes are checked by digest.
    return next((file for file in files if file not in recorded and not any(_same_file(file, place)
                                                                            for place in recorded)), None)


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # either gone
        return False


def _users(module) -> bool:
    return _users_file(getattr(module, "__file__", None))


def _users_file(file: str | None) -> bool:
    """Whether ``file`` is Python source of the user's, not of the installation's packages or segbench's."""
    return bool(file) and file.endswith(".py") and not any(Path(file).resolve().is_relative_to(place)
                                                           for place in _INSTALLED)


def load_entry_points(group: str) -> None:
    """Import every installed package's entry point in ``group`` (``my_model = "my_package.model"`` under
    ``[project.entry-points."segbench.models"]``): importing the module it names is what registers."""
    _witness_imports()
    for point in entry_points(group=group):
        dist = f", from {point.dist.name} {point.dist.version}" if point.dist else ""
        before = set(sys.modules)
        _guarded(f"entry point {point.name} = {point.value} ({group}{dist})", point.load)
        # An editable install's code is the user's, edited under one version: recorded as an imports: entry's is
        # (an installed package's, in site-packages, is not).
        _LOADED[f"{ENTRY_POINTS}{point.value}"] = sorted(
            str(Path(sys.modules[name].__file__).resolve()) for name in set(sys.modules) - before
            if _users(sys.modules[name]))
        digests(_LOADED[f"{ENTRY_POINTS}{point.value}"])


def bundled(obj) -> bool:
    """Whether a registered object (a builder, an adapter) is segbench's own, not a plugin's: the contracts a
    plugin is held to as it is built are the bundled code's tests' matter."""
    return origin(obj).startswith("segbench.")


def origin(obj) -> str:
    """Where a registered object comes from, for an error line: its plugin file, else its module's name."""
    module = getattr(obj, "__module__", None) or "?"
    return _FILES.get(module, module)


def _import_file(path: Path) -> None:
    stem, digest = re.sub(r"\W", "_", path.stem), hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"_segbench_plugin_{stem}_{digest}"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # In sys.modules before it runs, as an import would put it: pydantic and dataclasses look their module up there.
    sys.modules[name], _FILES[name] = module, str(path)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _guarded(what: str, load, file: str | None = None) -> None:
    """``load()``, with any error in it as one ConfigError line naming ``what`` (the line of ``file`` it came from,
    where it came from there), not a traceback."""
    try:
        load()
    except ConfigError as exc:  # a name registered twice says so, and names both
        raise ConfigError(f"{what}: {exc}") from None
    except SyntaxError as exc:  # its traceback ends in the import machinery; the error itself says where
        elsewhere = f"{exc.filename} " if exc.filename not in (file, None) else ""
        raise ConfigError(f"{what}: {elsewhere}line {exc.lineno}: {type(exc).__name__}: {exc.msg}") from None
    except SystemExit as exc:  # a plugin that ends the process as it is imported would end it without a word
        raise ConfigError(f"{what}: called sys.exit({exc.code!r}) while being imported") from None
    except Exception as exc:  # noqa: BLE001  (user code may raise anything; all of it is one line naming it)
        lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == file]
        at = f"line {lines[-1]}: " if lines else ""
        raise ConfigError(f"{what}: {at}{type(exc).__name__}: {first_line(exc)}") from None
