"""The stored state on both axes: every fact's versions over (valid day, knowledge day), kept
exact by the writes.

Every append and import brings it up to date inside its own transaction (`maintain`): for each
fact a write touches, the fact's versions are rebuilt over the corner of the plane the write
changes (`rederive`), from the fact's own events. A query for any (as_of, known_on) then reads
one version per fact and one sum of counts, and folds nothing. A reader trusts the tables only
while `knowledge_head` equals the log's head; a log written any other way (or a store older than
the tables, opened read-only) is replayed instead.

The stored state is an optimisation only: answers with and without it are identical, and
property tests prove it against a full replay for any (as_of, known_on).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from timeline.checkpoints.upkeep import key_text, maintain, rebuild
from timeline.checkpoints.values import decode, fact_types
from timeline.facts import Encoded, FactMap
from timeline.projectors import PROJECTORS
from timeline.projectors.base import FactKey, State
from timeline.store.fact_tables import OPEN, FactTables, Version
from timeline.store.value_codec import Texts

if TYPE_CHECKING:
    from timeline.store import EventStore

__all__ = ["Checkpoints", "StoredState", "key_text", "maintain", "parse_key"]

# A knowledge day later than any report: what a query knowing everything asks for.
EVERYTHING = "9999-12-31"
_INDEX = {projector.name: index for index, projector in enumerate(PROJECTORS)}


@functools.lru_cache(maxsize=65_536)
def parse_key(text: str) -> FactKey:
    # The same keys come back in every query.
    return tuple(json.loads(text))


def knowledge_text(known_on: dt.date | None) -> str:
    return EVERYTHING if known_on is None else known_on.isoformat()


@attrs.frozen
class StoredState:
    """Every projector's state at (as_of, known_on), facts left encoded until read, and how many
    events a snapshot there folds."""

    states: tuple[State, ...]
    events_applied: int


# The end of one day of a walk: (day, the state, events folded by then, the keys set that day by
# projector index).
DayEnd = tuple[dt.date, tuple[State, ...], int, dict[int, list[FactKey]]]


class Checkpoints:
    """The stored state of one store, as queries use it."""

    def __init__(self, store: EventStore):
        self.store = store

    @property
    def tables(self) -> FactTables:
        return self.store.fact_tables

    @property
    def available(self) -> bool:
        """False for a store older than the fact tables (schema 7) opened read-only: it is replayed."""
        return self.tables.available()

    def usable(self) -> bool:
        """Whether the stored state is up to date with the log (the writes keep it so)."""
        return self.available and self.tables.head() == self.store.count()

    def state(
        self, as_of: dt.date, known_on: dt.date | None, shared: dict[int, Encoded] | None = None
    ) -> StoredState | None:
        """The state at (as_of, known_on), read from the tables; None when they are not usable, or
        hold a value this version cannot read (then the query replays). `shared`: value id ->
        the fact already read for it by an earlier state of the same read transaction (a value id
        names one value only within one view of the tables), taken from there and added to."""
        if not self.usable():
            return None
        tables = self.tables
        day, known = as_of.isoformat(), knowledge_text(known_on)
        current = tables.state_at(day, known)
        try:
            states = self._states(current, {} if shared is None else shared)
        except (KeyError, zlib.error):  # a value another version wrote, or a damaged one: replay instead
            return None
        return StoredState(states, tables.count_at(day, known))

    def _states(self, current: dict[int, int], shared: dict[int, Encoded]) -> tuple[State, ...]:
        keys = self.tables.keys()
        texts = self.tables.texts(set(current.values()) - shared.keys())
        by_projector: list[list[tuple[FactKey, Encoded]]] = [[] for _ in PROJECTORS]
        for key_id, value_id in current.items():
            projector, key = keys[key_id]
            fact = shared.get(value_id)
            if fact is None:
                fact = shared[value_id] = _encoded(projector, texts, value_id)
            by_projector[_INDEX[projector]].append((parse_key(key), fact))
        return tuple(FactMap.from_encoded(iter(facts)) for facts in by_projector)

    def days(self, known_on: dt.date | None, until: dt.date) -> Iterator[DayEnd]:
        """The state at the end of every day with events or changes up to `until`, as known on
        `known_on`, each built from the day before by setting only the facts that changed; with
        the keys set that day, by projector index (a day's changes are these keys, nothing else)."""
        tables = self.tables
        known = knowledge_text(known_on)
        last = until.isoformat()
        counts = tables.counts_by_day(known)
        keys = tables.keys()
        loaders = {projector.name: functools.partial(self._load, projector.name) for projector in PROJECTORS}
        states = [projector.initial() for projector in PROJECTORS]
        applied = 0
        days_with_counts = iter(sorted(day for day in counts if day <= last))
        pending = next(days_with_counts, None)

        def end_of(day: str, changed: dict[int, list[FactKey]]) -> DayEnd:
            return dt.date.fromisoformat(day), tuple(states), applied, changed

        for day, changes in itertools.groupby(tables.stream_changes(last, known), key=lambda change: change[0]):
            while pending is not None and pending < day:  # a day whose events changed no fact
                applied += counts[pending]
                yield end_of(pending, {})
                pending = next(days_with_counts, None)
            if pending is not None and pending == day:
                applied += counts[pending]
                pending = next(days_with_counts, None)
            by_projector: dict[int, list[tuple[FactKey, Encoded | None]]] = {}
            for _, key_id, value_id in changes:
                projector, text = keys[key_id]
                value = None if value_id is None else Encoded(None, None, value_id, loaders[projector])
                by_projector.setdefault(_INDEX[projector], []).append((parse_key(text), value))
            for index, facts in by_projector.items():
                states[index] = states[index].updated(facts)
            yield end_of(day, {index: [key for key, _ in facts] for index, facts in by_projector.items()})
        while pending is not None:
            applied += counts[pending]
            yield end_of(pending, {})
            pending = next(days_with_counts, None)

    def history(self, projector: str, key: FactKey) -> list[Version] | None:
        """Every stored version of one fact (its values not read: `values`), or None when the
        tables are not usable."""
        if not self.usable():
            return None
        tables = self.tables
        wanted = key_text(key)
        found = [key_id for key_id, text in tables.keys_named(projector).items() if text == wanted]
        return tables.versions(found)[found[0]] if found else []

    def values(self, projector: str, versions: Sequence[Version]) -> list[Encoded | None]:
        """The value of each of those versions of one projector's facts (None: the fact is gone)."""
        texts = self.tables.texts({row.value_id for row in versions if row.value_id is not None})
        return [None if row.value_id is None else _encoded(projector, texts, row.value_id) for row in versions]

    def count(self) -> int:
        """How many fact versions are stored."""
        return self.tables.count_versions() if self.available else 0

    def clear(self) -> int:
        """Drop the stored state (queries then replay until the next write rebuilds it); returns
        how many fact versions there were. A write like any other: an older store is upgraded."""
        with self.store.write_transaction():
            count = self.tables.count_versions()
            self.tables.clear()
            return count

    def rebuild(self) -> int:
        """Rebuild the stored state from the first event; returns how many fact versions there are."""
        with self.store.write_transaction():
            return rebuild(self.store)

    def _load(self, projector: str, value_id: int) -> tuple[type, bytes]:
        """A stored value and its type, read only when something decodes it: a walk over days
        compares most facts by value id alone."""
        type_tag, text = self.tables.values([value_id])[value_id]
        return fact_types()[projector, type_tag], text


def _encoded(projector: str, texts: Texts, value_id: int) -> Encoded:
    return decode(projector, texts.type_of(value_id), texts.text(value_id), value_id)


__all__ += ["OPEN"]
