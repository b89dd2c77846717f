"""A published copy: the JSONL export of a signed log, which a reader can check against the signer's key.

Each line is an event record exactly as stored (not upcast: the hash covers the stored row) plus
its place in the hash chain: `seq`, `recorded_at`, `prev_hash` and `hash`, as `log --json`
prints them. A last line `{"signed_heads": [...]}` holds the signatures. An ordinary JSONL import
reads the events and leaves the rest out; imported into an empty log, the lines are the rows
themselves, so the replica has the very chain that was signed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import attrs

from events.codec import CheckedRecord, event_from_record
from events.envelope import Event
from events.errors import InvalidEvent
from timeline.errors import BadEvent
from timeline.formats import Exporter, Importer, Readable, register_exporter, register_importer
from timeline.formats.jsonl import write_events
from timeline.formats.lines import json_lines
from timeline.store import AppendResult, EventStore
from timeline.store.rows import record_to_row, row_to_record
from timeline.store.signed import SignedHead

CHAIN_FIELDS = ("seq", "recorded_at", "prev_hash", "hash")
SIGNED_HEADS_KEY = "signed_heads"


@attrs.frozen
class PublishedLine:
    """One event line: the record as written, the event it validates to, and its place in the
    hash chain when the input is a published copy."""

    record: dict[str, Any]
    event: Event | CheckedRecord  # a CheckedRecord when the fast path vouched for the line
    chain: dict[str, Any] | None
    where: str


def read_lines(stream: IO[bytes], name: str, signed_heads: list[SignedHead]) -> Iterator[PublishedLine]:
    """Every event line of a JSONL input; a `{"signed_heads": [...]}` line goes into `signed_heads`
    instead. Raises BadEvent at the first bad line.

    A plain event line the fast path vouches for (events.fastpath, msgspec) comes as its
    CheckedRecord; every other line, a published copy's chain fields included, goes through the
    cattrs converter, which accepts it or names the bad field."""
    from events.fastpath import record_from_json  # msgspec: imported by the commands that read JSONL

    def fast(raw: bytes) -> CheckedRecord | None:
        record = record_from_json(raw)
        return CheckedRecord(record) if record is not None else None

    seen_any = False
    for record, where in json_lines(stream, name, fast_path=fast):
        if type(record) is CheckedRecord:
            seen_any = True
            yield PublishedLine(record, record, None, where)
            continue
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
        raise BadEvent("no events in the input (only signed heads)", where=name)


def _signed_heads(value: Any, where: str) -> list[SignedHead]:
    fields = [field.name for field in attrs.fields(SignedHead)]
    if not isinstance(value, list) or not all(isinstance(item, dict) and set(item) == set(fields) for item in value):
        raise BadEvent(f"expected a list of objects with {', '.join(fields)}", where=where, field=SIGNED_HEADS_KEY)
    try:
        return [SignedHead(int(item["seq"]), *(str(item[name]) for name in fields[1:])) for item in value]
    except (TypeError, ValueError) as exc:
        raise BadEvent(f"not a signed head: {exc}", where=where, field=SIGNED_HEADS_KEY) from None


def published_rows(lines: Iterable[PublishedLine]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The stored rows a published copy's lines stand for, each with where it was read."""
    for line in lines:
        chain = line.chain
        if chain is None:
            raise BadEvent("a published copy has a hash chain on every line", where=line.where, field="hash")
        if type(chain["seq"]) is not int or not all(
            isinstance(chain[name], str) for name in ("recorded_at", "prev_hash", "hash")
        ):
            raise BadEvent(
                "seq must be an integer; recorded_at, prev_hash and hash strings", where=line.where, field="seq"
            )
        try:
            row = record_to_row(line.record, chain["seq"], chain["recorded_at"], chain["prev_hash"])
        except KeyError as exc:  # an envelope field the stored record always has
            raise BadEvent(
                "missing from a line of a published copy", where=line.where, field=str(exc.args[0])
            ) from None
        row["hash"] = chain["hash"]
        yield row, line.where


def write_published(rows: Iterable[dict[str, Any]], signed_heads: list[SignedHead], stream: IO[str]) -> int:
    """Each stored row as its record and chain fields, then the signed heads; returns the event count."""
    count = 0
    for row in rows:
        line = {"seq": row["seq"], **row_to_record(row), **{field: row[field] for field in CHAIN_FIELDS[1:]}}
        stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    stream.write(json.dumps({SIGNED_HEADS_KEY: [head.to_json() for head in signed_heads]}) + "\n")
    return count


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    """The log as importable JSONL; the whole of a signed log as a published copy: each line
    carries its place in the hash chain, and a last line the signed heads, so a reader can check
    the copy against the signer's public key."""
    if as_of is None and known_on is None:
        store = source.store
        with store.read_transaction():
            signed_heads = store.signed_heads()
            if signed_heads:
                return write_published(store.rows(), signed_heads, stream)
    return write_events((recorded.event for recorded in source.log_as_known(as_of, known_on)), stream)


def _import(
    store: EventStore, stream: IO[bytes], name: str, expected_head: int | None, progress: Callable[[int], None] | None
) -> AppendResult:
    """Every event of a JSONL file, all or nothing. A published copy imported into an empty log is a
    replica: the same seqs, recording times, hashes and signed heads, so `verify --trust` works on
    it. Into a log that has events, only its events are imported, as new ones."""
    signed_heads: list[SignedHead] = []
    lines = read_lines(stream, name, signed_heads)
    first = next(lines)
    pending = itertools.chain([first], lines)
    if first.chain is not None and store.count() == 0 and expected_head in (None, 0):
        copied = store.append_rows(published_rows(pending), after_reading(signed_heads))
        return AppendResult((), 0, copied.head, copied.copied, 1 if copied.copied else None)
    return store.append(
        ((line.event, line.where) for line in pending),
        expected_head=expected_head,
        on_batch=progress,
        keep_events=False,
    )


def after_reading(items: list[SignedHead]) -> Iterator[SignedHead]:
    """`items` as they are when iteration starts: the signed heads of a file are known only once
    its lines have been read, and `append_rows` reads the signed heads after the rows."""
    yield from items


register_exporter(Exporter("jsonl", "events", _export))
register_importer(Importer("jsonl", "a JSONL file", _import))
