"""After a small write, patch the checkpoints instead of refolding every event after its first day.

A write of a few events (today's report, a backfill, a retraction) changes, in the checkpoints
of its events' days and later, only three things: how many events each folds, its knowledge
day, and the facts at the keys its events touch. Every projector is key-local (it declares the
keys an event can change, and each key's fact depends only on that key's history:
tests/projectors/test_key_locality.py). So `patch`:

1. adds a checkpoint for each day the write is the first to give events (the counts of the
   checkpoint before it; its facts are the versions in force on its day);
2. shifts the counts and raises the knowledge days from each event's day on;
3. refolds, from the checkpoint before the first touched day, only the events whose data names
   a touched key (a text search in SQL, not a decode of every row), applying those that
   touch one, and rewrites the touched keys' versions from that day on.

A backfill into the first week of a million-event log then folds the few thousand events about
the same settlement or region, not the million after it. The stateful test in
tests/test_checkpoints.py compares every checkpoint with a full replay after each write.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from events import registry
from events.codec import canonical_json
from timeline import replay
from timeline.checkpoints.chains import chain_of
from timeline.checkpoints.stored import load
from timeline.checkpoints.writer import Writer
from timeline.facts import FactMap
from timeline.projectors import PROJECTORS
from timeline.projectors.base import FactKey, State
from timeline.store.checkpoint_tables import CheckpointRow, CheckpointStore
from timeline.store.query import Mentions, RowQuery
from timeline.store.rows import EVENT_ID, KIND, OCCURRED_ON, REPLAY_COLUMNS, REPORTED_ON, decode_replay_row

if TYPE_CHECKING:
    from timeline.store import EventStore

# A write of more events than this refolds from its first day: an import touches most facts
# anyway, and one fold is cheaper than patching day by day.
MAX_PATCHED_EVENTS = 1_000

# Beyond this many texts to search for, the refold reads every row of the touched kinds.
MAX_MENTIONS = 200

Touched = dict[int, set[FactKey]]  # projector position -> the keys of its facts a write changes


def patch(store: EventStore, head_before: int, retractions: list[str]) -> bool:
    """Bring the checkpoints, up to date at `head_before`, up to date with the log, inside the
    write's transaction. False, having changed nothing, when the write is one to refold instead
    (too many events, an unknown kind, or checkpoints another version wrote)."""
    new_rows = list(
        itertools.islice(
            store.row_values(RowQuery(columns=REPLAY_COLUMNS, after_seq=head_before)), MAX_PATCHED_EVENTS + 1
        )
    )
    if not new_rows or len(new_rows) > MAX_PATCHED_EVENTS:
        return not new_rows
    hidden = replay.hidden_event_ids(store, None)
    # Older events a retraction of this write hides, or shows again (its own target retracted).
    flipped = replay.hidden_event_ids(store, None, up_to_seq=head_before) ^ hidden if retractions else frozenset()
    flipped_rows = store.lookup_ids(sorted(flipped - {row[EVENT_ID] for row in new_rows}), columns=REPLAY_COLUMNS)
    changed_rows = [row for row in new_rows if row[EVENT_ID] not in hidden] + flipped_rows

    touched = _touched_keys(changed_rows)
    if touched is None:
        return False
    tables = store.checkpoint_tables
    fold_from = min((row[OCCURRED_ON] for row in changed_rows if _reads(row)), default=None)
    start_row = tables.before(fold_from) if fold_from else None
    start = load(tables, start_row) if start_row else None
    if start_row is not None and start is None:
        return False  # written by another version: refold them all

    new_days = sorted({row[OCCURRED_ON] for row in new_rows})
    existing = {row.as_of for row in tables.from_day(new_days[0])}
    for day in new_days:
        if day not in existing:
            tables.copy(tables.before(day), day)
    _shift_counts(tables, new_rows, flipped_rows, hidden)
    _raise_knowledge(store, new_rows, retractions)
    if fold_from is not None:
        _refold(store, fold_from, start_row, start.states if start else replay.initial_states(), touched, hidden)
    return True


def _reads(row: tuple[Any, ...]) -> bool:
    return row[KIND] in replay.dispatch_table()


def _touched_keys(rows: list[tuple[Any, ...]]) -> Touched | None:
    """The keys the events of `rows` touch, per projector; None if a kind is unknown here or a
    projector that reads one is not key-local."""
    touched: Touched = defaultdict(set)
    dispatch, known = replay.dispatch_table(), replay.known_kinds()
    for row in rows:
        if row[KIND] not in known:
            return None  # the refold names it in its error
        appliers = dispatch.get(row[KIND], ())
        if not appliers:
            continue
        event = decode_replay_row(row)
        for index, _ in appliers:
            keys = PROJECTORS[index].keys
            if keys is None:
                return None
            touched[index].update(keys(event))
    return touched


def _shift_counts(
    tables: CheckpointStore,
    new_rows: list[tuple[Any, ...]],
    flipped_rows: list[tuple[Any, ...]],
    hidden: frozenset[str],
) -> None:
    """Each event now folded counts from its day on; each now hidden no longer does."""
    delta: dict[str, int] = defaultdict(int)
    for row in new_rows:
        if row[EVENT_ID] not in hidden:
            delta[row[OCCURRED_ON]] += 1
    for row in flipped_rows:
        delta[row[OCCURRED_ON]] += -1 if row[EVENT_ID] in hidden else 1
    for day, change in sorted(delta.items()):
        if change:
            tables.add_applied(day, change)


def _raise_knowledge(store: EventStore, new_rows: list[tuple[Any, ...]], retractions: list[str]) -> None:
    """A checkpoint is exact from the latest report among its events and the retractions whose
    chain reaches one of them (timeline.checkpoints): the new events raise it from their own
    days on, and a new retraction from the earliest day its chain reaches."""
    latest: dict[str, str] = {}
    for row in new_rows:
        latest[row[OCCURRED_ON]] = max(latest.get(row[OCCURRED_ON], ""), row[REPORTED_ON])
    if retractions:
        targets = {event_id: (target, reported) for event_id, target, reported in store.retractions()}
        chains = {event_id: chain_of(event_id, targets) for event_id in retractions}
        days = store.kinds_and_days({member for chain in chains.values() for member in chain})
        for event_id, chain in chains.items():
            reached = [days[member][1] for member in chain if member in days]
            if reached:
                day = min(reached)
                latest[day] = max(latest.get(day, ""), targets[event_id][1])
    tables = store.checkpoint_tables
    for day, reported in sorted(latest.items()):
        tables.raise_knowledge(day, reported)


def _mentions(kinds: set[str], touched: Touched) -> Mentions | None:
    """What the log can be searched for rather than decoded whole: an event that touches a key
    names one of the key's parts in its data (a law the tests check), so only the rows whose
    data contains one of the touched keys' parts, as JSON strings, can touch them. Rows at an
    older payload version are read whole (an upcaster may have reworded them)."""
    texts = {
        literal
        for keys in touched.values()
        for key in keys
        for part in key
        # As stored (UTF-8), and as a writer that escapes non-ASCII would have stored it.
        for literal in (canonical_json(part), json.dumps(part))
    }
    if len(texts) > MAX_MENTIONS:
        return None  # a query that long costs more than it saves
    return Mentions(tuple((kind, registry.current_version(kind)) for kind in sorted(kinds)), tuple(sorted(texts)))


def _refold(
    store: EventStore,
    fold_from: str,
    start_row: CheckpointRow | None,
    start_states: tuple[State, ...],
    touched: Touched,
    hidden: frozenset[str],
) -> None:
    """Refold the touched keys from the checkpoint before `fold_from` and rewrite them in every
    checkpoint of `fold_from` and later."""
    tables = store.checkpoint_tables
    # The touched keys alone: by key-locality, nothing else bears on their facts.
    states = [
        start_states[index].only(touched[index]) if index in touched else FactMap() for index in range(len(PROJECTORS))
    ]
    writer = Writer(tables, states, touched)
    key_ids = [writer.key_id(index, key) for index, keys in touched.items() for key in keys]
    unused = tables.drop_versions(fold_from, key_ids)
    keys_of = {index: keys for index in touched if (keys := PROJECTORS[index].keys) is not None}
    dispatch = {
        kind: tuple((index, apply) for index, apply in appliers if index in touched)
        for kind, appliers in replay.dispatch_table().items()
    }
    kinds = {kind for kind, appliers in dispatch.items() if appliers}
    checkpoints = tables.from_day(fold_from)
    rows = store.rows_in_fold_order(
        until=checkpoints[-1].as_of,
        after=start_row.as_of if start_row else None,
        kinds=kinds,
        mentioning=_mentions(kinds, touched),
    )
    position = 0

    def save_until(day: str | None) -> None:
        nonlocal position
        while position < len(checkpoints) and (day is None or checkpoints[position].as_of < day):
            writer.record(checkpoints[position].as_of, states, touched)
            position += 1

    for row in rows:
        if row[EVENT_ID] in hidden:
            continue
        save_until(row[OCCURRED_ON])
        event = decode_replay_row(row)
        for index, apply in dispatch[row[KIND]]:
            if not touched[index].isdisjoint(keys_of[index](event)):
                states[index] = apply(states[index], event)
    save_until(None)
    writer.flush()
    tables.collect_garbage(among=unused)
