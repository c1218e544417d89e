"""Name -> builder registries, filled by a decorator in each dataset and model module."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from segbench.errors import ConfigError

T = TypeVar("T")


def closest(name: str, choices) -> str | None:
    """The choice nearest to ``name``, if any is near enough to be a likely typo."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Registry(Generic[T]):
    """Each entry is a builder plus the pydantic class of its config section (None where it takes no options).

    ``locations``: the modules whose import registers the bundled entries (as mmsegmentation's registries name
    theirs), imported the first time the registry is asked for anything, so that no caller has to remember to."""

    def __init__(self, kind: str, locations: tuple[str, ...] = ()):
        self.kind, self.locations = kind, locations
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

    def register(self, name: str, options: type | None = None) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
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

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._entries


# The dataset adapters import no deep-learning framework: listing, verifying or drawing data stays fast.
DATASETS: Registry = Registry("dataset", ("segbench.data",))
MODELS: Registry = Registry("model", ("segbench.models",))
ENCODERS: Registry = Registry("encoder", ("segbench.models",))
