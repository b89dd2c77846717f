"""The store's writes, written once for every backend: appending events and copying rows.

An append runs in one write transaction: every event becomes a row chained to the one before,
an event already logged with the same content is skipped and with other content refused, a
retraction must name an event in the log, and any error rolls the whole append back. A copy
writes another log's rows verbatim (seq, recording time and hashes) after checking that each one
continues this log's chain. Both end by calling the store's write hooks inside the transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from events.codec import CheckedRecord, event_to_record
from events.envelope import Event, RecordedEvent
from timeline.errors import BadEvent, ChainBroken, ConflictError
from timeline.store.query import RETRACTION
from timeline.store.results import AppendResult, CopyResult, Write, WriteObserver
from timeline.store.rows import COLUMNS, decode_row, record_to_row, row_hash
from timeline.store.signed import SignedHead

BATCH_SIZE = 2_000


class WritableLog(Protocol):
    """What the writes need of a store (`base.EventStore` is one)."""

    label: str

    def _check_writable(self) -> None: ...
    def write_transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def head(self) -> tuple[int, str]: ...
    def hash_at(self, seq: int) -> str | None: ...
    def lookup_ids(self, event_ids: Iterable[str]) -> list[tuple[Any, ...]]: ...
    def get(self, event_id: str) -> RecordedEvent | None: ...
    def signed_heads(self) -> list[SignedHead]: ...
    def _before_append(self) -> None: ...
    def _insert_rows(self, rows: list[dict[str, Any]]) -> None: ...
    def _set_head(self, seq: int, hash_: str) -> None: ...
    def _insert_signed_head(self, signed: SignedHead) -> None: ...
    def _observers(self) -> list[WriteObserver]: ...
    def _after_write(self, write: Write, observers: list[WriteObserver]) -> None: ...


def append_events(
    store: WritableLog,
    items: Iterable[Event | CheckedRecord | tuple[Event | CheckedRecord, str | None]],
    *,
    expected_head: int | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], object] | None = None,
    keep_events: bool = True,
    recorded_at: str | None = None,
) -> AppendResult:
    """Append events in one transaction: all of them, or (on any error) none.

    `items` are events (or CheckedRecords, from the fast parser), or (event, where) pairs whose `where` ("file:line") names the
    input in errors. With `expected_head`, the append fails with ConflictError unless the
    log's last seq is still that value (optimistic concurrency). An event whose id is
    already logged with identical content is skipped; with other content it is a conflict.
    `on_batch(n)` is called after each batch is written (progress). With `keep_events=False`
    the result holds counts only, so a million-line import does not hold a million events.
    `recorded_at` replaces the wall-clock time (a bundled dataset keeps one, so its hashes are stable).
    """
    store._check_writable()
    appended: list[RecordedEvent] = []
    unchanged = count = 0
    first_seq: int | None = None
    earliest_day: str | None = None
    retracted: list[str] = []
    with store.write_transaction():
        seq, prev_hash = store.head()
        head_before, hash_before = seq, prev_hash
        if expected_head is not None and expected_head != seq:
            raise ConflictError(
                f"{store.label}: expected the log to end at seq {expected_head}, but it ends at seq {seq} "
                "(another writer appended first; re-read and retry)"
            )
        store._before_append()
        observers = store._observers()
        recorded_at = recorded_at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        pairs = (item if isinstance(item, tuple) else (item, None) for item in items)
        while batch := list(itertools.islice(pairs, batch_size)):
            rows = []
            records = [
                (item if isinstance(item, CheckedRecord) else event_to_record(item), item, where)
                for item, where in batch
            ]
            known = _existing_records(store, [record["event_id"] for record, _, _ in records])
            for record, event, where in records:
                event_id = record["event_id"]
                if event_id in known:
                    if known[event_id] != record:
                        raise ConflictError(
                            _where(where) + f"event_id {event_id!r} is already in the log with different content"
                        )
                    unchanged += 1
                    continue
                if record["kind"] == RETRACTION:
                    _check_retraction_target(store, event_id, record["data"]["target_event_id"], known, where)
                    retracted.append(event_id)
                seq += 1
                day = record["occurred_on"]
                earliest_day = day if earliest_day is None else min(earliest_day, day)
                row = record_to_row(record, seq, recorded_at, prev_hash)
                prev_hash = row["hash"]
                known[event_id] = record
                rows.append(row)
                count += 1
                first_seq = first_seq or seq
                if keep_events:
                    full = event.event() if isinstance(event, CheckedRecord) else event
                    appended.append(RecordedEvent(full, seq, recorded_at, row["prev_hash"], row["hash"]))
            if rows:
                store._insert_rows(rows)
                for observer in observers:
                    observer.rows(rows)
                store._set_head(seq, prev_hash)
            if on_batch is not None:
                on_batch(len(batch))
        if earliest_day is not None:
            store._after_write(Write(earliest_day, head_before, hash_before, tuple(retracted)), observers)
    return AppendResult(tuple(appended), unchanged, seq, count, first_seq)


def _existing_records(store: WritableLog, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored records (as the current schema version) of those ids already logged."""
    found: dict[str, dict[str, Any]] = {}
    for values in store.lookup_ids(event_ids):
        row = dict(zip(COLUMNS, values, strict=True))
        found[row["event_id"]] = event_to_record(decode_row(row).event)
    return found


def _check_retraction_target(
    store: WritableLog, event_id: str, target: str, known: dict[str, Any], where: str | None
) -> None:
    if target == event_id:
        raise BadEvent("an event cannot retract itself", where=where, field="data.target_event_id")
    if target not in known and store.get(target) is None:
        raise BadEvent(f"no event {target!r} in the log to retract", where=where, field="data.target_event_id")


def copy_rows(
    store: WritableLog,
    rows: Iterable[tuple[dict[str, Any], str | None]],
    signed_heads: Iterable[SignedHead] = (),
    *,
    batch_size: int = BATCH_SIZE,
    check_signed_heads: bool = True,
) -> CopyResult:
    """Write rows of another log verbatim (seq, recorded_at, hashes and all), then its signed heads.

    The rows must continue this log's chain: each one's seq follows, its prev_hash is this
    log's head hash and its hash is its content's. Rows this log already holds (same seq, same
    hash) are skipped, so a copy can be resumed; anything else is refused and nothing is
    written. `rows` are (row, where) pairs; `where` names the input in errors. A signed head
    is kept only if this log holds, at its seq, the hash it signs (unless `check_signed_heads`
    is False: a copy being verified keeps them all, for `verify --trust` to judge).
    """
    store._check_writable()
    copied = already = signed_count = 0
    earliest_day: str | None = None
    retracted: list[str] = []
    with store.write_transaction():
        head, head_hash = store.head()
        head_before, hash_before = head, head_hash
        store._before_append()
        observers = store._observers()
        pending = iter(rows)
        while batch := list(itertools.islice(pending, batch_size)):
            fresh = []
            for row, where in batch:
                seq = row["seq"]
                if seq <= head:
                    if store.hash_at(seq) != row["hash"]:
                        raise ConflictError(
                            _where(where) + f"seq {seq} differs from {store.label}'s seq {seq}: "
                            "the target holds another log, not the beginning of this one"
                        )
                    already += 1
                    continue
                if seq != head + 1:
                    raise ChainBroken(
                        f"expected seq {head + 1}, found seq {seq} (an event was removed or inserted)",
                        seq=head + 1,
                        where=where,
                        field="seq",
                    )
                if row["prev_hash"] != head_hash:
                    raise ChainBroken(
                        "prev_hash does not match the previous event's hash",
                        seq=seq,
                        where=where,
                        field="prev_hash",
                    )
                if row_hash(row) != row["hash"]:
                    raise ChainBroken(
                        "content does not match its hash (the event was edited)", seq=seq, where=where, field="hash"
                    )
                decode_row(row)  # a row this version cannot read is refused here, not at the next query
                if row["kind"] == RETRACTION:
                    retracted.append(row["event_id"])
                day = row["occurred_on"]
                earliest_day = day if earliest_day is None else min(earliest_day, day)
                head, head_hash = seq, row["hash"]
                fresh.append(row)
            if fresh:
                store._insert_rows(fresh)
                for observer in observers:
                    observer.rows(fresh)
                store._set_head(head, head_hash)
                copied += len(fresh)
        existing = {(signed.public_key, signed.seq) for signed in store.signed_heads()}
        for signed in signed_heads:
            if (signed.public_key, signed.seq) in existing:
                continue
            if check_signed_heads and (signed.seq > head or store.hash_at(signed.seq) != signed.hash):
                raise ChainBroken(f"the head signed at seq {signed.seq} is not a position of this log", seq=signed.seq)
            store._insert_signed_head(signed)
            signed_count += 1
        if earliest_day is not None:
            store._after_write(Write(earliest_day, head_before, hash_before, tuple(retracted)), observers)
    return CopyResult(copied, already, signed_count, head, head_hash)


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""
