"""How an event is laid out as a row of the `events` table, and read back; the row's hash.

The hash of a row is SHA-256 over the canonical JSON of every column but `hash` itself,
`prev_hash` included, so each row vouches for the one before it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from events import registry
from events.codec import canonical_json, event_from_record, event_from_trusted_row
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from timeline.errors import NotATimeline
from timeline.store import layout

COLUMNS = (*layout.EVENT_COLUMNS, *layout.LATER_COLUMNS)
# What a fold needs of a row: no position, no hashes.
REPLAY_COLUMNS = (
    "event_id",
    "kind",
    "schema_version",
    "occurred_on",
    "reported_on",
    "source",
    "unverified",
    "note",
    "data",
    "date_precision",
)
KIND, EVENT_ID, OCCURRED_ON, REPORTED_ON = (
    REPLAY_COLUMNS.index(name) for name in ("kind", "event_id", "occurred_on", "reported_on")
)


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of every column but `hash` itself."""
    return hashlib.sha256(_hashed_json(row).encode("utf-8")).hexdigest()


# The hashed columns in canonical (sorted) order, each with its JSON key already spelled.
_HASHED = tuple((name, json.dumps(name) + ":") for name in sorted(name for name in COLUMNS if name != "hash"))
_encode_string = json.encoder.encode_basestring  # what canonical_json uses for a str (ensure_ascii=False)


def _hashed_json(row: dict[str, Any]) -> str:
    """`canonical_json` of the hashed columns, spelled directly: it is called for every row
    appended and verified, and building the dict to sort was most of its cost. Gives exactly
    canonical_json's text (a test compares them); a value of another type takes canonical_json."""
    parts = []
    for name, key in _HASHED:
        value = row[name]
        # A column added since version 1 enters the hash only when it differs from what older
        # rows read as, so rows written before it keep their hashes.
        if name in layout.LATER_COLUMNS and value == layout.LATER_COLUMNS[name]:
            continue
        kind = type(value)
        if kind is str:
            parts.append(key + _encode_string(value))
        elif kind is int:
            parts.append(key + int.__repr__(value))
        elif value is None:
            parts.append(key + "null")
        else:
            return _canonical_material(row)
    return "{" + ",".join(parts) + "}"


def _canonical_material(row: dict[str, Any]) -> str:
    material = {name: row[name] for name in COLUMNS if name != "hash"}
    for name, default in layout.LATER_COLUMNS.items():
        if material[name] == default:
            del material[name]
    try:
        return canonical_json(material)
    except ValueError:
        # An infinite float in a column: no append writes one (canonical JSON has no spelling
        # for it), so only an edit put it there. Spelled anyway, so the row's hash differs from
        # the one stored and `verify` names the row, rather than failing with a traceback.
        return json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    record = {
        name: row[name] for name in ("event_id", "kind", "schema_version", "occurred_on", "reported_on", "source")
    }
    record["data"] = json.loads(row["data"])
    if row["unverified"]:
        record["unverified"] = True
    if row["note"] is not None:
        record["note"] = row["note"]
    if row["date_precision"] != "day":
        record["date_precision"] = row["date_precision"]
    return record


def decode_replay_row(values: tuple[Any, ...]) -> Event:
    """A REPLAY_COLUMNS row -> Event, trusted: validated on append, covered by the hash chain."""
    return event_from_trusted_row(*values)


def unreadable(seq: int, problem: Exception) -> NotATimeline:
    return NotATimeline(
        f"seq {seq}: this version of timeline cannot read the event ({problem}); was it written by a newer version?"
    )


_REPLAY_POSITIONS = tuple(COLUMNS.index(name) for name in REPLAY_COLUMNS)
_SEQ, _RECORDED_AT, _PREV_HASH, _HASH = (COLUMNS.index(name) for name in ("seq", "recorded_at", "prev_hash", "hash"))


def decode_values(values: tuple[Any, ...], *, trusted: bool = False) -> RecordedEvent:
    """A COLUMNS row -> RecordedEvent (as `decode_row`; a trusted row is decoded without a dict)."""
    if not trusted:
        return decode_row(dict(zip(COLUMNS, values, strict=True)))
    try:
        event = decode_replay_row(tuple(values[position] for position in _REPLAY_POSITIONS))
    except (InvalidEvent, registry.UnknownKind, ValueError, TypeError, KeyError) as exc:
        raise unreadable(values[_SEQ], exc) from None
    return RecordedEvent(event, values[_SEQ], values[_RECORDED_AT], values[_PREV_HASH], values[_HASH])


def decode_row(row: dict[str, Any], *, trusted: bool = False) -> RecordedEvent:
    """A stored row -> RecordedEvent, upcasting an old payload version on the way.

    `trusted` skips validation for rows about to be folded (replay's hot path); anything
    that checks the log (`verify`, idempotency) reads untrusted.
    """
    try:
        if trusted:
            event = decode_replay_row(tuple(row[name] for name in REPLAY_COLUMNS))
        else:
            event = event_from_record(row_to_record(row))
    except (InvalidEvent, registry.UnknownKind, ValueError, TypeError, KeyError) as exc:
        raise unreadable(row["seq"], exc) from None
    return RecordedEvent(
        event=event,
        seq=row["seq"],
        recorded_at=row["recorded_at"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def record_to_row(record: dict[str, Any], seq: int, recorded_at: str, prev_hash: str) -> dict[str, Any]:
    row = {
        "seq": seq,
        "event_id": record["event_id"],
        "kind": record["kind"],
        "schema_version": record["schema_version"],
        "occurred_on": record["occurred_on"],
        "reported_on": record["reported_on"],
        "source": record["source"],
        "unverified": 1 if record.get("unverified") else 0,
        "note": record.get("note"),
        "data": canonical_json(record["data"]),
        "date_precision": record.get("date_precision", "day"),
        "recorded_at": recorded_at,
        "prev_hash": prev_hash,
    }
    row["hash"] = row_hash(row)
    return row
