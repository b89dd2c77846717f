"""Reading and writing the event format as JSON Lines, one event per line.

A *published copy* (the export of a log with signed heads) carries more: each line also holds
the event's place in the hash chain (`seq`, `recorded_at`, `prev_hash`, `hash`, as `log --json`
prints them, beside the record exactly as stored), and a last line `{"signed_heads": [...]}`.
A reader can then rebuild the very chain that was signed and check it against the signer's key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

import attrs

from events.codec import event_from_record, event_to_record
from events.envelope import Event
from events.errors import InvalidEvent
from timeline.errors import BadEvent
from timeline.signing import SignedHead

CHAIN_FIELDS = ("seq", "recorded_at", "prev_hash", "hash")
SIGNED_HEADS_KEY = "signed_heads"

MAX_LINE_BYTES = 1 << 20  # 1 MiB: no real event comes near it


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # With a repeated key, which value a reader takes depends on the reader: refuse it.
                raise ValueError(f"key {key!r} appears twice in one object")
            seen.add(key)
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


@attrs.frozen
class PublishedLine:
    """One event line of an input: the record as written, the event it validates to, and its
    place in the hash chain when the input is a published copy."""

    record: dict[str, Any]
    event: Event
    chain: dict[str, Any] | None
    where: str


def read_lines(stream: IO[bytes], name: str, signed_heads: list[SignedHead]) -> Iterator[PublishedLine]:
    """Every event line; a `{"signed_heads": [...]}` line is put in `signed_heads` instead.
    Raises BadEvent at the first bad line."""
    seen_any = False
    for text, where in _texts(stream, name):
        try:
            record = parse_record(text)
        except ValueError as exc:
            raise BadEvent(str(exc), where=where) from None
        if isinstance(record, dict) and set(record) == {SIGNED_HEADS_KEY}:
            signed_heads.extend(_signed_heads(record[SIGNED_HEADS_KEY], where))
            continue
        chain = None
        # All four chain fields make a line of a published copy; one alone is an unknown field.
        if isinstance(record, dict) and all(field in record for field in CHAIN_FIELDS):
            chain = {field: record.pop(field) for field in CHAIN_FIELDS}
        try:
            event = event_from_record(record)
        except InvalidEvent as exc:
            raise BadEvent(exc.message, where=where, field=exc.field) from None
        seen_any = True
        yield PublishedLine(record, event, chain, where)
    if not seen_any:
        raise BadEvent("no events in the input (it is empty)", where=name)


def _signed_heads(value: Any, where: str) -> list[SignedHead]:
    fields = [field.name for field in attrs.fields(SignedHead)]
    if not isinstance(value, list) or not all(isinstance(item, dict) and set(item) == set(fields) for item in value):
        raise BadEvent(f"expected a list of objects with {', '.join(fields)}", where=where, field=SIGNED_HEADS_KEY)
    try:
        return [SignedHead(int(item["seq"]), *(str(item[name]) for name in fields[1:])) for item in value]
    except (TypeError, ValueError) as exc:
        raise BadEvent(f"not a signed head: {exc}", where=where, field=SIGNED_HEADS_KEY) from None


def _texts(stream: IO[bytes], name: str) -> Iterator[tuple[str, str]]:
    """(text, "name:line") of every non-blank line, checked for length and UTF-8."""
    lineno = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)  # room for the line's own "\r\n"
        if not raw:
            break
        lineno += 1
        where = f"{name}:{lineno}"
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise BadEvent(f"line is longer than {MAX_LINE_BYTES:,} bytes", where=where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEvent(f"not valid UTF-8 (byte {exc.start + 1} of the line)", where=where) from None
        if lineno == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark from some editors
        if text.strip():
            yield text, where


def read_events(stream: IO[bytes], name: str) -> Iterator[tuple[Event, str]]:
    """Yield (event, "name:line") for each line; raise BadEvent at the first bad one. The chain and
    signed heads of a published copy are left out: the events are appended as new ones."""
    for line in read_lines(stream, name, []):
        yield line.event, line.where


def write_events(events: Iterable[Event], stream: IO[str]) -> int:
    count = 0
    for event in events:
        stream.write(json.dumps(event_to_record(event), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_published(rows: Iterable[dict[str, Any]], signed_heads: list[SignedHead], stream: IO[str]) -> int:
    """A published copy: each stored row as its record and chain fields, then the signed heads."""
    from timeline.rows import row_to_record  # the row layout belongs to the store

    count = 0
    for row in rows:
        line = {"seq": row["seq"], **row_to_record(row), **{field: row[field] for field in CHAIN_FIELDS[1:]}}
        stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    stream.write(json.dumps({SIGNED_HEADS_KEY: [head.to_json() for head in signed_heads]}) + "\n")
    return count
