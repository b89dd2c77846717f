"""An ACLED export imported as a history: each download appends only what changed since the last.

ACLED is a living dataset: it revises a row in place (same event_id_cnty, newer timestamp) and
drops rows. The log keeps every version, in knowledge time (`reported_on`):

- a row the log has never seen is **new**: its events are appended;
- a known row with a newer timestamp is **updated**: the version the log holds is retracted and
  the new one recorded, both known from the new timestamp's day;
- a row the log holds, absent from an export that covers its date and country, is **removed**:
  retracted, known from the day of the export's latest timestamp (only rows that export could
  have held: none with a newer timestamp than the export's latest);
- a row dropped earlier that is back is **restored** (its retractions are retracted);
- the same row and timestamp is **unchanged** (nothing is appended), and an older timestamp than
  the log's is left alone (**older**).

So `state --known-on D` answers what the download current on day D said. What the log holds about
each event_id_cnty is read once, in one query inside the import's write transaction (so no
concurrent writer can change it meanwhile), not looked up row by row.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from typing import IO

import attrs

from events.codec import canonical_json, event_to_record
from events.envelope import Event
from events.kinds import EventRetracted
from timeline import replay
from timeline.errors import BadEvent
from timeline.formats import Importer, register_importer
from timeline.formats.acled import DATASET, AcledRow, claim_id, read_rows
from timeline.formats.saved_csv import DateOrder, Reading
from timeline.store import AppendResult, EventStore, PayloadField, RowQuery

PROGRESS_EVERY = 1_000  # rows between progress reports


@attrs.frozen
class ImportCounts:
    rows: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    restored: int = 0  # dropped by an earlier export, back in this one
    older: int = 0  # an older version than the log holds: left alone
    repeated: int = 0  # a row repeated word for word within the file: read once


@attrs.frozen
class AcledImportResult:
    counts: ImportCounts
    append: AppendResult
    # The knowledge days the appended events are known from (None: nothing appended), for
    # `timeline learned` to say what this download changed.
    known_from: str | None = None
    known_to: str | None = None
    read_as: str | None = None  # what reading the file assumed: encoding, separator, dates


@attrs.frozen
class _Logged:
    """What the log holds of one event_id_cnty: its latest version."""

    revision: int
    event_id: str
    occurred_on: str
    country: str
    digest: int  # of the stored event's content


def _day(revision: int) -> dt.date:
    """The day of a timestamp (Unix seconds, UTC)."""
    return dt.datetime.fromtimestamp(revision, dt.UTC).date()


def _digest(data: str, occurred_on: str, reported_on: str, source: str, precision: str, note: str | None) -> int:
    # Within one process: compares an incoming row with the stored event without decoding either.
    return hash((data, occurred_on, reported_on, source, precision, note))


def _incident_digest(event: Event) -> int:
    record = event_to_record(event)
    return _digest(
        canonical_json(record["data"]),
        record["occurred_on"],
        record["reported_on"],
        record["source"],
        record.get("date_precision", "day"),
        record.get("note"),
    )


class AcledImport:
    """The events one export adds to a log; `events()` is consumed inside the append's transaction."""

    def __init__(self, store: EventStore, rows: Iterator[AcledRow], *, progress: Callable[[int], None] | None = None):
        self.store = store
        self.rows = rows
        self.progress = progress
        self._counts: dict[str, int] = dict.fromkeys(attrs.fields_dict(ImportCounts), 0)
        self._hiders: dict[str, list[str]] | None = None
        self._restores: list[tuple[AcledRow, _Logged]] = []

    def counts(self) -> ImportCounts:
        return ImportCounts(**self._counts)

    # -- what the log holds ----------------------------------------------------------------------

    def _logged(self) -> dict[str, _Logged]:
        """event_id_cnty -> the latest version in the log, in one pass over the incident events."""
        latest: dict[str, _Logged] = {}
        field = PayloadField
        query = RowQuery(
            kinds=frozenset(["incident.reported"]),
            payload_equals=(("dataset", DATASET),),
            columns=(
                field("record_id"),
                field("revision"),
                "event_id",
                "occurred_on",
                field("country"),
                "data",
                "reported_on",
                "source",
                "date_precision",
                "note",
            ),
        )
        rows = self.store.row_values(query)
        intern = sys.intern  # days and countries repeat: keep one copy of each
        for record_id, revision, event_id, occurred_on, country, data, reported_on, source, precision, note in rows:
            known = latest.get(record_id)
            revision = int(revision)  # PostgreSQL reads a JSON number as text
            if known is None or revision > known.revision:
                latest[record_id] = _Logged(
                    revision,
                    event_id,
                    intern(occurred_on),
                    intern(country),
                    _digest(data, occurred_on, reported_on, source, precision, note),
                )
        return latest

    def _retractions_hiding(self, target: str, hidden: frozenset[str]) -> list[str]:
        """The retractions in force against `target` (read once, when a row first comes back)."""
        if self._hiders is None:
            self._hiders = {}
            for event_id, retracted, _ in self.store.retractions():
                if event_id not in hidden:
                    self._hiders.setdefault(retracted, []).append(event_id)
        return self._hiders.get(target, [])

    def _exists(self, event_id: str) -> bool:
        return self.store.has_event(event_id)

    # -- what changes ----------------------------------------------------------------------------

    def _retract(self, target: str, day: dt.date, event_id: str, reason: str, where: str) -> tuple[Event, str]:
        retraction = Event(EventRetracted(target, reason), day, DATASET, day, event_id)
        return retraction, where

    def _retract_version(
        self, logged: _Logged, day: dt.date, suffix: str, reason: str, where: str
    ) -> Iterator[tuple[Event, str]]:
        """Retract a version and, when it transferred territory, its settlement claim."""
        yield self._retract(logged.event_id, day, f"{logged.event_id}:{suffix}", reason, where)
        claim = claim_id(logged.event_id)
        if self._exists(claim):
            yield self._retract(claim, day, f"{claim}:{suffix}", reason, where)

    def _record(self, row: AcledRow) -> Iterator[tuple[Event, str]]:
        yield row.incident, row.where
        if row.claim is not None:
            yield row.claim, row.where

    def events(self) -> Iterator[tuple[Event, str]]:
        """(event, where) to append, in an order the store accepts (targets before retractions)."""
        counts = self._counts
        logged = self._logged()
        hidden = replay.hidden_event_ids(self.store, None)
        seen: dict[str, tuple[str, int, int]] = {}  # event_id_cnty -> (where, timestamp, fingerprint)
        first_day = last_day = None
        latest_revision = -1
        countries: set[str] = set()
        for row in self.rows:
            counts["rows"] += 1
            if self.progress is not None and counts["rows"] % PROGRESS_EVERY == 0:
                self.progress(PROGRESS_EVERY)
            earlier = seen.get(row.record_id)
            if earlier is not None:
                self._refuse_repeat(row, *earlier)
                counts["repeated"] += 1
                continue
            seen[row.record_id] = (row.where, row.revision, row.fingerprint)
            day = row.incident.occurred_on
            first_day = day if first_day is None or day < first_day else first_day
            last_day = day if last_day is None or day > last_day else last_day
            latest_revision = max(latest_revision, row.revision)
            countries.add(row.country)
            yield from self._row_events(row, logged.get(row.record_id), hidden)
        if self.progress is not None and counts["rows"] % PROGRESS_EVERY:
            self.progress(counts["rows"] % PROGRESS_EVERY)
        if first_day is None or last_day is None:
            return
        for row, known in self._restores:
            yield from self._restore(row, known, hidden, latest_revision)
        yield from self._removals(logged, seen, hidden, (first_day, last_day), countries, latest_revision)

    def _row_events(self, row: AcledRow, known: _Logged | None, hidden: frozenset[str]) -> Iterator[tuple[Event, str]]:
        counts = self._counts
        if known is None:
            counts["new"] += 1
            yield from self._record(row)
        elif row.revision < known.revision:
            counts["older"] += 1
        elif row.revision == known.revision:
            if _incident_digest(row.incident) != known.digest:
                raise BadEvent(
                    f"{row.record_id} with timestamp {row.revision} is already in the log with other content "
                    "(ACLED gives a revised row a new timestamp)",
                    where=row.where,
                    field="timestamp",
                )
            if known.event_id in hidden:
                counts["restored"] += 1
                self._restores.append((row, known))  # known from the export's day, so after every row
            else:
                counts["unchanged"] += 1
        elif known.event_id in hidden:
            counts["restored"] += 1  # dropped earlier, back now in a revised version
            yield from self._record(row)
        else:
            counts["updated"] += 1
            reason = f"ACLED revised {row.record_id}: timestamp {known.revision} replaced by {row.revision}"
            yield from self._retract_version(
                known, row.incident.reported_on, f"revised:{row.revision}", reason, row.where
            )
            yield from self._record(row)

    def _restore(
        self, row: AcledRow, known: _Logged, hidden: frozenset[str], latest_revision: int
    ) -> Iterator[tuple[Event, str]]:
        """A dropped row is back: its retractions are retracted, known from this export's day."""
        day = _day(latest_revision)
        reason = f"{row.record_id} (timestamp {row.revision}) is back in the ACLED export whose latest timestamp is {latest_revision}"
        for target in (known.event_id, claim_id(known.event_id)):
            for retraction in self._retractions_hiding(target, hidden):
                yield self._retract(retraction, day, f"{retraction}:restored:{latest_revision}", reason, row.where)

    def _removals(
        self,
        logged: dict[str, _Logged],
        seen: dict[str, tuple[str, int, int]],
        hidden: frozenset[str],
        covered: tuple[dt.date, dt.date],
        countries: set[str],
        latest_revision: int,
    ) -> Iterator[tuple[Event, str]]:
        """Retract what the log holds that this export covers but no longer has."""
        first, last = (day.isoformat() for day in covered)
        day = _day(latest_revision)
        for record_id, known in logged.items():
            if (
                record_id in seen
                or known.event_id in hidden
                or known.revision > latest_revision  # newer than this export: it cannot have dropped it
                or not first <= known.occurred_on <= last
                or known.country not in countries
            ):
                continue
            self._counts["removed"] += 1
            reason = f"{record_id} is not in the ACLED export whose latest timestamp is {latest_revision}"
            where = f"{record_id} (absent from the export)"
            yield from self._retract_version(known, day, f"removed:{latest_revision}", reason, where)

    def _refuse_repeat(self, row: AcledRow, where: str, revision: int, fingerprint: int) -> None:
        row_number = where.rpartition(":")[2]
        if revision != row.revision:
            raise BadEvent(
                f"{row.record_id} is also on {row_number} with timestamp {revision}: an export holds one version of "
                "each event",
                where=row.where,
                field="event_id_cnty",
            )
        if fingerprint != row.fingerprint:
            raise BadEvent(
                f"{row.record_id} with timestamp {row.revision} is also on {row_number} with other content",
                where=row.where,
                field="event_id_cnty",
            )


def _import(
    store: EventStore,
    stream: IO[bytes],
    name: str,
    expected_head: int | None,
    progress: Callable[[int], None] | None,
    *,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
) -> AcledImportResult:
    """An ACLED CSV export as history: only what changed since the log last heard of each row is
    appended; the result counts new, updated, removed and unchanged rows, and says how the file
    was read."""
    reading = Reading(name)
    rows = read_rows(stream, name, encoding=encoding, date_order=date_order, reading=reading)
    plan = AcledImport(store, rows, progress=progress)
    appended = store.append(plan.events(), expected_head=expected_head, keep_events=False)
    if appended.first_seq is None:
        return AcledImportResult(plan.counts(), appended, read_as=reading.describe())
    days = [day for (day,) in store.row_values(RowQuery(columns=("reported_on",), after_seq=appended.first_seq - 1))]
    return AcledImportResult(plan.counts(), appended, min(days), max(days), read_as=reading.describe())


register_importer(Importer("acled", "an ACLED CSV export", _import, options=("encoding", "date_order")))
