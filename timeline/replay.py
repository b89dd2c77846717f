"""Which events a snapshot sees, in which order, and the fold of them through every projector.

A snapshot is addressed by `as_of` (valid time: `occurred_on <= as_of`) and `known_on`
(knowledge time: `reported_on <= known_on`; None = everything logged). Events fold in
`(occurred_on, seq)` order, so a backfilled report lands in its place in history. A
retraction hides its target from every snapshot whose `known_on` admits the retraction,
whatever the `as_of`: what we now know to be wrong was wrong on every day.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator

from events import registry
from events.envelope import Event, RecordedEvent
from timeline.errors import NotATimeline
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store import EventStore, RowQuery
from timeline.store.rows import COLUMNS, EVENT_ID, KIND, OCCURRED_ON, decode_replay_row, decode_row, decode_values

Day = str  # YYYY-MM-DD, as stored


def hidden_event_ids(store: EventStore, known_on: dt.date | None, *, up_to_seq: int | None = None) -> frozenset[str]:
    """Targets of the retractions known by `known_on` (and logged by `up_to_seq`) not themselves retracted."""
    hidden: set[str] = set()
    # Newest first: anything that retracts a retraction comes later in the log, so by the time
    # a retraction is reached we already know whether it was itself withdrawn.
    for event_id, target, _ in store.retractions(known_on=known_on, up_to_seq=up_to_seq):
        if event_id not in hidden:
            hidden.add(target)
    return frozenset(hidden)


def visible_events(
    store: EventStore,
    as_of: dt.date,
    known_on: dt.date | None,
    *,
    hidden: frozenset[str],
    after: dt.date | None = None,
) -> Iterator[RecordedEvent]:
    """The events a snapshot at (as_of, known_on) folds, decoded, in fold order."""
    position = COLUMNS.index("event_id")
    for row in store.rows_in_fold_order(until=as_of, after=after, known_on=known_on, columns=COLUMNS):
        if row[position] not in hidden:
            yield decode_values(row, trusted=True)


class EventList:
    """The events a snapshot range sees, read again from the log each time it is iterated, so a
    diff across months never holds its events in memory. `len()` counts without decoding."""

    def __init__(
        self, store: EventStore, after: dt.date, until: dt.date, known_on: dt.date | None, hidden: frozenset[str]
    ):
        self.store, self.after, self.until, self.known_on, self.hidden = store, after, until, known_on, hidden
        self._length: int | None = None

    def __iter__(self) -> Iterator[RecordedEvent]:
        return visible_events(self.store, self.until, self.known_on, hidden=self.hidden, after=self.after)

    def __len__(self) -> int:
        if self._length is None:
            store, after, until, known_on = self.store, self.after, self.until, self.known_on
            total = store.count_in_fold_order(after=after, until=until, known_on=known_on)
            hidden_here = store.count_in_fold_order(after=after, until=until, known_on=known_on, among=self.hidden)
            self._length = total - hidden_here
        return self._length

    def __bool__(self) -> bool:
        return len(self) > 0

    def __contains__(self, item: object) -> bool:
        return any(recorded == item for recorded in self)


def fold_visible(
    states: tuple[State, ...],
    store: EventStore,
    as_of: dt.date,
    known_on: dt.date | None,
    *,
    hidden: frozenset[str],
    after: dt.date | None = None,
) -> Iterator[tuple[Day, tuple[State, ...], int]]:
    """Fold the events a snapshot sees onto `states`, yielding (day, states, events so far) at each day's end.

    This is replay's hot path: rows are read with only the columns a fold needs, and only
    the events some projector reads are decoded.
    """
    dispatch = dispatch_table()
    known = known_kinds()
    current = list(states)
    count = 0
    day = None
    for row in store.rows_in_fold_order(until=as_of, after=after, known_on=known_on):
        if row[EVENT_ID] in hidden:
            continue
        if row[OCCURRED_ON] != day:
            if day is not None:
                yield day, tuple(current), count
            day = row[OCCURRED_ON]
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


def last_of(
    days: Iterable[tuple[Day, tuple[State, ...], int]], states: tuple[State, ...]
) -> tuple[tuple[State, ...], int]:
    """The states and count after the last day of a fold (the given states and 0 if it had none)."""
    last = collections.deque(days, maxlen=1)  # drains the fold, keeping only its last day
    if not last:
        return states, 0
    _, final_states, count = last[0]
    return final_states, count


def initial_states() -> tuple[State, ...]:
    return tuple(projector.initial() for projector in PROJECTORS)


def known_kinds() -> frozenset[str]:
    return frozenset(registry.kind_names())


@functools.cache
def dispatch_table() -> dict[str, tuple[tuple[int, Callable[[State, Event], State]], ...]]:
    """kind -> the (position, apply) of every projector that reads it."""
    table: dict[str, list[tuple[int, Callable[[State, Event], State]]]] = {}
    for index, projector in enumerate(PROJECTORS):
        for kind in projector.kinds:
            table.setdefault(kind, []).append((index, projector.apply))
    return {kind: tuple(entries) for kind, entries in table.items()}


def fold(states: tuple[State, ...], events: Iterable[RecordedEvent]) -> tuple[tuple[State, ...], int]:
    """Apply decoded events to the projectors that read their kinds; returns the new states and the count."""
    dispatch = dispatch_table()
    current = list(states)
    count = 0
    for recorded in events:
        for index, apply in dispatch.get(recorded.kind, ()):
            current[index] = apply(current[index], recorded.event)
        count += 1
    return tuple(current), count


def log_as_known(store: EventStore, as_of: dt.date | None, known_on: dt.date | None) -> Iterator[RecordedEvent]:
    """The log in seq order as it stood on `known_on`, up to `as_of` (retractions kept whatever
    their day: they act on knowledge time alone)."""
    query = RowQuery(
        known_on=None if known_on is None else known_on.isoformat(),
        occurred_until=None if as_of is None else as_of.isoformat(),
        retractions_on_any_day=True,
    )
    return (decode_row(row) for row in store.rows(query))


def follow(
    store: EventStore,
    *,
    kind: str | None = None,
    occurred_from: dt.date | None = None,
    occurred_to: dt.date | None = None,
    max_events: int | None = None,
    idle_timeout: float | None = None,
) -> Iterator[RecordedEvent]:
    """The log in append order, then each event as it is appended, until `max_events` have come
    or none has for `idle_timeout` seconds (None: forever)."""
    if max_events is not None and max_events <= 0:
        return
    seen = count = 0
    while True:
        head = store.count()
        for recorded in store.events(
            kind=kind, occurred_from=occurred_from, occurred_to=occurred_to, after_seq=seen, until_seq=head
        ):
            yield recorded
            count += 1
            if max_events is not None and count >= max_events:
                return
        seen = head
        if not store.wait_for_append(seen, idle_timeout):
            return
