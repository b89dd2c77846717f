"""FactMap: the immutable state of one projector, fact key -> fact.

A persistent map (immutables' HAMT), so a fold step costs O(log n) instead of a copy. Facts
loaded from a checkpoint arrive encoded (JSON text) and are decoded on first read: a query
that folds a few events on top of a checkpoint touches a few facts, and decoding all of a
large state costs more than the rest of the query (measured: ~10 ms for 400 facts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import immutables

from events.codec import state_converter

_MISSING = object()


class Encoded:
    """A fact as checkpoint JSON (`value_id` is its row in checkpoint_values); decoded on first read, then kept."""

    __slots__ = ("_value", "fact_type", "text", "value_id")

    def __init__(self, fact_type: type, text: str, value_id: int | None = None):
        self.fact_type = fact_type
        self.text = text
        self.value_id = value_id
        self._value: Any = _MISSING

    def decode(self) -> Any:
        if self._value is _MISSING:
            # Checkpoints hold facts this code wrote; they were valid when folded.
            with attrs.validators.disabled():
                self._value = state_converter.structure(json.loads(self.text), self.fact_type)
        return self._value


def encode_fact(fact: Any) -> str:
    return json.dumps(state_converter.unstructure(fact), ensure_ascii=False, separators=(",", ":"))


class FactMap:
    """An immutable mapping of fact keys (tuples of str) to facts."""

    __slots__ = ("_entries",)

    def __init__(self, entries: immutables.Map[tuple[str, ...], Any] | None = None):
        self._entries = entries if entries is not None else immutables.Map()

    @classmethod
    def from_encoded(cls, items: Iterator[tuple[tuple[str, ...], Encoded]]) -> FactMap:
        return cls(immutables.Map(items))

    def get(self, key: tuple[str, ...], default: Any = None) -> Any:
        value = self._entries.get(key, _MISSING)
        if value is _MISSING:
            return default
        return value.decode() if type(value) is Encoded else value

    def set(self, key: tuple[str, ...], fact: Any) -> FactMap:
        return FactMap(self._entries.set(key, fact))

    def __getitem__(self, key: tuple[str, ...]) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self._entries)

    def keys(self) -> Iterator[tuple[str, ...]]:
        return iter(self._entries)

    def items(self) -> Iterator[tuple[tuple[str, ...], Any]]:
        for key, value in self._entries.items():
            yield key, value.decode() if type(value) is Encoded else value

    def values(self) -> Iterator[Any]:
        for _, value in self.items():
            yield value

    def raw_items(self) -> Iterator[tuple[tuple[str, ...], Any]]:
        """(key, fact or Encoded): for writing checkpoints without decoding what is still encoded."""
        return iter(self._entries.items())

    def same_fact(self, key: tuple[str, ...], other: FactMap) -> bool:
        """Whether both maps hold an equal fact at `key`, decoding neither when it can be told without."""
        mine, theirs = self._entries.get(key, _MISSING), other._entries.get(key, _MISSING)
        if mine is theirs:
            return True
        if mine is _MISSING or theirs is _MISSING:
            return False
        if type(mine) is Encoded and type(theirs) is Encoded:
            return mine.text == theirs.text  # encoding is deterministic
        return bool(self.get(key) == other.get(key))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FactMap):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._entries.keys()))

    def __repr__(self) -> str:
        return f"FactMap({len(self)} facts)"
