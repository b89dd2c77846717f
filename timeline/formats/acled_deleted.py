"""ACLED's list of deleted events (`event_id_cnty`, `deleted_timestamp`): each deletion withdraws
the log's latest version of that row, known from the day it was deleted.

ACLED publishes what it deleted, so a deletion need not be inferred from a row's absence in a
later export. The list comes as CSV (its download, or saved by a spreadsheet: see `saved_csv`) or
as the API's JSON (`{"data": [{"event_id_cnty": ..., "deleted_timestamp": ...}]}`). A deletion of
an event the log never held is counted and reported, not an error: the list covers every country,
the log one war. So is one already withdrawn (by an earlier list, or absent from a later export),
and one older than the version the log holds (ACLED published the row again after deleting it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import IO

import attrs

from events.envelope import Event
from events.kinds import EventRetracted
from timeline import replay
from timeline.errors import BadEvent
from timeline.formats import Importer, register_importer
from timeline.formats.acled import DATASET, claim_id
from timeline.formats.dataset_history import known_span
from timeline.formats.saved_csv import Reading, header_columns, read_table
from timeline.store import AppendResult, EventStore, PayloadField, RowQuery

COLUMNS = ("event_id_cnty", "deleted_timestamp")
_MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


@attrs.frozen
class DeletionCounts:
    rows: int = 0
    deleted: int = 0  # the log's version withdrawn now
    already_withdrawn: int = 0
    unknown: int = 0  # never in the log
    older: int = 0  # deleted before the version the log holds was published: left alone
    repeated: int = 0  # the same deletion twice in the list


@attrs.frozen
class DeletionImportResult:
    counts: DeletionCounts
    append: AppendResult
    known_from: str | None = None
    known_to: str | None = None
    read_as: str | None = None


@attrs.frozen
class Deletion:
    where: str
    record_id: str
    deleted_at: int  # Unix seconds


def _deleted_at(value: object, where: str) -> int:
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]  # a spreadsheet's whole number
    if not text.isdigit() or int(text) > _MAX_TIMESTAMP:
        raise BadEvent(
            f"expected Unix seconds such as 1723800000, not {value!r}", where=where, field="deleted_timestamp"
        )
    return int(text)


def _record_id(value: object, where: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise BadEvent("empty (required)", where=where, field="event_id_cnty")
    return text


def read_deletions(stream: IO[bytes], name: str, reading: Reading, encoding: str | None) -> Iterator[Deletion]:
    head = stream.read(64)
    if not head.strip():
        raise BadEvent(
            "the file is empty (ACLED's deleted-events list has event_id_cnty, deleted_timestamp)", where=name
        )
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b"{", b"[")):
        yield from _json_deletions(head + stream.read(), name)
        return
    header, table = read_table(head, stream, name, reading, encoding, what="ACLED's deleted-events list")
    columns = header_columns(header, name)
    missing = [column for column in COLUMNS if column not in columns]
    if missing and "event_date" in columns:
        raise BadEvent("an ACLED export, not its deleted-events list: import it with --format acled", where=name)
    if missing:
        raise BadEvent(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: ACLED's deleted-events list "
            f"has {', '.join(COLUMNS)}",
            where=f"{name}:row 1",
        )
    record_at, deleted_at = columns["event_id_cnty"], columns["deleted_timestamp"]
    for line in table:
        cells, where = line.cells, line.where
        yield Deletion(where, _record_id(cells[record_at], where), _deleted_at(cells[deleted_at], where))


def _json_deletions(data: bytes, name: str) -> Iterator[Deletion]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEvent(f"not readable as JSON: {exc}", where=name) from None
    items = document.get("data") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise BadEvent('expected the API\'s {"data": [...]} or a list of deletions', where=name)
    for index, item in enumerate(items):
        where = f"{name}:item {index + 1}"
        if not isinstance(item, dict):
            raise BadEvent("expected an object with event_id_cnty and deleted_timestamp", where=where)
        yield Deletion(
            where, _record_id(item.get("event_id_cnty"), where), _deleted_at(item.get("deleted_timestamp"), where)
        )


class _DeletionPlan:
    """The retractions a list adds; `events()` is consumed inside the append's transaction."""

    def __init__(self, store: EventStore, deletions: Iterator[Deletion], progress: Callable[[int], None] | None):
        self.store = store
        self.deletions = deletions
        self.progress = progress
        self.counts: dict[str, int] = dict.fromkeys(attrs.fields_dict(DeletionCounts), 0)

    def _latest_versions(self) -> dict[str, tuple[int, str]]:
        """event_id_cnty -> (timestamp, event id) of the latest version the log holds."""
        latest: dict[str, tuple[int, str]] = {}
        query = RowQuery(
            kinds=frozenset(["incident.reported"]),
            payload_equals=(("dataset", DATASET),),
            columns=(PayloadField("record_id"), PayloadField("revision"), "event_id"),
        )
        for record_id, revision, event_id in self.store.row_values(query):
            revision = int(revision)  # PostgreSQL reads a JSON number as text
            known = latest.get(record_id)
            if known is None or revision > known[0]:
                latest[record_id] = (revision, event_id)
        return latest

    def events(self) -> Iterator[tuple[Event, str]]:
        counts = self.counts
        latest = self._latest_versions()
        hidden = replay.hidden_event_ids(self.store, None)
        seen: set[str] = set()
        for deletion in self.deletions:
            counts["rows"] += 1
            if self.progress is not None:
                self.progress(1)
            known = latest.get(deletion.record_id)
            if deletion.record_id in seen:
                counts["repeated"] += 1
            elif known is None:
                counts["unknown"] += 1
            elif known[0] > deletion.deleted_at:
                counts["older"] += 1
            elif known[1] in hidden:
                counts["already_withdrawn"] += 1
            else:
                counts["deleted"] += 1
                yield from self._withdraw(deletion, known[1])
            seen.add(deletion.record_id)

    def _withdraw(self, deletion: Deletion, target: str) -> Iterator[tuple[Event, str]]:
        day = dt.datetime.fromtimestamp(deletion.deleted_at, dt.UTC).date()
        reason = f"ACLED deleted {deletion.record_id} at {deletion.deleted_at}"
        for event_id in (target, claim_id(target)):
            if event_id == target or self.store.has_event(event_id):
                retraction = EventRetracted(event_id, reason)
                yield Event(retraction, day, DATASET, day, f"{event_id}:deleted:{deletion.deleted_at}"), deletion.where


def _import(
    store: EventStore,
    stream: IO[bytes],
    name: str,
    expected_head: int | None,
    progress: Callable[[int], None] | None,
    *,
    encoding: str | None = None,
) -> DeletionImportResult:
    reading = Reading(name)
    plan = _DeletionPlan(store, read_deletions(stream, name, reading, encoding), progress)
    appended = store.append(plan.events(), expected_head=expected_head, keep_events=False)
    known_from, known_to = known_span(store, appended)
    return DeletionImportResult(DeletionCounts(**plan.counts), appended, known_from, known_to, reading.describe())


register_importer(Importer("acled-deleted", "ACLED's deleted-events list", _import, options=("encoding",)))
