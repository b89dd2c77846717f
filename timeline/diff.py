"""What changed between two snapshots, and which events caused it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import attrs

from events.codec import state_converter
from events.envelope import RecordedEvent
from events.kinds.territory import MultiPolygonCoordinates
from timeline.facts import Encoded, FactMap, read_held
from timeline.projectors.base import Fact
from timeline.projectors.territory import MappedArea
from timeline.snapshot import Snapshot, fact_path


@attrs.frozen(eq=False)
class Change:
    """One fact's change. Its facts may be held as stored (`Encoded`) and are then decoded each
    time they are read, not kept: a diff of every place of a million-row ACLED log holds 6,000
    changes, and their decoded facts took 60 MB until printed."""

    path: str
    _before: Any  # the fact before, or None when it is new
    _after: Any  # the fact after, or None when it is gone
    event_ids: tuple[str, ...]  # events that made the change (the new provenance)

    @property
    def before(self) -> Any:
        return read_held(self._before)

    @property
    def after(self) -> Any:
        return read_held(self._after)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return (self.path, self.event_ids, self.before, self.after) == (
            other.path,
            other.event_ids,
            other.before,
            other.after,
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, which may be unhashable

    def to_json(self) -> dict[str, Any]:
        before, after = self.before, self.after
        return {
            "path": self.path,
            "before": state_converter.unstructure(before) if before is not None else None,
            "after": state_converter.unstructure(after) if after is not None else None,
            "event_ids": list(self.event_ids),
        }


def _provenance(held: Any) -> tuple[str, ...]:
    return held.event_ids() if type(held) is Encoded else tuple(held.event_ids)


def _change(path: str, old: Any, new: Any) -> Change:
    """The change from `old` to `new` (facts, or facts as stored; None: absent)."""
    if new is not None:
        known = set(_provenance(old)) if old is not None else set()
        added = _provenance(new)
        causes = tuple(event_id for event_id in added if event_id not in known) or added
    elif old is not None:
        causes = _provenance(old)  # a fact that is gone: the events it rested on
    else:
        raise ValueError(f"{path}: a change needs a fact before it, after it, or both")
    return Change(path, old, new, causes)


def diff_facts(before: Mapping[str, Fact], after: Mapping[str, Fact]) -> tuple[Change, ...]:
    """The changes between two {path: fact} maps, by path."""
    return tuple(
        _change(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    )


def diff_snapshots(before: Snapshot, after: Snapshot) -> tuple[Change, ...]:
    """`diff_facts` of two snapshots, comparing facts loaded from checkpoints without decoding
    them, and keeping a changed one as stored (decoded when read, its provenance read alone)."""
    changes = []
    for (name, old_facts), new_facts in zip(
        before.projector_facts().items(), after.projector_facts().values(), strict=True
    ):
        for key in set(old_facts) | set(new_facts):
            if not old_facts.same_fact(key, new_facts):
                changes.append(_change(fact_path(name, key), old_facts.stored(key), new_facts.stored(key)))
    return tuple(sorted(changes, key=lambda change: change.path))


def changed_between(before: Mapping[str, FactMap], after: Mapping[str, FactMap]) -> tuple[str, ...]:
    """The paths `diff_snapshots` would give for two snapshots' `projector_facts()`, without
    building its changes (no fact is decoded when both sides hold it encoded or as the same
    object). It takes the derived facts, not the snapshots, so a walk over days derives each once."""
    paths = []
    for (name, old_facts), new_facts in zip(before.items(), after.values(), strict=True):
        for key in set(old_facts) | set(new_facts):
            if not old_facts.same_fact(key, new_facts):
                paths.append(fact_path(name, key))
    return tuple(sorted(paths))


def apply_changes(facts: Mapping[str, Fact], changes: tuple[Change, ...]) -> dict[str, Fact]:
    """The inverse view of a diff: facts of `a` plus diff(a, b) gives the facts of `b`."""
    result = dict(facts)
    for change in changes:
        if change.after is None:
            result.pop(change.path, None)
        else:
            result[change.path] = change.after
    return result


@attrs.frozen
class AreaChange:
    """What a claimant's map of one controller gained and lost between two of its polygons, each
    part measured on the ellipsoid (a shapely difference both ways)."""

    path: str
    claimant: str
    controller: str
    before_on: dt.date
    after_on: dt.date
    before_polygon: str  # the events that carry the two polygons
    after_polygon: str
    gained_km2: float
    lost_km2: float

    @property
    def net_km2(self) -> float:
        return round(self.gained_km2 - self.lost_km2, 2)

    def describe(self) -> str:
        return (
            f"{self.controller} gained {self.gained_km2:,.0f} km² and lost {self.lost_km2:,.0f} km² "
            f"(net {self.net_km2:+,.0f} km²), measured between the polygons of {self.before_on.isoformat()} "
            f"and {self.after_on.isoformat()}"
        )

    def to_json(self) -> dict[str, Any]:
        return {**state_converter.unstructure(self), "net_km2": self.net_km2}


PolygonReader = Callable[[str], MultiPolygonCoordinates | None]


def area_changes(changes: Iterable[Change], polygon: PolygonReader) -> tuple[AreaChange, ...]:
    """The gains and losses of each mapped area that changed, its polygons read by `polygon(event id)`.
    Two maps with the same polygon gained and lost nothing (nothing is read or measured); a polygon
    the log does not hold is left out."""
    from timeline.geometry import gained_and_lost

    found = []
    for change in changes:
        before, after = change.before, change.after
        if not isinstance(before, MappedArea) or not isinstance(after, MappedArea):
            continue
        if before.geometry_hash == after.geometry_hash:
            gained = lost = 0.0
        else:
            old, new = polygon(before.polygon_event), polygon(after.polygon_event)
            if old is None or new is None:
                continue
            gained, lost = gained_and_lost(old, new)
        found.append(
            AreaChange(
                change.path,
                after.claimant,
                after.controller,
                before.claim.on,
                after.claim.on,
                before.polygon_event,
                after.polygon_event,
                gained,
                lost,
            )
        )
    return tuple(found)


@attrs.frozen
class Diff:
    before: Snapshot
    after: Snapshot
    changes: tuple[Change, ...]
    # What occurred after `before.as_of`, up to `after.as_of`: a tuple, or a list re-read from the log.
    events: Collection[RecordedEvent]
    # The area each changed map gained and lost (when the diff was given a way to read polygons).
    areas: tuple[AreaChange, ...] = ()

    @classmethod
    def between(
        cls,
        before: Snapshot,
        after: Snapshot,
        events: Collection[RecordedEvent] = (),
        polygon: PolygonReader | None = None,
    ) -> Diff:
        changes = diff_snapshots(before, after)
        areas = area_changes(changes, polygon) if polygon is not None else ()
        return cls(before, after, changes, events, areas)
