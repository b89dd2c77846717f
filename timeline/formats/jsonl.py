"""Reading and writing the event format as JSON Lines, one event per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO

from events.codec import CheckedRecord, event_from_record, event_to_record
from events.envelope import Event
from events.errors import InvalidEvent
from timeline.errors import BadEvent
from timeline.formats.lines import MAX_LINE_BYTES, json_lines, parse_record

__all__ = ["MAX_LINE_BYTES", "event_from_json", "parse_record", "read_events", "read_records", "write_events"]


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


def read_records(stream: IO[bytes], name: str) -> Iterator[tuple[Event | CheckedRecord, str]]:
    """Like `read_events`, for appending: a line the fast path vouches for comes as its
    CheckedRecord (the record its event would give, without building the event); any other line
    goes through the cattrs converter, which accepts it or names the bad field."""
    from events.fastpath import record_from_json  # msgspec: imported by the commands that read JSONL

    def fast(raw: bytes) -> CheckedRecord | None:
        record = record_from_json(raw)
        return CheckedRecord(record) if record is not None else None

    for value, where in json_lines(stream, name, fast_path=fast):
        if type(value) is CheckedRecord:
            yield value, where
            continue
        try:
            yield event_from_record(value), where
        except InvalidEvent as exc:
            raise BadEvent(exc.message, where=where, field=exc.field) from None


def write_events(events: Iterable[Event], stream: IO[str]) -> int:
    count = 0
    for event in events:
        stream.write(json.dumps(event_to_record(event), ensure_ascii=False) + "\n")
        count += 1
    return count
