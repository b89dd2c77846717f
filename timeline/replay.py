"""Which events a snapshot sees, in which order, and the fold of them through every projector.

A snapshot is addressed by `as_of` (valid time: `occurred_on <= as_of`) and `known_on`
(knowledge time: `reported_on <= known_on`; None = everything logged). Events fold in
`(occurred_on, seq)` order, so a backfilled report lands in its place in history. A
retraction hides its target from every snapshot whose `known_on` admits the retraction,
whatever the `as_of`: what we now know to be wrong was wrong on every day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Iterator

from events.envelope import RecordedEvent
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from events import registry
from timeline.errors import NotATimeline
from timeline.store import COLUMNS, EVENT_ID, KIND, OCCURRED_ON, REPLAY_COLUMNS, EventStore, decode_replay_row, decode_row, decode_values


def hidden_event_ids(store: EventStore, known_on: dt.date | None) -> frozenset[str]:
    """Targets of the retractions known by `known_on` that are not themselves retracted."""
    where = "kind = 'event.retracted'"
    params: list[str] = []
    if known_on is not None:
        where += " AND reported_on <= ?"
        params.append(known_on.isoformat())
    hidden: set[str] = set()
    # Newest first: anything that retracts a retraction comes later in the log, so by the time
    # a retraction is reached we already know whether it was itself withdrawn.
    rows = store.db.execute(
        f"SELECT event_id, json_extract(data, '$.target_event_id') FROM events WHERE {where} ORDER BY seq DESC", params
    )
    for event_id, target in rows:
        if event_id not in hidden:
            hidden.add(target)
    return frozenset(hidden)


def visible_rows(
    store: EventStore,
    as_of: dt.date,
    known_on: dt.date | None,
    *,
    after: dt.date | None = None,
    hidden: frozenset[str] | None = None,
    columns: tuple[str, ...] = REPLAY_COLUMNS,
) -> Iterator[tuple[Any, ...]]:
    """Stream the raw rows a snapshot at (as_of, known_on) folds, in fold order; `after` skips earlier days."""
    if hidden is None:
        hidden = hidden_event_ids(store, known_on)
    clauses, params = ["occurred_on <= ?"], [as_of.isoformat()]
    if after is not None:
        clauses.append("occurred_on > ?")
        params.append(after.isoformat())
    if known_on is not None:
        clauses.append("reported_on <= ?")
        params.append(known_on.isoformat())
    rows = store.row_values(" AND ".join(clauses), params, order="occurred_on, seq", columns=columns)
    if not hidden:
        return rows
    position = columns.index("event_id")
    return (row for row in rows if row[position] not in hidden)


def visible_events(
    store: EventStore,
    as_of: dt.date,
    known_on: dt.date | None,
    *,
    after: dt.date | None = None,
    hidden: frozenset[str] | None = None,
) -> Iterator[RecordedEvent]:
    """The events a snapshot folds, decoded, in fold order."""
    for row in visible_rows(store, as_of, known_on, after=after, hidden=hidden, columns=COLUMNS):
        yield decode_values(row, trusted=True)


def initial_states() -> tuple[State, ...]:
    return tuple(projector.initial() for projector in PROJECTORS)


def _dispatch() -> dict[str, tuple[tuple[int, Any], ...]]:
    """kind -> the (position, apply) of every projector that reads it."""
    table: dict[str, list[tuple[int, Any]]] = {}
    for index, projector in enumerate(PROJECTORS):
        for kind in projector.kinds:
            table.setdefault(kind, []).append((index, projector.apply))
    return {kind: tuple(entries) for kind, entries in table.items()}


def fold(states: tuple[State, ...], events: Iterable[RecordedEvent]) -> tuple[tuple[State, ...], int]:
    """Apply each event to the projectors that read its kind; returns the new states and the count."""
    dispatch = _dispatch()
    current = list(states)
    count = 0
    for recorded in events:
        for index, apply in dispatch.get(recorded.kind, ()):
            current[index] = apply(current[index], recorded.event)
        count += 1
    return tuple(current), count


def fold_rows_by_day(
    states: tuple[State, ...], rows: Iterable[tuple[Any, ...]]
) -> Iterator[tuple[str, tuple[State, ...], int]]:
    """Fold raw rows in fold order, yielding (day, states, events folded so far) at the end of each day.

    Only the events some projector reads are decoded (replay's hot path).
    """
    dispatch = _dispatch()
    known = frozenset(registry.kind_names())
    current = list(states)
    count = 0
    day = None
    for row in rows:
        row_day = row[OCCURRED_ON]
        if row_day != day:
            if day is not None:
                yield day, tuple(current), count
            day = row_day
        count += 1
        appliers = dispatch.get(row[KIND])
        if not appliers:
            if row[KIND] not in known:
                # A kind from a newer version: folding without it could silently give a wrong answer.
                raise NotATimeline(f"event {row[EVENT_ID]}: kind {row[KIND]!r} is unknown to this version of timeline")
            continue
        event = decode_replay_row(row)
        for index, apply in appliers:
            current[index] = apply(current[index], event)
    if day is not None:
        yield day, tuple(current), count


def fold_rows(states: tuple[State, ...], rows: Iterable[tuple[Any, ...]]) -> tuple[tuple[State, ...], int]:
    """`fold` over raw rows; returns the final states and how many events were folded."""
    final, count = states, 0
    for _, final, count in fold_rows_by_day(states, rows):
        pass
    return final, count
