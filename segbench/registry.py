"""Name -> builder registries, filled by a decorator in each dataset and model module."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Generic, TypeVar

from segbench.errors import ConfigError

T = TypeVar("T")


def closest(name: str, choices) -> str | None:
    """The choice nearest to ``name``, if any is near enough to be a likely typo."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Registry(Generic[T]):
    """Each entry is a builder plus the pydantic class of its config section (None where it takes no options)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, tuple[T, type | None]] = {}

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
        try:
            return self._entries[name]
        except KeyError:
            hint = closest(name, self._entries)
            also = f"did you mean {hint!r}?" if hint else f"available: {', '.join(sorted(self._entries))}"
            raise ConfigError(f"unknown {self.kind} {name!r} ({also})") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries


DATASETS: Registry = Registry("dataset")
MODELS: Registry = Registry("model")
ENCODERS: Registry = Registry("encoder")


def load_builtins() -> None:
    """Import the bundled datasets and models so that they register themselves."""
    from segbench.quiet import quiet_stderr

    with quiet_stderr():  # TensorFlow prints start-up chatter that no setting silences
        import segbench.data
        import segbench.models  # noqa: F401
