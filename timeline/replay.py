"""Which events a snapshot sees, in which order, and the fold of them through every projector.

A snapshot is addressed by `as_of` (valid time: `occurred_on <= as_of`) and `known_on`
(knowledge time: `reported_on <= known_on`; None = everything logged). Events fold in
`(occurred_on, seq)` order, so a backfilled report lands in its place in history. A
retraction hides its target from every snapshot whose `known_on` admits the retraction,
whatever the `as_of`: what we now know to be wrong was wrong on every day.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator

from events.envelope import RecordedEvent
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store import EventStore, decode_row


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
    for row in store.rows(where, params, order="seq DESC"):
        if row["event_id"] in hidden:
            continue
        hidden.add(decode_row(row).payload.target_event_id)
    return frozenset(hidden)


def visible_events(
    store: EventStore,
    as_of: dt.date,
    known_on: dt.date | None,
    *,
    after: dt.date | None = None,
    hidden: frozenset[str] | None = None,
) -> Iterator[RecordedEvent]:
    """Stream the events a snapshot at (as_of, known_on) folds, in fold order; `after` skips earlier days."""
    if hidden is None:
        hidden = hidden_event_ids(store, known_on)
    clauses, params = ["occurred_on <= ?"], [as_of.isoformat()]
    if after is not None:
        clauses.append("occurred_on > ?")
        params.append(after.isoformat())
    if known_on is not None:
        clauses.append("reported_on <= ?")
        params.append(known_on.isoformat())
    for row in store.rows(" AND ".join(clauses), params, order="occurred_on, seq"):
        if row["event_id"] not in hidden:
            yield decode_row(row)


def initial_states() -> tuple[State, ...]:
    return tuple(projector.initial() for projector in PROJECTORS)


def fold(states: tuple[State, ...], events: Iterable[RecordedEvent]) -> tuple[tuple[State, ...], int]:
    """Apply each event to every projector; returns the new states and how many events were applied."""
    applies = [projector.apply for projector in PROJECTORS]
    current = list(states)
    count = 0
    for recorded in events:
        for index, apply in enumerate(applies):
            current[index] = apply(current[index], recorded)
        count += 1
    return tuple(current), count
