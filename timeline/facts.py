"""FactMap: the immutable state of one projector, fact key -> fact.

A persistent map (immutables' HAMT), so a fold step costs O(log n) instead of a copy. Facts
loaded from a checkpoint arrive encoded (JSON) and are decoded on first read: a query
that folds a few events on top of a checkpoint touches a few facts, and decoding all of a
large state costs more than the rest of the query (measured: ~10 ms for 400 facts).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

import immutables

_MISSING = object()


class Encoded:
    """A fact as a checkpoint stores it: its JSON, and `value_id`, its row in checkpoint_values
    (values are stored once by content, so equal ids mean equal facts). Decoded on first read, then
    kept. A fact whose value has not been read yet carries a `loader` instead: value id -> (type,
    JSON), one for all the facts of a walk (a walk over a million-row log sets 860,000)."""

    __slots__ = ("_fact_type", "_loader", "_text", "_value", "value_id")

    def __init__(
        self,
        fact_type: type | None,
        text: bytes | None,
        value_id: int | None = None,
        loader: Callable[[int], tuple[type, bytes]] | None = None,
    ):
        self._fact_type = fact_type
        self._text = text
        self.value_id = value_id
        self._loader = loader
        self._value: Any = _MISSING

    def _load(self) -> None:
        if self._text is None and self._loader is not None:
            assert self.value_id is not None  # a loader reads a stored value
            self._fact_type, self._text = self._loader(self.value_id)
            self._loader = None

    @property
    def fact_type(self) -> type:
        self._load()
        assert self._fact_type is not None
        return self._fact_type

    @property
    def text(self) -> bytes:
        self._load()
        assert self._text is not None
        return self._text

    def decode(self) -> Any:
        if self._value is _MISSING:
            self._value = fact_codec(self.fact_type)[1](self.text)
        return self._value

    def read(self) -> Any:
        """The fact, decoded afresh unless it is kept already, and not kept: for a reader that
        holds it briefly (a change printed once), so the map that holds this does not grow."""
        return fact_codec(self.fact_type)[1](self.text) if self._value is _MISSING else self._value

    def event_ids(self) -> tuple[str, ...]:
        """Its provenance alone, read from its JSON without building the fact."""
        if self._value is not _MISSING:
            return tuple(self._value.event_ids)
        found: tuple[str, ...] = _provenance_decoder()(self.text).event_ids
        return found


def read_held(held: Any) -> Any:
    """A fact as a map holds it (`Encoded`, or decoded; None: no fact), read as the fact without
    keeping it decoded (`Encoded.read`)."""
    return held.read() if type(held) is Encoded else held


_codecs: dict[type, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {}
_provenance: list[Callable[[bytes], Any]] = []


def _provenance_decoder() -> Callable[[bytes], Any]:
    """Decodes a fact's JSON into its `event_ids` alone (msgspec passes over the other fields)."""
    if not _provenance:
        import msgspec

        class Provenance(msgspec.Struct):
            event_ids: tuple[str, ...] = ()

        _provenance.append(msgspec.json.Decoder(Provenance).decode)
    return _provenance[0]


def fact_codec(fact_type: type) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """(encode, decode) of one fact type as JSON bytes.

    msgspec handles attrs classes, enums, dates and tuples natively and is ~15x faster than
    unstructuring through cattrs; a type it cannot handle falls back to the one cattrs converter.
    Checkpoints hold facts this code folded, so decoding runs no validators (`trusted_decoder`).
    """
    known = _codecs.get(fact_type)
    if known is None:
        known = _codecs[fact_type] = _make_codec(fact_type)
    return known


def _make_codec(fact_type: type) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    import msgspec

    from events.codec import trusted_decoder

    try:
        decoder: Callable[[bytes], Any] = trusted_decoder(fact_type)
        return msgspec.json.Encoder().encode, decoder
    except (TypeError, ValueError):  # pragma: no cover - no current fact type needs it
        import json

        import attrs

        from events.codec import state_converter

        def encode(fact: Any) -> bytes:
            return json.dumps(state_converter.unstructure(fact), ensure_ascii=False, separators=(",", ":")).encode()

        def decode(text: bytes) -> Any:
            with attrs.validators.disabled():
                return state_converter.structure(json.loads(text), fact_type)

        return encode, decode


def encode_fact(fact: Any) -> bytes:
    return fact_codec(type(fact))[0](fact)


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

    def remove(self, key: tuple[str, ...]) -> FactMap:
        return FactMap(self._entries.delete(key))

    def updated(self, changes: list[tuple[tuple[str, ...], Any]]) -> FactMap:
        """A map with every (key, fact) of `changes` set, or removed where the fact is None, in one pass."""
        mutation = self._entries.mutate()
        for key, fact in changes:
            if fact is None:
                mutation.pop(key, None)
            else:
                mutation[key] = fact
        return FactMap(mutation.finish())

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

    def only(self, keys: Collection[tuple[str, ...]]) -> FactMap:
        """The map of just those of `keys` it holds, each as it is (still encoded if it was)."""
        return FactMap(immutables.Map((key, value) for key, value in self._entries.items() if key in keys))

    def raw_items(self) -> Iterator[tuple[tuple[str, ...], Any]]:
        """(key, fact or Encoded): for writing checkpoints without decoding what is still encoded."""
        return iter(self._entries.items())

    def read(self, key: tuple[str, ...]) -> Any:
        """The fact at `key` (or None), decoded without keeping it decoded (`Encoded.read`)."""
        return read_held(self._entries.get(key))

    def stored(self, key: tuple[str, ...]) -> Any:
        """The fact at `key` as held (Encoded while it is not decoded), or None."""
        return self._entries.get(key)

    def same_fact(self, key: tuple[str, ...], other: FactMap) -> bool:
        """Whether both maps hold an equal fact at `key`, decoding neither when it can be told without."""
        mine, theirs = self._entries.get(key, _MISSING), other._entries.get(key, _MISSING)
        if mine is theirs:
            return True
        if mine is _MISSING or theirs is _MISSING:
            return False
        if type(mine) is Encoded and type(theirs) is Encoded:
            if mine.value_id is not None and theirs.value_id is not None:
                return mine.value_id == theirs.value_id  # values are stored once by content
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
