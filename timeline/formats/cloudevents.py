"""CloudEvents 1.0 in the JSON event format (structured mode), one event per line.

The mapping, both ways:

| CloudEvents | the event |
|---|---|
| `id` | `event_id` |
| `source` | `/sources/` + the reporter (`source`), percent-encoded: a URI-reference as the spec asks |
| `type` | the kind, e.g. `settlement.claimed` |
| `time` | `occurred_on`, at midnight UTC |
| `subject` | what the event is about: the settlement, region, claimant... (export only) |
| `datacontenttype` | `application/json` |
| `data` | the kind's fields |
| `reportedon`, `schemaversion`, `dateprecision`, `unverified`, `note` | the envelope's other fields |
| `seq`, `hash`, `prevhash`, `recordedat` | the event's place in the exported log (export only; a new log assigns its own) |

The export of a whole signed log ends with one CloudEvent of type `timeline.signed_head` per
signed head (`data`: seq, hash, signed_at, public_key, signature), so a reader can check the
file against the signer's key (`timeline verify FILE --trust KEY.pub`); an import skips them.

The cloudevents SDK is not a dependency: the format is plain JSON, written and read here; the
tests parse every exported line with the SDK.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote, unquote

import attrs

from events.codec import event_from_record, event_to_record
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from timeline.errors import BadEvent
from timeline.formats import Exporter, Importer, Readable, register_exporter, register_importer
from timeline.formats.lines import json_lines
from timeline.store import AppendResult, EventStore
from timeline.store.rows import record_to_row
from timeline.store.signed import SignedHead

SPECVERSION = "1.0"
SIGNED_HEAD_TYPE = "timeline.signed_head"
SOURCE_PREFIX = "/sources/"
CONTENT_TYPE = "application/json"
# Extension attributes (lower-case letters and digits only, as the spec requires) <-> envelope fields.
EXTENSION_OF_FIELD = {
    "reported_on": "reportedon",
    "schema_version": "schemaversion",
    "date_precision": "dateprecision",
    "unverified": "unverified",
    "note": "note",
}
FIELD_OF_ATTRIBUTE = {
    "event_id": "id",
    "kind": "type",
    "occurred_on": "time",
    "source": "source",
    **EXTENSION_OF_FIELD,
}
# What each kind is about, for `subject`; other kinds use their first text field.
SUBJECT_FIELDS = {
    "border.crossed": "into_region",
    "event.retracted": "target_event_id",
    "incident.reported": "location",
    "official.appointed": "role",
}


def subject_of(event: Event) -> str | None:
    payload = event.payload
    name = SUBJECT_FIELDS.get(event.kind)
    payload_class = type(payload)
    if name is None and attrs.has(payload_class):
        name = next((field.name for field in attrs.fields(payload_class) if field.type in (str, "str")), None)
    value = getattr(payload, name, None) if name else None
    return value if isinstance(value, str) else None


def to_cloudevent(recorded: RecordedEvent) -> dict[str, Any]:
    record = event_to_record(recorded.event)
    cloudevent: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": record["event_id"],
        "source": SOURCE_PREFIX + quote(record["source"], safe=""),
        "type": record["kind"],
        "time": f"{record['occurred_on']}T00:00:00Z",
    }
    subject = subject_of(recorded.event)
    if subject:
        cloudevent["subject"] = subject
    cloudevent["datacontenttype"] = CONTENT_TYPE
    for field, attribute in EXTENSION_OF_FIELD.items():
        if field in record:
            cloudevent[attribute] = record[field]
    cloudevent.update(
        seq=recorded.seq,
        hash=recorded.hash,
        prevhash=recorded.prev_hash,
        recordedat=recorded.recorded_at,
        data=record["data"],
    )
    return cloudevent


def signed_head_cloudevent(signed: SignedHead) -> dict[str, Any]:
    return {
        "specversion": SPECVERSION,
        "id": f"signed-head/{signed.key_id}/{signed.seq}",
        "source": "/timeline",
        "type": SIGNED_HEAD_TYPE,
        "time": signed.signed_at,
        "datacontenttype": CONTENT_TYPE,
        "data": signed.to_json(),
    }


def write(events: Iterable[RecordedEvent], stream: IO[str], signed_heads: Iterable[SignedHead] = ()) -> int:
    """Every event as a CloudEvent line, then the signed heads; returns the number of events."""
    count = 0
    for recorded in events:
        stream.write(json.dumps(to_cloudevent(recorded), ensure_ascii=False) + "\n")
        count += 1
    for signed in signed_heads:
        stream.write(json.dumps(signed_head_cloudevent(signed)) + "\n")
    return count


def _signed_head(cloudevent: dict[str, Any], where: str) -> SignedHead:
    data = cloudevent.get("data")
    fields = [field.name for field in attrs.fields(SignedHead)]
    if not isinstance(data, dict) or set(data) != set(fields) or type(data["seq"]) is not int:
        raise BadEvent(f"a signed head's data holds {', '.join(fields)}", where=where, field="data")
    return SignedHead(data["seq"], *(str(data[name]) for name in fields[1:]))


def read_published(
    stream: IO[bytes], name: str, signed_heads: list[SignedHead]
) -> Iterator[tuple[dict[str, Any], str]]:
    """The stored rows an exported CloudEvents file stands for (their chain attributes kept), each
    with where it was read; its signed heads go into `signed_heads`."""
    for cloudevent, where in json_lines(stream, name):
        if isinstance(cloudevent, dict) and cloudevent.get("type") == SIGNED_HEAD_TYPE:
            signed_heads.append(_signed_head(cloudevent, where))
            continue
        try:
            event = from_cloudevent(cloudevent)
        except InvalidEvent as exc:
            raise BadEvent(exc.message, where=where, field=exc.field) from None
        chain = {attribute: cloudevent.get(attribute) for attribute in ("seq", "recordedat", "prevhash", "hash")}
        if type(chain["seq"]) is not int or not all(
            isinstance(chain[name], str) for name in ("recordedat", "prevhash", "hash")
        ):
            raise BadEvent(
                "an exported CloudEvent carries seq, recordedat, prevhash and hash", where=where, field="seq"
            )
        row = record_to_row(event_to_record(event), chain["seq"], chain["recordedat"], chain["prevhash"])
        row["hash"] = chain["hash"]
        yield row, where


def _day(value: Any, attribute: str) -> str:
    """An RFC 3339 timestamp (or a bare date) -> the day as YYYY-MM-DD."""
    if not isinstance(value, str):
        raise InvalidEvent(attribute, f"expected an RFC 3339 timestamp such as 2024-08-16T00:00:00Z, not {value!r}")
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
        return dt.datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        raise InvalidEvent(
            attribute, f"expected an RFC 3339 timestamp such as 2024-08-16T00:00:00Z, not {value!r}"
        ) from None


def from_cloudevent(cloudevent: Any) -> Event:
    """A CloudEvent (JSON object) -> Event. Raises InvalidEvent naming the CloudEvents attribute."""
    if not isinstance(cloudevent, dict):
        raise InvalidEvent(None, "a CloudEvent must be a JSON object")
    for required in ("specversion", "id", "source", "type", "time", "data"):
        if required not in cloudevent:
            raise InvalidEvent(required, "required attribute missing")
    if cloudevent["specversion"] != SPECVERSION:
        raise InvalidEvent("specversion", f"expected {SPECVERSION!r}, not {cloudevent['specversion']!r}")
    content_type = cloudevent.get("datacontenttype", CONTENT_TYPE)
    if not isinstance(content_type, str) or content_type.split(";")[0].strip() != CONTENT_TYPE:
        raise InvalidEvent("datacontenttype", f"expected {CONTENT_TYPE}, not {content_type!r}")
    source = cloudevent["source"]
    if not isinstance(source, str):
        raise InvalidEvent("source", "expected a string")
    record: dict[str, Any] = {
        "event_id": cloudevent["id"],
        "kind": cloudevent["type"],
        "occurred_on": _day(cloudevent["time"], "time"),
        "source": unquote(source.removeprefix(SOURCE_PREFIX)) if source.startswith(SOURCE_PREFIX) else source,
        "data": cloudevent["data"],
    }
    for field, attribute in EXTENSION_OF_FIELD.items():
        if attribute in cloudevent:
            record[field] = cloudevent[attribute]
    if "reported_on" in record:
        record["reported_on"] = _day(record["reported_on"], "reportedon")
    try:
        return event_from_record(record)
    except InvalidEvent as exc:
        field = exc.field or ""
        head, dot, rest = field.partition(".")
        blamed = FIELD_OF_ATTRIBUTE.get(head, head) + dot + rest if field else None
        raise InvalidEvent(blamed, exc.message) from None


def read(stream: IO[bytes], name: str) -> Iterator[tuple[Event, str]]:
    """Yield (event, "name:line") for each CloudEvent line; raise BadEvent at the first bad one."""
    for cloudevent, where in json_lines(stream, name):
        if isinstance(cloudevent, dict) and cloudevent.get("type") == SIGNED_HEAD_TYPE:
            continue  # a signed head of the exported log: it signs that log's chain, not a new one
        try:
            yield from_cloudevent(cloudevent), where
        except InvalidEvent as exc:
            raise BadEvent(exc.message, where=where, field=exc.field) from None


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    """The log as CloudEvents; the whole log ends with its signed heads."""
    store = source.store
    with store.read_transaction():
        signed_heads = store.signed_heads() if as_of is None and known_on is None else []
        return write(source.log_as_known(as_of, known_on), stream, signed_heads)


def _import(
    store: EventStore, stream: IO[bytes], name: str, expected_head: int | None, progress: Callable[[int], None] | None
) -> AppendResult:
    return store.append(read(stream, name), expected_head=expected_head, on_batch=progress, keep_events=False)


register_exporter(Exporter("cloudevents", "events", _export))
register_importer(Importer("cloudevents", "a CloudEvents JSON file", _import))
