"""Interning tables: each event, fact version and repeated string is embedded once and cited by index.

A fact that stays the same for fifty days, or a source named by ten thousand events, costs its
text once; days and knowledge deltas then hold small integers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class Interned(Generic[Key]):
    """Rows by key, in first-seen order: `index(key)` adds the row (made by `make`) once."""

    def __init__(self, make: Callable[[Key], Any]):
        self._make = make
        self._index: dict[Key, int] = {}
        self.rows: list[Any] = []

    def index(self, key: Key) -> int:
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.rows)
            self.rows.append(None)  # reserve the slot: `make` may intern other rows first
            self.rows[found] = self._make(key)
        return found

    def keys(self) -> list[Key]:
        """Every key interned so far, in first-seen order (its position is its index)."""
        return list(self._index)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self.rows)


class Strings(Interned[str]):
    def __init__(self) -> None:
        super().__init__(lambda text: text)
