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

import attrs

from events.envelope import Event
from timeline.checkpoints.values import FactValue, ValueCodec
from timeline.checkpoints.visibility import Steps, visible_at
from timeline.facts import FactMap
from timeline.projectors.base import FactKey, State
from timeline.store.fact_tables import OPEN, FactTables, Version


@attrs.frozen
class KeyEvent:
    """An event that touches the fact, with its valid day and its visibility by knowledge day."""

    occurred_on: str
    event: Event
    steps: Steps


@attrs.frozen
class Step:
    """The fact's value from this valid day on (within one band), where it changed."""

    day: str
    value: FactValue


def rederive(
    tables: FactTables,
    codec: ValueCodec,
    apply: object,
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
    folder = _Folder(codec, apply, key)
    band_steps: list[list[Step]] = []
    previous: tuple[str, int | None, list[Step]] | None = None
    for band in bands:
        start_id = _start(prefix, band)
        visible = [item for item in events if visible_at(item.steps, band)]
        if previous is None or previous[1] != start_id:
            steps = folder.fold(codec.value_of(start_id), visible, events_from)
        else:
            steps = folder.refold(previous[2], codec.value_of(start_id), visible, events, previous[0], band)
        band_steps.append(steps)
        previous = (band, start_id, steps)
    rows = _rows(bands, band_steps, codec)
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


class _Folder:
    """Folds one fact's events from a starting value, giving the days its value changes."""

    def __init__(self, codec: ValueCodec, apply: object, key: FactKey):
        self.codec, self.apply, self.key = codec, apply, key

    def fold(self, start: FactValue, events: list[KeyEvent], from_day: str) -> list[Step]:
        return self._steps(start, [item for item in events if item.occurred_on >= from_day], None)

    def refold(
        self,
        before: list[Step],
        start: FactValue,
        visible: list[KeyEvent],
        events: list[KeyEvent],
        previous_band: str,
        band: str,
    ) -> list[Step]:
        """The band's steps from the band before's: only from the earliest day whose events differ."""
        flipped = [
            item.occurred_on for item in events if visible_at(item.steps, previous_band) != visible_at(item.steps, band)
        ]
        if not flipped:
            return before
        first, last = min(flipped), max(flipped)
        kept = [step for step in before if step.day < first]
        value = kept[-1].value if kept else start
        tail = self._steps(value, [item for item in visible if item.occurred_on >= first], (before, last, start.digest))
        return kept + tail

    def _steps(
        self, start: FactValue, events: list[KeyEvent], converge: tuple[list[Step], str, bytes | None] | None
    ) -> list[Step]:
        """The days (of `events`) on which the value changes from the day before. With
        `converge` (the band before's steps, the last day whose events differ from it), the fold
        stops at the first day after that one whose value equals the band before's, and the rest is
        the band before's."""
        key, apply, codec = self.key, self.apply, self.codec
        state: State = FactMap() if start.fact is None else FactMap().set(key, start.fact)
        current = start
        steps: list[Step] = []
        position = 0
        while position < len(events):
            day = events[position].occurred_on
            while position < len(events) and events[position].occurred_on == day:
                state = apply(state, events[position].event)  # type: ignore[operator]  # a projector's apply
                position += 1
            value = codec.value(state.get(key))
            if value.digest != current.digest:
                steps.append(Step(day, value))
                current = value
            if converge is not None and day >= converge[1] and _value_on(converge[0], day, converge[2]) == value.digest:
                return steps + [step for step in converge[0] if step.day > day]
        return steps


def _value_on(steps: list[Step], day: str, default: bytes | None) -> bytes | None:
    found = default
    for step in steps:
        if step.day > day:
            break
        found = step.value.digest
    return found


def _rows(bands: list[str], band_steps: list[list[Step]], codec: ValueCodec) -> list[Version]:
    """One row per (valid day, value) for each run of consecutive bands that holds that step."""
    value_ids = codec.store([step.value for steps in band_steps for step in steps])
    rows: list[Version] = []
    open_rows: dict[tuple[str, bytes | None], str] = {}
    for band, steps in zip(bands, band_steps, strict=True):
        current = {(step.day, step.value.digest) for step in steps}
        for held in [held for held in open_rows if held not in current]:
            day, digest = held
            rows.append(Version(day, open_rows.pop(held), band, value_ids[digest]))
        for held in current:
            open_rows.setdefault(held, band)
    for (day, digest), since in open_rows.items():
        rows.append(Version(day, since, OPEN, value_ids[digest]))
    return rows
