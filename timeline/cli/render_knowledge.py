"""How `learned` and `history` print: a table for people, JSON for machines (the changes' and
the facts' shapes are those of `diff` and `state --json`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from events.codec import state_converter
from timeline.cli.render import (
    EVENTS_IN_JSON,
    EVENTS_SHOWN,
    Streamed,
    area_lines,
    counted,
    describe,
    json_chunks,
    materialized,
    recorded_to_json,
)
from timeline.knowledge import FactVersion, History, HistoryListing, Learned


def learned_json(learned: Learned, *, all_events: bool = False) -> dict[str, Any]:
    """The JSON of `learned`: its events the first EVENTS_IN_JSON (as `diff --json`), or all."""
    return materialized(_learned_fields(learned, all_events=all_events))


def learned_json_chunks(learned: Learned, *, all_events: bool = False) -> Iterator[str]:
    """`dumps(learned_json(learned))` a change and an event at a time (`json_chunks`)."""
    yield from json_chunks(_learned_fields(learned, all_events=all_events))


def _learned_fields(learned: Learned, *, all_events: bool) -> dict[str, Any]:
    events = learned.events if all_events else learned.events[:EVENTS_IN_JSON]
    return {
        "as_of": learned.as_of.isoformat(),
        "from_known": learned.from_known.isoformat(),
        "to_known": learned.to_known.isoformat(),
        "changes": Streamed(change.to_json() for change in learned.changes),
        **({"area_changes": [area.to_json() for area in learned.areas]} if learned.areas else {}),
        "events_total": len(learned.events),
        "events": Streamed({**recorded_to_json(item.recorded), "learned": item.how} for item in events),
    }


def learned_lines(learned: Learned, *, all_events: bool = False) -> Iterator[str]:
    counts = {how: sum(item.how == how for item in learned.events) for how in ("reported", "withdrawn", "restored")}
    said = ", ".join(f"{count:,} {how}" for how, count in counts.items() if count) or "no event"
    yield (
        f"What became known about {learned.as_of.isoformat()} between {learned.from_known.isoformat()} and "
        f"{learned.to_known.isoformat()}: {counted(len(learned.changes), 'change')}; {said}"
    )
    yield from area_lines(learned.changes, learned.areas)
    if learned.events:
        yield ""
        yield "Events:"
        for item in learned.events if all_events else learned.events[:EVENTS_SHOWN]:
            recorded = item.recorded
            yield (
                f"  {item.how:<9}  {recorded.occurred_on.isoformat()}  reported {recorded.reported_on.isoformat()}  "
                f"{recorded.event_id}  {describe(recorded, 70)}"
            )
        if not all_events and len(learned.events) > EVENTS_SHOWN:
            yield f"  ... and {len(learned.events) - EVENTS_SHOWN:,} more (--all-events lists them all)"


def history_json_chunks(history: History | HistoryListing) -> Iterator[str]:
    """`dumps` of the history as one JSON object ({"path", "versions": [...]}), in lines a
    version at a time (a listing reads its values as it goes)."""
    versions = history.versions if isinstance(history, History) else history
    yield from json_chunks({"path": history.path, "versions": Streamed(_version_json(version) for version in versions)})


def _version_json(version: FactVersion) -> dict[str, Any]:
    return {
        "valid_from": version.valid_from.isoformat(),
        "known_from": version.known_from.isoformat(),
        "known_to": version.known_to.isoformat() if version.known_to else None,
        "value": state_converter.unstructure(version.value) if version.value is not None else None,
        "event_ids": list(version.value.event_ids) if version.value is not None else [],
        "withdrawn": list(version.withdrawn),
    }


def history_lines(history: History | HistoryListing) -> Iterator[str]:
    versions = history.versions if isinstance(history, History) else history
    yield f"{history.path}: {len(versions):,} versions (valid from, known from, known until)"
    for version in versions:
        until = version.known_to.isoformat() if version.known_to else "now"
        value = version.value.describe() if version.value is not None else "(gone)"
        yield f"  {version.valid_from.isoformat()}  {version.known_from.isoformat()}  {until:<10}  {value}"
        if version.withdrawn:
            yield f"      rests on withdrawn: {', '.join(version.withdrawn)}"
