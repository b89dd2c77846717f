"""What changed between two snapshots, and which events caused it."""

from __future__ import annotations

from typing import Any, Mapping

import attrs

from events.codec import state_converter
from events.envelope import RecordedEvent
from timeline.projectors.base import Fact
from timeline.snapshot import Snapshot


@attrs.frozen
class Change:
    path: str
    before: Any  # the fact before, or None when it is new
    after: Any  # the fact after, or None when it is gone
    event_ids: tuple[str, ...]  # events that made the change (the new provenance)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": state_converter.unstructure(self.before) if self.before is not None else None,
            "after": state_converter.unstructure(self.after) if self.after is not None else None,
            "event_ids": list(self.event_ids),
        }


def diff_facts(before: Mapping[str, Fact], after: Mapping[str, Fact]) -> tuple[Change, ...]:
    changes = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if new is None:
            causes = old.event_ids
        else:
            known = set(old.event_ids) if old is not None else set()
            causes = tuple(event_id for event_id in new.event_ids if event_id not in known) or new.event_ids
        changes.append(Change(path, old, new, causes))
    return tuple(changes)


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
class Diff:
    before: Snapshot
    after: Snapshot
    changes: tuple[Change, ...]
    events: tuple[RecordedEvent, ...]  # what occurred after `before.as_of`, up to `after.as_of`

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot, events: tuple[RecordedEvent, ...] = ()) -> "Diff":
        return cls(before, after, diff_facts(before.facts(), after.facts()), events)

    def is_empty(self) -> bool:
        return not self.changes
