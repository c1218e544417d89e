"""Name -> builder registries, filled by a decorator in each dataset and model module."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from segbench.errors import ConfigError
from segbench.plugins import load_entry_points, origin, source_files

T = TypeVar("T")


def closest(name: str, choices) -> str | None:
    """The choice nearest to ``name``, if any is near enough to be a likely typo."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Registry(Generic[T]):
    """Each entry is a builder plus the pydantic class of its config section (None where it takes no options).

    ``locations``: the modules whose import registers the bundled entries (as mmsegmentation's registries name
    theirs), imported the first time the registry is asked for anything, so that no caller has to remember to;
    then the entry points of the installed packages' plugins in ``group`` (``segbench.plugins``)."""

    def __init__(self, kind: str, locations: tuple[str, ...] = (), group: str | None = None):
        self.kind, self.locations, self.group = kind, locations, group
        self._entries: dict[str, tuple[T, type | None]] = {}
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from segbench.quiet import quiet_stderr

        with quiet_stderr():  # TensorFlow prints start-up chatter that no setting silences
            for module in self.locations:
                importlib.import_module(module)
        if self.group:  # outside the silence: a plugin's own warnings are its author's to see
            load_entry_points(self.group)

    def settle(self) -> None:
        """The bundled entries imported now if a plugin registered before them, so that a plugin claiming a
        bundled name fails as it loads, named, rather than later inside segbench's own import."""
        if self._entries:
            self._load()

    def register(self, name: str, options: type | None = None) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ConfigError(f"{self.kind} {name!r} is registered twice: by {origin(self._entries[name][0])} "
                                  f"and by {origin(obj)}")
            self._entries[name] = (obj, options)
            return obj

        return decorate

    def get(self, name: str) -> T:
        return self._entry(name)[0]

    def options(self, name: str) -> type | None:
        return self._entry(name)[1]

    def _entry(self, name: str) -> tuple[T, type | None]:
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            hint = closest(name, self._entries)
            also = f"did you mean {hint!r}?" if hint else f"available: {', '.join(sorted(self._entries))}"
            raise ConfigError(f"unknown {self.kind} {name!r} ({also})") from None

    def holds_any(self) -> bool:
        """Whether anything is registered yet, bundled or a plugin's, without importing anything: a caller that
        holds the bundled entries' figures as data (``models list``) needs the registry only when it does."""
        return bool(self._entries)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._entries


# The dataset adapters import no deep-learning framework: listing, verifying or drawing data stays fast.
DATASETS: Registry = Registry("dataset", ("segbench.data",), group="segbench.datasets")
# The model modules by name, not their package: segbench.models.listing reads its table without importing Keras.
MODELS: Registry = Registry("model", ("segbench.models.grid", "segbench.models.pspnet50", "segbench.models.segformer"),
                          group="segbench.models")
ENCODERS: Registry = Registry("encoder", ("segbench.models.encoders",))


def plugin_files(config) -> list[str]:
    """The files of the user's code a config runs (:func:`segbench.plugins.source_files`): its ``imports:`` and
    the entry point, if any, that brought its model or dataset."""
    return source_files(config.imports, (MODELS.get(config.model.name), DATASETS.get(config.dataset.name)))
