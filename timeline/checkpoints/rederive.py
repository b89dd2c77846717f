"""One fact's versions rebuilt over a corner of the (valid day, knowledge day) plane.

A write changes a fact only from the valid day of the earliest event it adds (or shows, or
hides) for that fact, and only for the knowledge days from which that change is known: a corner
(valid day >= O, knowledge day >= R). Projectors are key-local (each fact depends only on the
events that touch it: tests/projectors/test_key_locality.py), so the fact is refolded alone, from
its value on the day before O, over its own events.

Knowledge days split the corner into bands within which the fact's events and their visibility
do not change. The first band is folded from O; each next band only from the earliest day whose
events differ from the band before (usually the last few days: reports arrive in order), and it
stops as soon as it meets the band before again. Equal versions in consecutive bands become one
row that spans them.
"""

from __future__ import annotations

import bisect
import typing
from collections.abc import Callable
from typing import Any

import attrs

from events.envelope import Event
from timeline.checkpoints.values import FactValue, ValueCodec
from timeline.checkpoints.visibility import Visibility, visible_at
from timeline.facts import Encoded
from timeline.projectors.base import FactKey
from timeline.store.fact_tables import OPEN, FactTables, Version

STORE_BATCH = 256  # new values of one fact stored at a time: memory stays a batch's, not a fact's

# A projector's `fact_folder()`: (key, fact or None, event) -> the fact after the event.
FactStep = Callable[[FactKey, Any, Event], Any]


class SharedStrings:
    """Makes the equal short strings of one fact's events one object each, as they are decoded.

    A refold holds every event of its fact at once, and a region's events repeat their country,
    region, actors, types and sources: the 17,430 events of the largest region of a million-row
    ACLED log took 32.8 MB decoded, 16.1 MB shared. Only equal strings are swapped, so the events
    are what they were (their classes are frozen; the swap goes around it). Long strings (notes)
    are left alone: they seldom repeat. One pool per fact, so unique strings (record ids) do not
    pile up over a write of a million events.

    Sharing costs ~7 µs an event, and most facts (a location's) hold a few hundred events, a few
    hundred KB decoded: the first SHARE_FROM events of a fact (~4 MB at most) are kept as decoded,
    and only a fact with more pays, for the rest. Only fields that may hold a string are read."""

    LONGEST = 100
    SHARE_FROM = 2_000
    _fields: dict[type, tuple[str, ...]] = {}  # noqa: RUF012 - a cache shared by every pool

    def __init__(self, *, share_from: int = SHARE_FROM) -> None:
        self._pool: dict[str, str] = {}
        self._seen = 0
        self._share_from = share_from

    def event(self, event: Event) -> Event:
        self._seen += 1
        if self._seen <= self._share_from:
            return event
        pool, longest = self._pool, self.LONGEST
        payload = event.payload
        for owner, name in ((event, "source"), *((payload, name) for name in self._text_fields(type(payload)))):
            value = getattr(owner, name)
            if type(value) is str and len(value) < longest:
                object.__setattr__(owner, name, pool.setdefault(value, value))
        return event

    @classmethod
    def _text_fields(cls, payload_class: type) -> tuple[str, ...]:
        """The payload's fields that may hold a string (others are passed over unread)."""
        names = cls._fields.get(payload_class)
        if names is None:
            hints = typing.get_type_hints(payload_class)
            names = cls._fields[payload_class] = tuple(
                field.name for field in attrs.fields(payload_class) if _may_be_text(hints[field.name])
            )
        return names


def _may_be_text(annotation: Any) -> bool:
    return annotation is str or str in typing.get_args(annotation)


@attrs.frozen
class KeyEvent:
    """An event that touches the fact, with its valid day and its visibility by knowledge day."""

    occurred_on: str
    event: Event
    steps: Visibility


def rederive(
    tables: FactTables,
    codec: ValueCodec,
    step: FactStep,
    key: FactKey,
    key_id: int,
    events_from: str,
    known_from: str,
    events: list[KeyEvent],
    versions: list[Version],
) -> tuple[list[Version], set[int]]:
    """The fact's new versions in the corner (valid day >= `events_from`, knowledge day >=
    `known_from`), written in place of the old ones there; returns them and the value ids the old
    ones used. `events` are the fact's events that occurred on or after `events_from`, in fold
    order; `versions` its versions as stored."""
    prefix = [version for version in versions if version.valid_from < events_from]
    bands = _bands(known_from, prefix, events)
    folder = _Folder(codec, step, key, events)
    # Which events each band shows: as of the first band, then flipped where a band changes them.
    visible = [visible_at(item.steps, known_from) for item in events]
    flips: dict[str, list[int]] = {}
    for position, item in enumerate(events):
        for day, _ in item.steps:
            if day > known_from:
                flips.setdefault(day, []).append(position)
    writer = _RowWriter(codec)
    previous: tuple[int | None, Steps] | None = None
    for band in bands:
        changed = flips.get(band, []) if band != known_from else []
        for position in changed:
            visible[position] = not visible[position]
        start_id = _start(prefix, band)
        start = codec.value_of(start_id)
        if previous is None or previous[0] != start_id:
            steps, differs_from = folder.fold(start, visible, 0, None), ""
        elif not changed:
            steps, differs_from = previous[1], OPEN
        else:
            steps, differs_from = folder.refold(previous[1], start, visible, changed), folder.days[min(changed)]
        writer.band(band, steps, differs_from)
        codec.forget_folded()  # only the band's own steps are needed from here: memory stays one band's
        previous = (start_id, steps)
    rows = writer.finish()
    used = tables.replace_versions(key_id, events_from, known_from, rows)
    return rows, used


def _bands(known_from: str, prefix: list[Version], events: list[KeyEvent]) -> list[str]:
    """The knowledge days from `known_from` on at which the fact's inputs change."""
    days = {known_from}
    for version in prefix:
        days.update(day for day in (version.known_from, version.known_to) if known_from < day < OPEN)
    for item in events:
        days.update(day for day, _ in item.steps if day > known_from)
    return sorted(days)


def _start(prefix: list[Version], band: str) -> int | None:
    """The value id in force on the day before the corner, as known in `band`."""
    best: Version | None = None
    for version in prefix:
        if version.known_from <= band < version.known_to and (best is None or version.valid_from > best.valid_from):
            best = version
    return None if best is None else best.value_id


@attrs.frozen
class Steps:
    """The days within one band on which the fact's value changes from the day before, and the
    value from each on (parallel lists, by day)."""

    days: list[str]
    values: list[FactValue]

    def value_on(self, day: str, start: FactValue) -> FactValue:
        position = bisect.bisect_right(self.days, day) - 1
        return self.values[position] if position >= 0 else start

    def before(self, day: str) -> Steps:
        position = bisect.bisect_left(self.days, day)
        return Steps(self.days[:position], self.values[:position])

    def after_or_on(self, day: str) -> Steps:
        position = bisect.bisect_left(self.days, day)
        return Steps(self.days[position:], self.values[position:])

    def after(self, day: str) -> Steps:
        position = bisect.bisect_right(self.days, day)
        return Steps(self.days[position:], self.values[position:])

    def __add__(self, other: Steps) -> Steps:
        return Steps(self.days + other.days, self.values + other.values)


class _Folder:
    """Folds one fact's events from a starting value, giving the days its value changes."""

    def __init__(self, codec: ValueCodec, step: FactStep, key: FactKey, events: list[KeyEvent]):
        self.codec, self.step, self.key, self.events = codec, step, key, events
        self.days = [item.occurred_on for item in events]

    def refold(self, before: Steps, start: FactValue, visible: list[bool], changed: list[int]) -> Steps:
        """A band's steps from the band before's (`before`), the events at `changed` shown or
        hidden since: kept up to the earliest changed day, refolded from it, and the band before's
        again from the first day after the last changed one on which the two agree."""
        first, last = self.days[min(changed)], self.days[max(changed)]
        kept = before.before(first)
        value = kept.values[-1] if kept.values else start
        position = bisect.bisect_left(self.days, first)
        return kept + self.fold(value, visible, position, (before, last, start))

    def fold(
        self, start: FactValue, visible: list[bool], position: int, converge: tuple[Steps, str, FactValue] | None
    ) -> Steps:
        """The steps of folding the visible events from `position` on, from `start`. With
        `converge`, stop at the first day after its last changed day whose value equals its
        steps' value, and take its steps from there."""
        key, step, codec, events, days = self.key, self.step, self.codec, self.events, self.days
        fact = start.fact.decode() if type(start.fact) is Encoded else start.fact
        current = start
        found = Steps([], [])
        count = len(events)
        while position < count:
            day = days[position]
            folded = False
            while position < count and days[position] == day:
                if visible[position]:
                    fact = step(key, fact, events[position].event)
                    folded = True
                position += 1
            if not folded:
                continue
            value = codec.value(fact)
            if value.digest != current.digest:
                found.days.append(day)
                found.values.append(value)
                current = value
            if converge is not None and day >= converge[1]:
                other, _, other_start = converge
                if other.value_on(day, other_start).digest == value.digest:
                    return found + other.after(day)
        return found


class _RowWriter:
    """The rows of the bands as they are folded, one band at a time: one row per (valid day, value)
    for each run of consecutive bands that holds that step, a band compared with the one before
    only from the first day it differs. New values are stored STORE_BATCH at a time, in the order
    the key took them (a statement or three per batch, not per band); a row names its value by
    digest until the end, when every value has its id."""

    def __init__(self, codec: ValueCodec):
        self.codec = codec
        self.rows: list[tuple[str, str, str, bytes | None]] = []  # (valid day, known from, known to, digest)
        self.open: dict[tuple[str, bytes | None], str] = {}
        self.ids: dict[bytes | None, int | None] = {None: None}
        self.pending: dict[bytes, FactValue] = {}
        self.before = Steps([], [])

    def band(self, band: str, steps: Steps, differs_from: str) -> None:
        old, new = self.before.after_or_on(differs_from), steps.after_or_on(differs_from)
        for value in new.values:
            if value.digest not in self.ids and value.digest not in self.pending:
                assert value.digest is not None  # the absent fact is in `ids` already
                self.pending[value.digest] = value
        if len(self.pending) >= STORE_BATCH:
            self._store()
        current = set(zip(new.days, (value.digest for value in new.values), strict=True))
        for held in zip(old.days, (value.digest for value in old.values), strict=True):
            if held not in current:
                self.rows.append((held[0], self.open.pop(held), band, held[1]))
        for held in current:
            self.open.setdefault(held, band)
        self.before = steps

    def _store(self) -> None:
        self.ids.update(self.codec.store(self.pending.values()).items())
        self.pending.clear()

    def finish(self) -> list[Version]:
        self._store()
        for (day, digest), since in self.open.items():
            self.rows.append((day, since, OPEN, digest))
        ids = self.ids
        return [Version(day, since, until, ids[digest]) for day, since, until, digest in self.rows]
