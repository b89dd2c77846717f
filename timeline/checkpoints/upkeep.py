"""The write hook that keeps the stored state exact, inside every write's transaction.

For each batch of new rows: the facts each new event touches (`fact_events`), the corner of the
(valid day, knowledge day) plane each fact changes from (its earliest new event's day and report
day), and the events each day now counts. When the write is done: what its retractions change
(the visibility of each event in their chains, from the first knowledge day it differs), then
each touched fact's versions rebuilt over its corner (`rederive`). A write to a log whose state
was not up to date (an older store upgraded, a log written without the hook) rebuilds it all, as
one write of the whole log.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from events.envelope import Event
from timeline import replay
from timeline.checkpoints.rederive import KeyEvent, SharedStrings, rederive
from timeline.checkpoints.values import ValueCodec
from timeline.checkpoints.visibility import Retractions, Visibility, first_difference
from timeline.errors import NotATimeline
from timeline.projectors import PROJECTORS
from timeline.projectors.base import FactKey
from timeline.store import EventStore, RowQuery, Write
from timeline.store.fact_tables import FactTables, Version
from timeline.store.rows import EVENT_ID, KIND, OCCURRED_ON, REPLAY_COLUMNS, REPORTED_ON, decode_replay_row

RETRACTION = "event.retracted"
REBUILD_BATCH = 5_000


def key_text(key: FactKey) -> str:
    return json.dumps(list(key), ensure_ascii=False)


class Maintenance:
    """What one write changes in the stored state, gathered batch by batch and applied at its end."""

    def __init__(self, store: EventStore):
        self.store = store
        self.tables: FactTables = store.fact_tables
        self.tables.forget_cached_ids()
        self.head_before = store.count()
        self.up_to_date = self.tables.available() and self.tables.head() == self.head_before
        # key id -> (projector position, key, earliest valid day, earliest knowledge day)
        self.corners: dict[int, tuple[int, FactKey, str, str]] = {}
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.retractions: list[str] = []

    # -- each batch --------------------------------------------------------------------------

    def rows(self, rows: list[dict[str, Any]]) -> None:
        if self.up_to_date:
            self.add((*(row[name] for name in REPLAY_COLUMNS), row["seq"]) for row in rows)

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """New log rows (REPLAY_COLUMNS, then seq): their facts, corners and counts."""
        dispatch, known = replay.dispatch_table(), replay.known_kinds()
        touched: list[tuple[int, FactKey, str, str, int]] = []
        for row in rows:
            kind, day, reported = row[KIND], row[OCCURRED_ON], row[REPORTED_ON]
            self.counts[day, reported] += 1
            if kind == RETRACTION:
                self.retractions.append(row[EVENT_ID])
                continue
            appliers = dispatch.get(kind)
            if not appliers:
                if kind not in known:
                    raise NotATimeline(f"event {row[EVENT_ID]}: kind {kind!r} is unknown to this version of timeline")
                continue
            event = decode_replay_row(row[:-1])
            for index, _ in appliers:
                for key in _keys(index, event):
                    touched.append((index, key, day, reported, row[-1]))
        if not touched:
            return
        ids = self.tables.key_ids({(PROJECTORS[index].name, key_text(key)) for index, key, *_ in touched})
        fact_events = []
        for index, key, day, reported, seq in touched:
            key_id = ids[PROJECTORS[index].name, key_text(key)]
            fact_events.append((key_id, day, seq))
            self._touch(key_id, index, key, day, reported)
        self.tables.add_fact_events(fact_events)

    def _touch(self, key_id: int, index: int, key: FactKey, day: str, known: str) -> None:
        corner = self.corners.get(key_id)
        if corner is None:
            self.corners[key_id] = (index, key, day, known)
        else:
            self.corners[key_id] = (index, key, min(corner[2], day), min(corner[3], known))

    # -- the end of the write ------------------------------------------------------------------

    def done(self, write: Write | None = None) -> None:
        if not self.up_to_date:
            rebuild(self.store)
            return
        after = Retractions(self.store.retractions())
        if self.retractions:
            before = Retractions(self.store.retractions(up_to_seq=self.head_before))
            self._visibility_changes(before, after)
        self._rederive(after)
        self.tables.add_counts(self.counts)
        self.tables.set_head(self.store.count())

    def _visibility_changes(self, before: Retractions, after: Retractions) -> None:
        """The events whose visibility the new retractions change (their targets, the targets'
        targets...): each one's facts from the first knowledge day it differs, and its counts."""
        members: set[str] = set()
        for event_id in self.retractions:
            target = after.target_of.get(event_id)
            while target is not None and target not in members:
                members.add(target)
                target = after.target_of.get(target)
        dispatch = replay.dispatch_table()
        for row in self.store.lookup_ids(sorted(members), columns=(*REPLAY_COLUMNS, "seq")):
            old = before.steps(row[EVENT_ID], row[REPORTED_ON])
            new = after.steps(row[EVENT_ID], row[REPORTED_ON])
            changed_from = first_difference(old, new)
            if changed_from is None:
                continue
            for known, delta in _step_deltas(new, old):
                self.counts[row[OCCURRED_ON], known] += delta
            appliers = dispatch.get(row[KIND], ())
            if not appliers:
                continue
            event = decode_replay_row(row[:-1])
            for index, _ in appliers:
                for key in _keys(index, event):
                    key_id = self.tables.key_id(PROJECTORS[index].name, key_text(key))
                    self._touch(key_id, index, key, row[OCCURRED_ON], changed_from)

    def _rederive(self, retractions: Retractions) -> None:
        tables = self.tables
        codecs: dict[int, ValueCodec] = {}
        steps = [projector.fact_folder() for projector in PROJECTORS]
        for key_id, (index, key, day, known) in sorted(self.corners.items()):
            codec = codecs.setdefault(index, ValueCodec(tables, PROJECTORS[index].name))
            codec.forget()
            mine = tables.versions([key_id])[key_id]  # one key at a time: memory stays one fact's
            codec.continue_from(_last_value(mine))
            shared = SharedStrings()
            events = [
                KeyEvent(
                    row[OCCURRED_ON],
                    shared.event(decode_replay_row(row)),
                    retractions.steps(row[EVENT_ID], row[REPORTED_ON]),
                )
                for row in tables.events_of(key_id, day)
            ]
            _, used = rederive(tables, codec, steps[index], key, key_id, day, known, events, mine)
            tables.note_unused(used)
        tables.collect_garbage(at_least=tables.sweep_threshold())


def _last_value(versions: list[Version]) -> int | None:
    """The value the key took last (the latest valid day, as known last)."""
    held = [version for version in versions if version.value_id is not None]
    return max(held, key=lambda version: (version.valid_from, version.known_from)).value_id if held else None


def _keys(index: int, event: Event) -> tuple[FactKey, ...]:
    keys = PROJECTORS[index].keys
    assert keys is not None  # every projector is key-local (tests/projectors/test_key_locality.py)
    return keys(event)


def _step_deltas(new: Visibility, old: Visibility) -> list[tuple[str, int]]:
    """(knowledge day, +1 or -1): how the new visibility's count differs from the old one's."""
    deltas: dict[str, int] = defaultdict(int)
    for steps, sign in ((new, 1), (old, -1)):
        visible = False
        for day, value in steps:
            if value != visible:
                deltas[day] += sign if value else -sign
                visible = value
    return [(day, delta) for day, delta in sorted(deltas.items()) if delta]


def maintain(store: EventStore) -> Maintenance:
    """The write hook: registered on a store by its opener (`Timeline`); the store starts one
    Maintenance per write and tells it each batch of rows and the write's end."""
    return Maintenance(store)


def rebuild(store: EventStore) -> int:
    """The stored state rebuilt from the whole log (inside the caller's write transaction), as
    one write of every event; returns how many fact versions there are."""
    tables = store.fact_tables
    tables.clear()
    maintenance = Maintenance(store)
    maintenance.head_before = 0
    maintenance.up_to_date = True
    query = RowQuery(columns=(*REPLAY_COLUMNS, "seq"), order="seq")
    batch: list[tuple[Any, ...]] = []
    for row in store.row_values(query):
        batch.append(row)
        if len(batch) >= REBUILD_BATCH:
            maintenance.add(batch)
            batch = []
    maintenance.add(batch)
    maintenance.done()
    return tables.count_versions()
