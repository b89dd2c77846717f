"""Reading and writing the event format as JSON Lines, one event per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from events.codec import CheckedRecord, event_from_record, event_to_record
from events.envelope import Event
from events.errors import InvalidEvent
from timeline.errors import BadEvent

MAX_LINE_BYTES = 1 << 20  # 1 MiB: no real event comes near it


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        # With a repeated key, which value a reader takes depends on the reader: refuse it.
        raise ValueError(f"key {duplicate!r} appears twice in one object")
    return record


def parse_record(text: str) -> Any:
    """JSON text -> Python value, refusing NaN/Infinity and repeated keys. Raises ValueError with a short reason."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    except ValueError as exc:  # NaN, or an integer too long to convert
        raise ValueError(f"not valid JSON: {exc}") from None


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
    for item, where in read_records(stream, name):
        yield (item.event() if type(item) is CheckedRecord else item), where


def read_records(stream: IO[bytes], name: str) -> Iterator[tuple[Event | CheckedRecord, str]]:
    """Like `read_events`, for appending: a line the fast path vouches for comes as its
    CheckedRecord (the record its event would give, without building the event); any other line
    goes through the cattrs converter, which accepts it or names the bad field."""
    from events.fastpath import record_from_json  # msgspec: imported by the commands that read JSONL

    lineno = 0
    seen_any = False
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)  # room for the line's own "\r\n"
        if not raw:
            break
        lineno += 1
        where = f"{name}:{lineno}"
        if len(raw) <= MAX_LINE_BYTES:
            record = record_from_json(raw)
            if record is not None:
                seen_any = True
                yield CheckedRecord(record), where
                continue
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise BadEvent(f"line is longer than {MAX_LINE_BYTES:,} bytes", where=where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEvent(f"not valid UTF-8 (byte {exc.start + 1} of the line)", where=where) from None
        if lineno == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark from some editors
        if not text.strip():
            continue
        seen_any = True
        yield event_from_json(text, where=where), where
    if not seen_any:
        raise BadEvent("no events in the input (it is empty)", where=name)


def write_events(events: Iterable[Event], stream: IO[str]) -> int:
    count = 0
    for event in events:
        stream.write(json.dumps(event_to_record(event), ensure_ascii=False) + "\n")
        count += 1
    return count
