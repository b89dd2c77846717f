"""Fact values between the fold and the fact tables: encoded once, compared by digest, stored once.

A value is a fact object (or None: no fact), its shape tag (`fact_shapes`: a value written by a
version whose fact type had other fields is never misread) and its JSON; its digest is its
identity in `fact_values`. Values read back from the tables are decoded only when a fold needs
them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import attrs

from timeline.fact_shapes import shape_tag
from timeline.facts import Encoded, encode_fact
from timeline.projectors import PROJECTORS
from timeline.store.fact_tables import FactTables, Previous
from timeline.store.value_codec import digest_of


@attrs.frozen(eq=False)
class FactValue:
    fact: Any  # None: the fact is gone (or was never there)
    digest: bytes | None
    type_tag: str = ""
    text: bytes = b""


NO_FACT = FactValue(None, None)


@functools.cache
def fact_types() -> dict[tuple[str, str], type]:
    """(projector name, shape tag) -> fact type, for decoding stored values."""
    return {
        (projector.name, shape_tag(fact_type)): fact_type
        for projector in PROJECTORS
        for fact_type in projector.fact_types
    }


class ValueCodec:
    """The values of one projector's facts during one write: encodes the folded ones (the same
    object once), decodes the stored ones a fold starts from, and stores the new ones."""

    def __init__(self, tables: FactTables, projector: str):
        self.tables, self.projector = tables, projector
        self._encoded: dict[int, tuple[Any, FactValue]] = {}
        self._stored: dict[int, FactValue] = {}
        self.previous: Previous | None = None

    def value(self, fact: Any) -> FactValue:
        if fact is None:
            return NO_FACT
        known = self._encoded.get(id(fact))
        if known is not None and known[0] is fact:
            return known[1]
        if type(fact) is Encoded:
            fact_type: type = fact.fact_type
            tag, text = shape_tag(fact_type), fact.text
        else:
            cls: type = fact.__class__
            tag, text = shape_tag(cls), encode_fact(fact)
        value = FactValue(fact, digest_of(tag, text), tag, text)
        self._encoded[id(fact)] = (fact, value)
        return value

    def value_of(self, value_id: int | None) -> FactValue:
        """A stored value, to fold from (decoded when the fold first reads it)."""
        if value_id is None:
            return NO_FACT
        known = self._stored.get(value_id)
        if known is None:
            type_tag, text = self.tables.values([value_id])[value_id]
            fact_type = fact_types()[self.projector, type_tag]
            fact = Encoded(fact_type, text, value_id)
            known = self._stored[value_id] = FactValue(fact, digest_of(type_tag, text), type_tag, text)
            self._encoded[id(fact)] = (fact, known)
        return known

    def continue_from(self, value_id: int | None) -> None:
        """The key's next values are stored as differences from its value `value_id`."""
        self.previous = None if value_id is None else self.tables.previous_of(value_id)

    def store(self, values: Iterable[FactValue]) -> dict[bytes | None, int | None]:
        """digest -> value id of each value (in the order the key took them), storing the new ones
        as differences from the value before."""
        wanted: dict[bytes, FactValue] = {}
        for value in values:
            if value.digest is not None and value.digest not in wanted:
                wanted[value.digest] = value
        ids: dict[bytes | None, int | None] = {None: None}
        if wanted:
            stored, self.previous = self.tables.store_values(
                [(digest, value.type_tag, value.text) for digest, value in wanted.items()], self.previous
            )
            ids.update(stored.items())
        return ids

    def forget_folded(self) -> None:
        """Between bands: the objects folded for one band need not be recognised in the next."""
        self._encoded.clear()

    def forget(self) -> None:
        """Between keys: the objects of one key's fold are not the next key's."""
        self._encoded.clear()
        self._stored.clear()
        self.previous = None


def decode(projector: str, type_tag: str, text: bytes, value_id: int) -> Encoded:
    """A stored value as a fact a snapshot holds (decoded on first read)."""
    return Encoded(fact_types()[projector, type_tag], text, value_id)
