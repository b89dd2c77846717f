"""When each event is in a snapshot's fold, as a function of the knowledge day.

An event is folded by a snapshot knowing day K when it was reported by K and no retraction of
it is in force on K; a retraction is in force when it is itself folded (a retraction of a
retraction restores its target). So an event's visibility is a step function of K that changes
only on the reported days of the event and of the retractions in its chain.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import attrs

Visibility = tuple[tuple[str, bool], ...]  # (knowledge day, visible from that day on), by day; none before the first


@attrs.frozen
class Retraction:
    event_id: str
    target: str
    reported_on: str


class Retractions:
    """The retractions of a log (or those logged before a write), by target."""

    def __init__(self, retractions: Iterable[tuple[str, str, str]]):
        self.by_target: dict[str, list[Retraction]] = {}
        self.target_of: dict[str, str] = {}
        for event_id, target, reported_on in retractions:
            self.by_target.setdefault(target, []).append(Retraction(event_id, target, reported_on))
            self.target_of[event_id] = target
        self._steps = functools.lru_cache(maxsize=None)(self._compute)

    def targets(self) -> set[str]:
        return set(self.by_target)

    def steps(self, event_id: str, reported_on: str) -> Visibility:
        """The event's visibility, as the knowledge days it changes on."""
        if event_id not in self.by_target:
            return ((reported_on, True),)
        return self._steps(event_id, reported_on)

    def _compute(self, event_id: str, reported_on: str) -> Visibility:
        days = sorted({reported_on, *self._chain_days(event_id)})
        steps: list[tuple[str, bool]] = []
        for day in days:
            visible = self.visible(event_id, reported_on, day)
            if not steps or steps[-1][1] != visible:
                steps.append((day, visible))
        if steps and not steps[0][1]:
            steps.pop(0)  # invisible until it first shows: no step needed
        return tuple(steps)

    def _chain_days(self, event_id: str, seen: frozenset[str] = frozenset()) -> set[str]:
        days: set[str] = set()
        for retraction in self.by_target.get(event_id, ()):
            if retraction.event_id not in seen:
                days.add(retraction.reported_on)
                days |= self._chain_days(retraction.event_id, seen | {event_id})
        return days

    def visible(self, event_id: str, reported_on: str, known_on: str) -> bool:
        """Whether the event is folded by a snapshot knowing `known_on`."""
        return reported_on <= known_on and not self.hidden(event_id, known_on)

    def hidden(self, event_id: str, known_on: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a retraction of the event is in force on `known_on`."""
        for retraction in self.by_target.get(event_id, ()):
            if retraction.event_id in seen:
                continue
            if retraction.reported_on <= known_on and not self.hidden(retraction.event_id, known_on, seen | {event_id}):
                return True
        return False


def visible_at(steps: Visibility, known_on: str) -> bool:
    """The value of a visibility step function on a knowledge day."""
    visible = False
    for day, value in steps:
        if day > known_on:
            break
        visible = value
    return visible


def first_difference(old: Visibility, new: Visibility) -> str | None:
    """The first knowledge day on which two visibilities differ, or None if they never do."""
    days = sorted({day for day, _ in old} | {day for day, _ in new})
    for day in days:
        if visible_at(old, day) != visible_at(new, day):
            return day
    return None
