"""Checkpoints: the snapshot at the end of every day with events, kept up to date by the writes.

Every append and import brings them up to date inside its own transaction (`refresh`): it
refolds from the first day the write can have changed (its earliest event, and for a
retraction the days of the events whose visibility it changes) and rewrites the checkpoints
of that day and later; earlier ones are untouched. A reader trusts them only while
`checkpoint_head` equals the log's head, so a log written any other way is replayed instead.

**Knowledge time.** A checkpoint holds full knowledge, and records its `knowledge_day`: the
latest `reported_on` among the events that occurred on or before its day, and among the
retractions whose chain of targets reaches such an event. For any `known_on` on or after that
day, the events a snapshot at (as_of=C, known_on) folds up to C are exactly the checkpoint's,
and each is hidden or shown as under full knowledge; so the checkpoint is exact for it, and a
query folds only the events after C that were reported by `known_on`. Knowledge days grow with
the day, so the valid checkpoints for a `known_on` are all those up to some day.

A checkpoint is an optimisation only: answers with and without it are identical, and property
tests prove it against a full replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from timeline import replay
from timeline.facts import Encoded
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store.checkpoint_tables import CheckpointRow

if TYPE_CHECKING:
    from timeline.store import EventStore, Write

from timeline.checkpoints.refresh import refresh
from timeline.checkpoints.stored import Checkpoint, fact_types, load, parse_key

__all__ = ["Checkpoint", "Checkpoints", "load", "maintain", "refresh"]


def maintain(store: EventStore, write: Write) -> None:
    """The write hook that keeps the checkpoints exact: registered on a store by its opener
    (`Timeline`), called by the store inside every write's transaction, after the write's rows."""
    refresh(store, write.earliest_day, head_before=write.head_before, retractions=write.retractions)


class Checkpoints:
    """The checkpoints of one store, as queries use them."""

    def __init__(self, store: EventStore):
        self.store = store

    @property
    def available(self) -> bool:
        """False for a store older than these checkpoint tables (SQLite 6, PostgreSQL 4) opened read-only: it is replayed."""
        return self.store.checkpoint_tables.available()

    def usable(self) -> bool:
        """Whether the checkpoints are up to date with the log (the writes keep them so)."""
        return self.available and self.store.checkpoint_tables.head() == self.store.count()

    def nearest(self, as_of: dt.date, known_on: dt.date | None = None) -> Checkpoint | None:
        """The latest checkpoint on or before `as_of` that is exact for `known_on` (None: full knowledge)."""
        if not self.usable():
            return None
        tables = self.store.checkpoint_tables
        row = tables.nearest(as_of.isoformat(), known_on.isoformat() if known_on else None)
        return load(tables, row) if row else None

    def days(self, after: dt.date | None, until: dt.date) -> list[CheckpointRow]:
        """The checkpoint rows after `after` up to `until` (the days with events), if usable."""
        if not self.usable():
            return []
        return self.store.checkpoint_tables.between(after.isoformat() if after else None, until.isoformat())

    def walk(self, rows: list[CheckpointRow]) -> Iterator[tuple[CheckpointRow, tuple[State, ...]]]:
        """The states at each of `rows` (consecutive checkpoints), each built from the one before by
        setting only the facts that changed, so unchanged facts are the same objects from day to day.
        A fact's value is read from the database only if something decodes it."""
        if not rows:
            return  # a store older than the checkpoint tables has none to read
        tables = self.store.checkpoint_tables
        names = {projector.name: index for index, projector in enumerate(PROJECTORS)}
        keys = tables.keys()
        types = fact_types()

        def loader(projector: str, value_id: int) -> Callable[[], tuple[type, bytes]]:
            def load() -> tuple[type, bytes]:
                type_name, value = tables.values([value_id])[value_id]
                return types[projector, type_name], value

            return load

        states = list(replay.initial_states())

        def set_facts(changed: Iterable[tuple[int, int | None]]) -> None:
            by_projector: dict[int, list[tuple[tuple[str, ...], Encoded | None]]] = {}
            for key_id, value_id in changed:
                projector, key = keys[key_id]
                entry = None if value_id is None else Encoded(None, None, value_id, loader(projector, value_id))
                by_projector.setdefault(names[projector], []).append((parse_key(key), entry))
            for index, facts in by_projector.items():
                states[index] = states[index].updated(facts)

        set_facts(tables.fact_ids(rows[0].as_of).items())
        yield rows[0], tuple(states)
        versions = iter(tables.changes(rows[0].as_of, rows[-1].as_of))
        pending = next(versions, None)
        for row in rows[1:]:
            changed = []
            while pending is not None and pending[0] <= row.as_of:
                changed.append(pending[1:])
                pending = next(versions, None)
            set_facts(changed)
            yield row, tuple(states)

    def count(self) -> int:
        return self.store.checkpoint_tables.count() if self.available else 0

    def clear(self) -> int:
        """Drop every checkpoint (queries then replay until the next write rebuilds them); returns how many.

        A write like any other: an older store is upgraded inside its transaction.
        """
        with self.store.write_transaction():
            return self.store.checkpoint_tables.clear()

    def rebuild(self) -> int:
        """Rebuild every checkpoint from the first event; returns how many there are."""
        with self.store.write_transaction():
            refresh(self.store, None, head_before=None)
            return self.store.checkpoint_tables.count()
