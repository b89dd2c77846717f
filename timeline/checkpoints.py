"""Checkpoints: cached snapshots in the same database, so a query folds only the days after one.

A checkpoint holds every projector's facts as of the end of a day (`as_of`), and the log
position it includes (`log_seq`). It is made with the full knowledge of the log at that
position (no `known_on`). An append that lands on or before its day deletes it, in the
append's own transaction (see `EventStore.append`). A checkpoint is an optimisation only:
answers with and without checkpoints are identical, and a property test proves it.

Checkpoints are written through a second connection to the database (`EventStore.cache_session`),
so a replay can keep streaming its rows while the days it has passed are saved; each save checks,
under the write lock, that the log has not moved since the replay read it, and is skipped
otherwise. The SQL is portable: the same module serves every backend.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from typing import Any

import attrs

from timeline.fact_shapes import shape_tag
from timeline.facts import Encoded, FactMap, encode_fact
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store import EventStore
from timeline.store.base import SqlSession


@attrs.frozen
class Checkpoint:
    as_of: dt.date
    log_seq: int
    events_applied: int
    states: tuple[State, ...] = attrs.field(repr=False)


class Checkpoints:
    """The checkpoints of one store."""

    def __init__(self, store: EventStore):
        self.store = store
        self._available = False
        self._fact_types = {
            (projector.name, shape_tag(fact_type)): fact_type
            for projector in PROJECTORS
            for fact_type in projector.fact_types
        }

    @property
    def available(self) -> bool:
        """False for a store opened read-only at schema version 1 (no checkpoint tables)."""
        if not self._available:  # an old store gains the tables with its first write
            self._available = self.store.has_table("checkpoints")
        return self._available

    def nearest(self, as_of: dt.date) -> Checkpoint | None:
        """The latest valid checkpoint on or before `as_of`, its facts left encoded until read."""
        if not self.available:
            return None
        found = self.store.query(
            "SELECT id, as_of, log_seq, events_applied FROM checkpoints WHERE as_of <= ? ORDER BY as_of DESC LIMIT 1",
            [as_of.isoformat()],
        )
        if not found:
            return None
        checkpoint_id, day, log_seq, events_applied = found[0]
        if log_seq > self.store.count():
            return None  # from a log longer than this one: not ours to trust
        by_projector: dict[str, list[tuple[tuple[str, ...], Encoded]]] = {
            projector.name: [] for projector in PROJECTORS
        }
        rows = self.store.query(
            "SELECT f.projector, f.key, v.type, v.value, v.id FROM checkpoint_facts f "
            "JOIN checkpoint_values v ON v.id = f.value_id WHERE f.checkpoint_id = ?",
            [checkpoint_id],
        )
        fact_types = self._fact_types
        try:
            for projector, key, type_name, value, value_id in rows:
                by_projector[projector].append(
                    (_parse_key(key), Encoded(fact_types[projector, type_name], value, value_id))
                )
        except KeyError:
            # Written by a version with other projectors or fact shapes (timeline/fact_shapes.py): replay instead.
            return None
        states = tuple(FactMap.from_encoded(iter(by_projector[projector.name])) for projector in PROJECTORS)
        return Checkpoint(dt.date.fromisoformat(day), log_seq, events_applied, states)

    def count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM checkpoints")[0][0]) if self.available else 0

    def clear(self) -> int:
        """Drop every checkpoint (they are rebuilt on demand); returns how many there were.

        A write like any other: an older store is upgraded inside its transaction, and so has
        the checkpoint tables from then on (`Timeline.checkpoint` relies on that).
        """
        with self.store.write_transaction():
            count = self.count()
            for table in ("checkpoint_facts", "checkpoints", "checkpoint_values"):
                self.store.query(f"DELETE FROM {table}")
        return count


@functools.lru_cache(maxsize=65_536)
def _parse_key(text: str) -> tuple[str, ...]:
    # The same keys come back in every checkpoint and every query.
    return tuple(json.loads(text))


class CheckpointWriter:
    """Saves the checkpoints of one replay, which read the log at position `log_seq`."""

    def __init__(self, store: EventStore, log_seq: int):
        self.store = store
        self.log_seq = log_seq
        self.saved = 0
        self._pending: list[tuple[dt.date, int, tuple[State, ...]]] = []
        # Facts unchanged since the previous save are the same objects: reuse their value rows.
        # Only the last save's facts are kept, so memory stays at one state's worth.
        self._value_ids: dict[int, tuple[Any, int]] = {}
        # A connection of its own; an in-memory store has only one, so its checkpoints wait
        # until the replay is done (such stores are small).
        self._session = store.cache_session()

    def save(self, as_of: dt.date, events_applied: int, states: tuple[State, ...]) -> None:
        if self._session.shares_store_connection:
            self._pending.append((as_of, events_applied, states))
        else:
            self._write(self._session, as_of, events_applied, states)

    def close(self) -> None:
        session = self._session
        for as_of, events_applied, states in self._pending:
            self._write(session, as_of, events_applied, states)
        self._pending.clear()
        if self.saved:
            self._collect_garbage(session)
        session.close()

    def __enter__(self) -> CheckpointWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, db: SqlSession, as_of: dt.date, events_applied: int, states: tuple[State, ...]) -> None:
        if not db.begin_write():
            return  # another writer holds the lock: skip, a checkpoint is only a cache
        try:
            head = db.execute("SELECT seq FROM log_head WHERE id = 1")[0][0]
            if head != self.log_seq or not self.store.has_table("checkpoints"):
                # The log moved since the replay read it; an append may have invalidated this day.
                db.rollback()
                return
            day = as_of.isoformat()
            db.execute(
                "DELETE FROM checkpoint_facts WHERE checkpoint_id IN (SELECT id FROM checkpoints WHERE as_of = ?)",
                [day],
            )
            db.execute("DELETE FROM checkpoints WHERE as_of = ?", [day])
            created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            checkpoint_id = db.execute(
                "INSERT INTO checkpoints (as_of, log_seq, events_applied, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                [day, self.log_seq, events_applied, created_at],
            )[0][0]
            previous, self._value_ids = self._value_ids, {}
            rows = [
                (
                    checkpoint_id,
                    projector.name,
                    json.dumps(list(key), ensure_ascii=False),
                    self._value_id(db, entry, previous),
                )
                for projector, state in zip(PROJECTORS, states, strict=True)
                for key, entry in state.raw_items()
            ]
            db.executemany(
                "INSERT INTO checkpoint_facts (checkpoint_id, projector, key, value_id) VALUES (?, ?, ?, ?)", rows
            )
            db.commit()
            self.saved += 1
        except Exception:
            db.rollback()  # a cache write that fails is skipped; the answer never depends on it
            self._value_ids.clear()  # rows inserted in the rolled-back transaction are gone

    def _value_id(self, db: SqlSession, entry: Any, previous: dict[int, tuple[Any, int]]) -> int:
        """The checkpoint_values row of a fact, stored once by content."""
        if type(entry) is Encoded and entry.value_id is not None:
            return entry.value_id
        known = previous.get(id(entry))
        if known is not None and known[0] is entry:
            self._value_ids[id(entry)] = known
            return known[1]
        text = entry.text if type(entry) is Encoded else encode_fact(entry)
        type_name = shape_tag(entry.fact_type if type(entry) is Encoded else type(entry))
        digest = hashlib.sha256(f"{type_name}\n{text}".encode()).hexdigest()
        db.execute(
            "INSERT INTO checkpoint_values (digest, type, value) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
            [digest, type_name, text],
        )
        value_id = int(db.execute("SELECT id FROM checkpoint_values WHERE digest = ?", [digest])[0][0])
        self._value_ids[id(entry)] = (entry, value_id)
        return value_id

    def _collect_garbage(self, db: SqlSession) -> None:
        """Drop values no checkpoint uses any more (appends delete checkpoints, not their values)."""
        if not db.begin_write():
            return
        try:
            db.execute(
                "DELETE FROM checkpoint_values WHERE NOT EXISTS "
                "(SELECT 1 FROM checkpoint_facts f WHERE f.value_id = checkpoint_values.id)"
            )
            db.commit()
        except Exception:
            db.rollback()
