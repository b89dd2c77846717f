"""Reading and writing the event format as JSON Lines, one event per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO

from events.codec import event_from_record, event_to_record
from events.envelope import Event
from events.errors import InvalidEvent
from timeline.errors import BadEvent
from timeline.formats.lines import MAX_LINE_BYTES, json_lines, parse_record

__all__ = ["MAX_LINE_BYTES", "event_from_json", "parse_record", "read_events", "write_events"]


def event_from_json(text: str, *, where: str | None = None) -> Event:
    try:
        record = parse_record(text)
    except ValueError as exc:
        raise BadEvent(str(exc), where=where) from None
    try:
        return event_from_record(record)
    except InvalidEvent as exc:
        raise BadEvent(exc.message, where=where, field=exc.field) from None


def read_events(stream: IO[bytes], name: str) -> Iterator[tuple[Event, str]]:
    """Yield (event, "name:line") for each line; raise BadEvent at the first bad one."""
    for record, where in json_lines(stream, name):
        try:
            yield event_from_record(record), where
        except InvalidEvent as exc:
            raise BadEvent(exc.message, where=where, field=exc.field) from None


def write_events(events: Iterable[Event], stream: IO[str]) -> int:
    count = 0
    for event in events:
        stream.write(json.dumps(event_to_record(event), ensure_ascii=False) + "\n")
        count += 1
    return count
