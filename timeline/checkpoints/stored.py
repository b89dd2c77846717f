"""A stored checkpoint read back: its states, every fact left encoded until it is read."""

from __future__ import annotations

import datetime as dt
import functools
import json
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from timeline.fact_shapes import shape_tag
from timeline.facts import Encoded, FactMap
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store.checkpoint_tables import CheckpointRow, CheckpointStore

if TYPE_CHECKING:
    pass


@attrs.frozen
class Checkpoint:
    as_of: dt.date
    events_applied: int
    knowledge_day: dt.date | None  # None: the checkpoint rests on no event
    states: tuple[State, ...] = attrs.field(repr=False)


@functools.cache
def fact_types() -> dict[tuple[str, str], type]:
    # By shape tag (name and a digest of the fields): a fact written by a version whose type had
    # other fields is not this version's to decode (timeline/fact_shapes.py).
    return {
        (projector.name, shape_tag(fact_type)): fact_type
        for projector in PROJECTORS
        for fact_type in projector.fact_types
    }


@functools.lru_cache(maxsize=65_536)
def parse_key(text: str) -> tuple[str, ...]:
    # The same keys come back in every checkpoint and every query.
    return tuple(json.loads(text))


def key_text(key: tuple[str, ...]) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def _read(fact_type: type, reader: Callable[[], bytes]) -> tuple[type, bytes]:
    return fact_type, reader()


def load(tables: CheckpointStore, row: CheckpointRow) -> Checkpoint | None:
    """A checkpoint's states, every fact left encoded until it is read (None if another version wrote it)."""
    by_projector: dict[str, list[tuple[tuple[str, ...], Encoded]]] = {projector.name: [] for projector in PROJECTORS}
    types = fact_types()
    try:
        for projector, key, type_name, reader, value_id in tables.facts(row.as_of):
            fact_type = types[projector, type_name]
            entry = Encoded(fact_type, None, value_id, functools.partial(_read, fact_type, reader))
            by_projector[projector].append((parse_key(key), entry))
    except (KeyError, zlib.error):
        # Written by a version with other projectors or fact types, or damaged: replay instead.
        return None
    states = tuple(FactMap.from_encoded(iter(by_projector[projector.name])) for projector in PROJECTORS)
    knowledge = dt.date.fromisoformat(row.knowledge_day) if row.knowledge_day else None
    return Checkpoint(dt.date.fromisoformat(row.as_of), row.events_applied, knowledge, states)
