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
import functools
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from timeline import replay
from timeline.checkpoint_store import CheckpointRow, CheckpointStore, Keyframe
from timeline.errors import NotATimeline
from timeline.fact_shapes import shape_tag
from timeline.facts import Encoded, FactMap, encode_fact
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.rows import EVENT_ID, KIND, OCCURRED_ON, REPORTED_ON, decode_replay_row

if TYPE_CHECKING:
    from timeline.store import EventStore


@attrs.frozen
class Checkpoint:
    as_of: dt.date
    events_applied: int
    knowledge_day: dt.date | None  # None: the checkpoint rests on no event
    states: tuple[State, ...] = attrs.field(repr=False)


@functools.cache
def _fact_types() -> dict[tuple[str, str], type]:
    # By shape tag (name and a digest of the fields): a fact written by a version whose type had
    # other fields is not this version's to decode (timeline/fact_shapes.py).
    return {
        (projector.name, shape_tag(fact_type)): fact_type
        for projector in PROJECTORS
        for fact_type in projector.fact_types
    }


@functools.lru_cache(maxsize=65_536)
def _parse_key(text: str) -> tuple[str, ...]:
    # The same keys come back in every checkpoint and every query.
    return tuple(json.loads(text))


def _key_text(key: tuple[str, ...]) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def _read(fact_type: type, reader: Callable[[], bytes]) -> tuple[type, bytes]:
    return fact_type, reader()


def load(tables: CheckpointStore, row: CheckpointRow) -> Checkpoint | None:
    """A checkpoint's states, every fact left encoded until it is read (None if another version wrote it)."""
    by_projector: dict[str, list[tuple[tuple[str, ...], Encoded]]] = {projector.name: [] for projector in PROJECTORS}
    fact_types = _fact_types()
    try:
        for projector, key, type_name, reader, value_id in tables.facts(row.as_of):
            fact_type = fact_types[projector, type_name]
            entry = Encoded(fact_type, None, value_id, functools.partial(_read, fact_type, reader))
            by_projector[projector].append((_parse_key(key), entry))
    except (KeyError, zlib.error):
        # Written by a version with other projectors or fact types, or damaged: replay instead.
        return None
    states = tuple(FactMap.from_encoded(iter(by_projector[projector.name])) for projector in PROJECTORS)
    knowledge = dt.date.fromisoformat(row.knowledge_day) if row.knowledge_day else None
    return Checkpoint(dt.date.fromisoformat(row.as_of), row.events_applied, knowledge, states)


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
        fact_types = _fact_types()

        def loader(projector: str, value_id: int) -> Callable[[], tuple[type, bytes]]:
            def load() -> tuple[type, bytes]:
                type_name, value = tables.values([value_id])[value_id]
                return fact_types[projector, type_name], value

            return load

        states = list(replay.initial_states())

        def set_facts(changed: Iterable[tuple[int, int | None]]) -> None:
            by_projector: dict[int, list[tuple[tuple[str, ...], Encoded | None]]] = {}
            for key_id, value_id in changed:
                projector, key = keys[key_id]
                entry = None if value_id is None else Encoded(None, None, value_id, loader(projector, value_id))
                by_projector.setdefault(names[projector], []).append((_parse_key(key), entry))
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


def _retraction_knowledge(store: EventStore) -> tuple[dict[str, str], dict[str, str]]:
    """For the knowledge days: (day -> latest reported_on of a retraction whose chain of targets
    reaches an event that occurred on that day or later, retraction id -> the earliest day its
    chain reaches). Every event of the chain counts, retracted retractions included: whether
    each of them is shown depends on the retractions known."""
    targets: dict[str, tuple[str, str]] = {
        event_id: (target, reported) for event_id, target, reported in store.retractions()
    }
    chains = {event_id: chain_of(event_id, targets) for event_id in targets}
    members = {member for chain in chains.values() for member in chain}
    days = {event_id: day for event_id, (_, day) in store.kinds_and_days(members).items()}
    latest: dict[str, str] = {}
    earliest_day: dict[str, str] = {}
    for event_id, chain in chains.items():
        reached = [days[member] for member in chain if member in days]
        if not reached:
            continue
        day = earliest_day[event_id] = min(reached)
        reported = targets[event_id][1]
        if reported > latest.get(day, ""):
            latest[day] = reported
    return latest, earliest_day


def chain_of(event_id: str, targets: dict[str, tuple[str, str]]) -> list[str]:
    """The events a retraction's chain of targets reaches (its target, that one's target, ...),
    given `targets`: retraction id -> (target, reported_on)."""
    chain, current = [], targets[event_id][0]
    while current not in chain:
        chain.append(current)
        if current not in targets:
            break
        current = targets[current][0]
    return chain


def _first_changed_day(
    store: EventStore, earliest_day: str, head_before: int, retractions: Iterable[str], subject_day: dict[str, str]
) -> str:
    """The first day whose checkpoint a write changed: its earliest event, and for retractions the
    days of the events whose visibility changed and of the events their chains reach."""
    new = list(retractions)
    if not new:
        return earliest_day
    changed = replay.hidden_event_ids(store, None, up_to_seq=head_before) ^ replay.hidden_event_ids(store, None)
    days = [day for _, day in store.kinds_and_days(changed).values()]
    days += [subject_day[event_id] for event_id in new if event_id in subject_day]
    return min([earliest_day, *days])


def refresh(
    store: EventStore, earliest_day: str | None, *, head_before: int | None, retractions: Iterable[str] = ()
) -> None:
    """Bring the checkpoints up to date after a write (inside its transaction).

    `earliest_day` is the first day the write added an event to (None: rebuild all), `head_before`
    the log's head before it and `retractions` the ids of the retractions it added.
    """
    tables = store.checkpoint_tables
    tables.forget_cached_ids()
    retractions = list(retractions)
    # Up to date before the write: a small write patches them, a larger one refolds from its first day.
    up_to_date = earliest_day is not None and head_before is not None and tables.head() == head_before
    if up_to_date and head_before is not None:
        from timeline.checkpoint_patch import patch  # it builds on this module

        if patch(store, head_before, retractions):
            tables.set_head(store.count())
            return
    extra_knowledge, subject_day = _retraction_knowledge(store)
    start: Checkpoint | None = None
    first = ""  # rebuild from the first event, unless the checkpoints were up to date before the write
    if up_to_date and earliest_day is not None and head_before is not None:
        first = _first_changed_day(store, earliest_day, head_before, retractions, subject_day)
        row = tables.before(first)
        start = load(tables, row) if row else None
        if row is not None and start is None:
            first = ""  # written by another version: rebuild them all
    deleted = tables.delete_from(first)
    _fold_and_save(store, tables, start, extra_knowledge)
    tables.set_head(store.count())
    if deleted:
        tables.collect_garbage()


def _fold_and_save(
    store: EventStore, tables: CheckpointStore, start: Checkpoint | None, extra_knowledge: dict[str, str]
) -> None:
    """Fold every event after `start` (or from the first), saving a checkpoint at the end of each day."""
    states = list(start.states if start else replay.initial_states())
    applied = start.events_applied if start else 0
    knowledge = start.knowledge_day.isoformat() if start and start.knowledge_day else ""
    hidden = replay.hidden_event_ids(store, None)
    dispatch = replay.dispatch_table()
    known_kinds = replay.known_kinds()
    writer = Writer(tables, start.states if start else None)
    last = store.bounds()[1]
    if last is None:
        return
    day: str | None = None
    for row in store.rows_in_fold_order(until=last, after=start.as_of if start else None):
        if row[OCCURRED_ON] != day:
            if day is not None:
                knowledge = max(knowledge, extra_knowledge.get(day, ""))
                writer.save(day, applied, knowledge, states)
            day = row[OCCURRED_ON]
        if row[REPORTED_ON] > knowledge:
            knowledge = row[REPORTED_ON]
        if row[EVENT_ID] in hidden:
            continue
        applied += 1
        appliers = dispatch.get(row[KIND])
        if not appliers:
            if row[KIND] not in known_kinds:
                raise NotATimeline(f"event {row[EVENT_ID]}: kind {row[KIND]!r} is unknown to this version of timeline")
            continue
        event = decode_replay_row(row)
        for index, apply in appliers:
            states[index] = apply(states[index], event)
    if day is not None:
        writer.save(day, applied, max(knowledge, extra_knowledge.get(day, "")), states)
    writer.flush()


class Writer:
    """Writes the checkpoints of one refresh: a day's row, and a version for each fact that changed
    since the day before, each fact value stored once."""

    def __init__(
        self,
        tables: CheckpointStore,
        start: Sequence[State] | None = None,
        only: dict[int, set[tuple[str, ...]]] | None = None,
    ):
        self.tables = tables
        self.names = [projector.name for projector in PROJECTORS]
        self.key_ids: dict[tuple[int, tuple[str, ...]], int] = {}
        # Facts unchanged since the previous day are the same objects: reuse their value rows.
        # Only the last day's facts are kept, so memory stays at one state's worth.
        self.value_ids: dict[int, tuple[Any, int]] = {}
        # key id -> value id as of the last day written (first: `start`, the checkpoint the fold
        # starts from), so a day writes versions only for what changed.
        # key id -> the last value of that key this refresh stored whole: its next values are
        # stored against it while that saves at least half (CheckpointStore.value_ids).
        self.keyframes: dict[int, Keyframe] = {}
        self.current: dict[int, int] = {}
        if start is not None:
            self.current = dict(self.fact_rows(start, only))
        self.versions: list[tuple[int, str, int | None]] = []

    def save(self, day: str, applied: int, knowledge: str, states: Sequence[State]) -> None:
        self.tables.insert(day, applied, knowledge)
        self.record(day, states)

    def record(self, day: str, states: Sequence[State], only: dict[int, set[tuple[str, ...]]] | None = None) -> None:
        """The versions that make the facts at the end of `day` those of `states` (of the keys `only` names)."""
        facts = dict(self.fact_rows(states, only))
        current = self.current
        self.versions += [
            (key_id, day, value_id) for key_id, value_id in facts.items() if current.get(key_id) != value_id
        ]
        self.versions += [(key_id, day, None) for key_id in current.keys() - facts.keys()]
        self.current = facts
        if len(self.versions) >= 10_000:
            self.flush()

    def flush(self) -> None:
        self.tables.add_versions(self.versions)
        self.versions = []

    def fact_rows(
        self, states: Sequence[State], only: dict[int, set[tuple[str, ...]]] | None = None
    ) -> list[tuple[int, int]]:
        """(key id, value id) of every fact of `states` (of the keys `only` names per projector, if given),
        each value stored if it is new. Call once per day, in day order."""
        previous, self.value_ids = self.value_ids, {}
        facts: list[tuple[int, int]] = []
        # New values are stored together, in one lookup and one insert per day, not two statements each.
        new: list[tuple[int, Any, str, bytes]] = []  # (position in facts, entry, type, JSON)
        for index, state in enumerate(states):
            wanted = None if only is None else only.get(index)
            if only is not None and not wanted:
                continue
            for key, entry in state.raw_items():
                if wanted is not None and key not in wanted:
                    continue
                key_id = self.key_id(index, key)
                value_id = self._known_value_id(entry, previous)
                if value_id is None:
                    type_name, text = self._encoded(entry)
                    new.append((len(facts), entry, type_name, text))
                    value_id = -1
                facts.append((key_id, value_id))
        if new:
            # A key whose keyframe this refresh has not met yet (a write that patches a few facts)
            # is stored against the keyframe of the value it had the day before.
            previous_values = self.current
            unknown = {
                previous_values[key_id]
                for position, *_ in new
                if (key_id := facts[position][0]) not in self.keyframes and key_id in previous_values
            }
            if unknown:
                found = self.tables.keyframes_of(unknown)
                for key_id, value_id in previous_values.items():
                    if value_id in found and key_id not in self.keyframes:
                        self.keyframes[key_id] = found[value_id]
            stored = self.tables.value_ids(
                [(type_name, text, self.keyframes.get(facts[position][0])) for position, _, type_name, text in new]
            )
            for (position, entry, _, text), (value_id, whole) in zip(new, stored, strict=True):
                key_id = facts[position][0]
                facts[position] = (key_id, value_id)
                self.value_ids[id(entry)] = (entry, value_id)
                if whole:
                    self.keyframes[key_id] = Keyframe(value_id, text)
        return facts

    def key_id(self, index: int, key: tuple[str, ...]) -> int:
        key_id = self.key_ids.get((index, key))
        if key_id is None:
            key_id = self.key_ids[index, key] = self.tables.key_id(self.names[index], _key_text(key))
        return key_id

    def _known_value_id(self, entry: Any, previous: dict[int, tuple[Any, int]]) -> int | None:
        """The row of a value read from a checkpoint or stored the day before (the same object), if any."""
        if type(entry) is Encoded and entry.value_id is not None:
            return entry.value_id
        known = previous.get(id(entry))
        if known is not None and known[0] is entry:
            self.value_ids[id(entry)] = known
            return known[1]
        return None

    @staticmethod
    def _encoded(entry: Any) -> tuple[str, bytes]:
        """(shape tag, JSON) of a fact, whether still encoded or folded."""
        if type(entry) is Encoded:
            return shape_tag(entry.fact_type), entry.text
        fact_type: type = type(entry)
        return shape_tag(fact_type), encode_fact(entry)
