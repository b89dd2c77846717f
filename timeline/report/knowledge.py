"""What was known on an earlier day, as small corrections to the full-knowledge days.

The page rebuilds the state of day D by applying the full-knowledge changes of every day up to
D. For a knowledge day K (only reports made public by K), two facts make the data small:

- for D after K nothing more was known, so state(D, K) is state(K, K);
- for D up to K, state(D, K) differs from state(D) only where a report made public after K (a
  backfill), or a retraction made after K, touches a fact.

So for each knowledge day K at which anything differs, the report embeds, day by day, only the
facts whose value known on K differs from the full-knowledge value (and when that difference
starts or ends). A K at which nothing differs gets no entry at all. Knowledge days are the days
on which reports were made public: any day in between knows exactly what the one before knew.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from events.envelope import RecordedEvent
from events.kinds import EventRetracted
from timeline import replay
from timeline.api import Timeline
from timeline.projectors.base import State
from timeline.snapshot import Snapshot

GONE = -1  # the fact does not exist in the state known on K
SAME = -2  # the fact known on K is the full-knowledge one again


def knowledge_days(events: Sequence[RecordedEvent]) -> list[dt.date]:
    """The days on which something was made public, except the last (it knows everything)."""
    days = sorted({recorded.reported_on for recorded in events})
    return days[:-1]


def retraction_targets(events: Sequence[RecordedEvent]) -> dict[str, str]:
    """retraction id -> the id it withdraws."""
    return {
        recorded.event_id: recorded.payload.target_event_id
        for recorded in events
        if isinstance(recorded.payload, EventRetracted)
    }


def chain(targets: Mapping[str, str], retraction_id: str) -> list[str]:
    """The events a retraction acts on: its target, and on down while the target is itself a
    retraction (withdrawing a retraction restores what that one withdrew)."""
    members: list[str] = []
    target = targets.get(retraction_id)
    while target is not None and target not in members:
        members.append(target)
        target = targets.get(target)
    return members


def differing_days(events: Sequence[RecordedEvent]) -> list[tuple[dt.date, dt.date]]:
    """Spans [from, to] of knowledge days at which some state(D, K) with D <= K can differ from state(D).

    A report occurring on O and made public on R > O is unknown to every K in [O, R). A retraction
    made public on R changes what is visible from R on, for every day from its target's day (and
    a retracted retraction's target's, and so on): K in [that day, R).
    """
    by_id = {recorded.event_id: recorded for recorded in events}
    targets = retraction_targets(events)

    def earliest_affected(event_id: str, seen: frozenset[str] = frozenset()) -> dt.date | None:
        recorded = by_id.get(event_id)
        if recorded is None or event_id in seen:
            return None
        further = targets.get(event_id)
        deeper = earliest_affected(further, seen | {event_id}) if further else None
        return min(recorded.occurred_on, deeper) if deeper else recorded.occurred_on

    spans = []
    for recorded in events:
        if recorded.reported_on > recorded.occurred_on:
            spans.append((recorded.occurred_on, recorded.reported_on - dt.timedelta(days=1)))
        if recorded.event_id in targets:
            start = earliest_affected(targets[recorded.event_id])
            if start is not None and start < recorded.reported_on:
                spans.append((start, recorded.reported_on - dt.timedelta(days=1)))
    return spans


def relevant_days(events: Sequence[RecordedEvent]) -> list[dt.date]:
    """The knowledge days that get an entry: those inside some span of `differing_days`."""
    spans = differing_days(events)
    if not spans:
        return []
    return [day for day in knowledge_days(events) if any(start <= day <= end for start, end in spans)]


@attrs.frozen
class KnownOn:
    """What the page needs for one knowledge day K."""

    known_on: dt.date
    start: int  # the first position whose facts differ from full knowledge
    deltas: list[list[list[int]]]  # per position from `start`: [path index, fact index | GONE | SAME]


class FullFold:
    """The full-knowledge states at the end of every day, kept (projector states are persistent maps,
    so a day's states share all but what changed with the day before's)."""

    def __init__(self, timeline: Timeline, events: Sequence[RecordedEvent]):
        self.hidden = replay.hidden_event_ids(timeline.store, None)
        self.by_day: dict[dt.date, list[RecordedEvent]] = {}
        for recorded in sorted(events, key=lambda recorded: (recorded.occurred_on, recorded.seq)):
            self.by_day.setdefault(recorded.occurred_on, []).append(recorded)
        self.days = sorted(self.by_day)
        self.states: list[tuple[State, ...]] = []
        states = replay.initial_states()
        for day in self.days:
            states, _ = replay.fold(states, (e for e in self.by_day[day] if e.event_id not in self.hidden))
            self.states.append(states)

    def states_before(self, day: dt.date) -> tuple[State, ...]:
        """The states at the end of the last day with events before `day`."""
        position = bisect.bisect_left(self.days, day)
        return self.states[position - 1] if position else replay.initial_states()

    def states_on(self, day: dt.date) -> tuple[State, ...]:
        return self.states_before(day + dt.timedelta(days=1))


def facts_of(states: tuple[State, ...], day: dt.date) -> dict[str, Any]:
    return Snapshot(day, None, None, 0, states).facts()


def known_on_pass(
    timeline: Timeline,
    fold: FullFold,
    known_on: dt.date,
    since: dt.date,
    positions: Sequence[dt.date],
    full_facts: Callable[[int], dict[str, Any]],
    path_index: Callable[[str], int],
    fact_index: Callable[[str, Any], int],
) -> KnownOn | None:
    """The deltas for K, folding only the days from `since` (before it, knowing on K changes nothing)."""
    hidden = replay.hidden_event_ids(timeline.store, known_on)
    states = fold.states_before(since)
    pending = iter(day for day in fold.days if since <= day <= known_on)
    day = next(pending, None)
    overrides: dict[str, int] = {}
    deltas: list[list[list[int]]] = []
    for position, date in enumerate(positions):
        if position > 0 and date > known_on:
            break  # after K nothing more was known: the page shows K's own position
        if date < since - dt.timedelta(days=1):
            deltas.append([])
            continue
        while day is not None and day <= date:
            visible = (e for e in fold.by_day[day] if e.reported_on <= known_on and e.event_id not in hidden)
            states, _ = replay.fold(states, visible)
            day = next(pending, None)
        known, full = facts_of(states, date), full_facts(position)
        delta: list[list[int]] = []
        for path in sorted(set(known) | set(full) | set(overrides)):
            mine, theirs = known.get(path), full.get(path)
            if mine is theirs or mine == theirs:
                if path in overrides:
                    del overrides[path]
                    delta.append([path_index(path), SAME])
                continue
            now = GONE if mine is None else fact_index(path, mine)
            if overrides.get(path) != now:
                overrides[path] = now
                delta.append([path_index(path), now])
        deltas.append(delta)
    start = next((position for position, delta in enumerate(deltas) if delta), None)
    return None if start is None else KnownOn(known_on, start, deltas[start:])


def hidden_on(timeline: Timeline, known_on: dt.date | None) -> frozenset[str]:
    """Ids of the events withdrawn by the retractions known on K (None: all of them)."""
    return replay.hidden_event_ids(timeline.store, known_on)
