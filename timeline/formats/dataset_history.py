"""A download of a living dataset imported as a history: each download appends only what changed.

A living dataset (ACLED, UCDP GED) revises rows in place under a stable id and drops rows. The
log keeps every version, in knowledge time (`reported_on`):

- a row the log has never seen is **new**: its events are appended;
- a known row in a later version is **updated**: the version the log holds is retracted and the
  new one recorded, both known from the new version's day;
- a row the log holds, absent from a download that covers its date and country, is **removed**:
  retracted, known from the download's day (only rows that download could have held: none of a
  later version than the download's latest);
- a row dropped earlier that is back is **restored** (its retractions are retracted);
- the same version is **unchanged** (nothing is appended), and an older version than the log's is
  left alone (**older**).

What a version is, is the dataset's to say (`LivingDataset`): ACLED stamps each row with the time
of its last change; UCDP stamps none, so a row's version is the day of the download it came in,
and a later download's row is a new version only when its content differs (after reading its
cells as values: `3.0` is 3, `2014-01-22T00:00:00` is that day, `TRUE` is true).

The per-row version map lives in the database, not in memory (`EventStore.row_map`): what the
log holds of each row id is copied once into a temporary table inside the import's write
transaction (so no concurrent writer can change it meanwhile), looked up a batch of rows at a
time, and the ids the download shows are kept beside it, so the rows it dropped are one query.
A download of a million rows is compared in bounded memory.

A row is read only as far as finding it needs (id, version, day, country, and a digest of its
cells with what decides how they read: the header, the separator, the reading code); its events
are built when asked for. A row the log holds in force, of the same version and read from the
same cells (`row_cells`, kept by each import), is unchanged without building them. Any other row
is built and compared in full, and its cells kept, so a file saved another way is read in full
once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

import attrs

from events.codec import canonical_json, event_to_record
from events.envelope import Event
from events.kinds import EventRetracted
from timeline import replay
from timeline.errors import BadEvent
from timeline.store import (
    AppendResult,
    EventStore,
    LoggedRow,
    PayloadField,
    RowMap,
    RowQuery,
    SeenRow,
    StoredContent,
)

PROGRESS_EVERY = 1_000  # rows between progress reports
LOOKUP_BATCH = 2_000  # rows of the download looked up in the version map at a time


class DatasetRow(Protocol):
    """One row of a download, read and validated."""

    @property
    def where(self) -> str: ...  # "file.csv:row 12"
    @property
    def record_id(self) -> str: ...  # the dataset's stable id of the row
    @property
    def revision(self) -> int: ...  # its version: orders the versions of one row
    @property
    def country(self) -> str: ...
    @property
    def occurred_on(self) -> dt.date: ...
    @property
    def incident(self) -> Event: ...  # built when first asked for: a row read before never is
    @property
    def fingerprint(self) -> int: ...  # of the row's cells: tells a repeated row from a different one
    @property
    def cells(self) -> bytes | None: ...  # a stable digest of the cells and how they were read (None: none)


Row = TypeVar("Row", bound=DatasetRow)


@attrs.frozen
class ImportCounts:
    rows: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    restored: int = 0  # dropped by an earlier download, back in this one
    older: int = 0  # an older version than the log holds: left alone
    repeated: int = 0  # a row repeated word for word within the file: read once


@attrs.frozen
class HistoryImportResult:
    counts: ImportCounts
    append: AppendResult
    # The knowledge days the appended events are known from (None: nothing appended), for
    # `timeline learned` to say what this download changed.
    known_from: str | None = None
    known_to: str | None = None
    read_as: str | None = None  # what reading the file assumed: encoding, separator, dates


@attrs.frozen
class Logged:
    """What the log holds of one row: its latest version, and what that version says."""

    row: LoggedRow
    cells: bytes | None  # the digest of the cells it was read from (None: not known)
    content: StoredContent | None = None  # read only when the row is compared in full

    @property
    def revision(self) -> int:
        return self.row.revision

    @property
    def event_id(self) -> str:
        return self.row.event_id

    @property
    def digest(self) -> int:
        content = self.content
        assert content is not None  # read before a row is compared in full
        return _digest(content.data, self.row.occurred_on, content.source, content.date_precision, content.note)


class LivingDataset(Generic[Row]):
    """What the history needs to know of one dataset: its name, what a version is, its wording."""

    name: str  # the payload's `dataset`, and the source of the retractions
    id_column: str  # the column of the row's stable id, named in errors
    download: str = "download"  # what the dataset calls one file of it, in reasons
    # True when a later version with the same content is the same row (no per-row revision stamp).
    revised_by_content: bool = False

    def revision_day(self, revision: int) -> dt.date:
        raise NotImplementedError

    def logged_revision(self, revision: object, reported_on: str) -> int:
        """A stored version's revision, from its payload's `revision` and its `reported_on`."""
        raise NotImplementedError

    def label(self, revision: int) -> str:
        """The revision as it appears in event ids."""
        return str(revision)

    def version(self, revision: int) -> str:
        """The revision in a sentence: 'timestamp 1723800000'."""
        raise NotImplementedError

    def of_download(self, latest: int) -> str:
        """The download a reason speaks of: 'the ACLED export whose latest timestamp is 1723800000'."""
        raise NotImplementedError

    def revised_reason(self, record_id: str, old: int, new: int) -> str:
        return f"{self.name} revised {record_id}: {self.version(old)} replaced by {self.label(new)}"

    def conflict(self, row: Row) -> BadEvent:
        """The refusal of a row of the version the log holds, with other content."""
        raise NotImplementedError

    def companions(self, event_id: str) -> tuple[str, ...]:
        """The events recorded along with a version (ACLED's territory claim), retracted with it."""
        return ()

    def record(self, row: Row) -> Iterator[tuple[Event, str]]:
        yield row.incident, row.where

    def refuse_download(self, latest_logged: int | None) -> None:
        """Refuse the whole download before any row is read, given the log's latest version."""


def _digest(data: str, occurred_on: str, source: str, precision: str, note: str | None) -> int:
    # Within one process: compares an incoming row with the stored event without decoding either.
    # reported_on is left out: a version's day is its revision's (ACLED), or not content (UCDP).
    return hash((data, occurred_on, source, precision, note))


def incident_digest(event: Event) -> int:
    record = event_to_record(event)
    return _digest(
        canonical_json(record["data"]),
        record["occurred_on"],
        record["source"],
        record.get("date_precision", "day"),
        record.get("note"),
    )


class HistoryImport(Generic[Row]):
    """The events one download adds to a log; `events()` is consumed inside the append's transaction."""

    def __init__(
        self,
        store: EventStore,
        dataset: LivingDataset[Row],
        rows: Iterator[Row],
        *,
        progress: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.dataset = dataset
        self.rows = rows
        self.progress = progress
        self._counts: dict[str, int] = dict.fromkeys(attrs.fields_dict(ImportCounts), 0)
        self._hiders: dict[str, list[str]] | None = None
        self._restores: list[tuple[Row, Logged]] = []
        self._cells: list[tuple[str, bytes]] = []  # (event id, the cells it was read from), kept a batch at a time

    def counts(self) -> ImportCounts:
        return ImportCounts(**self._counts)

    # -- what the log holds ----------------------------------------------------------------------

    def _versions(self) -> Iterator[LoggedRow]:
        """Every version of the dataset's rows the log holds, for the version map."""
        field = PayloadField
        query = RowQuery(
            kinds=frozenset(["incident.reported"]),
            payload_equals=(("dataset", self.dataset.name),),
            columns=(
                field("record_id"),
                field("revision"),
                "event_id",
                "occurred_on",
                field("country"),
                "reported_on",
                "seq",
            ),
        )
        logged_revision = self.dataset.logged_revision
        for record_id, stamp, event_id, occurred_on, country, reported_on, seq in self.store.row_values(query):
            yield LoggedRow(record_id, logged_revision(stamp, reported_on), event_id, occurred_on, country, seq)

    def _retractions_hiding(self, target: str, hidden: frozenset[str]) -> list[str]:
        """The retractions in force against `target` (read once, when a row first comes back)."""
        if self._hiders is None:
            self._hiders = {}
            for event_id, retracted, _ in self.store.retractions():
                if event_id not in hidden:
                    self._hiders.setdefault(retracted, []).append(event_id)
        return self._hiders.get(target, [])

    # -- what changes ----------------------------------------------------------------------------

    def _retract(self, target: str, day: dt.date, event_id: str, reason: str, where: str) -> tuple[Event, str]:
        retraction = Event(EventRetracted(target, reason), day, self.dataset.name, day, event_id)
        return retraction, where

    def _retract_version(
        self, event_id: str, day: dt.date, suffix: str, reason: str, where: str
    ) -> Iterator[tuple[Event, str]]:
        """Retract a version (its event) and the events recorded along with it."""
        yield self._retract(event_id, day, f"{event_id}:{suffix}", reason, where)
        for companion in self.dataset.companions(event_id):
            if self.store.has_event(companion):
                yield self._retract(companion, day, f"{companion}:{suffix}", reason, where)

    def events(self) -> Iterator[tuple[Event, str]]:
        """(event, where) to append, in an order the store accepts (targets before retractions)."""
        with self.store.row_map() as row_map:
            row_map.fill(self._versions())
            self.dataset.refuse_download(row_map.latest_revision())
            yield from self._events(row_map, replay.hidden_event_ids(self.store, None))

    def _events(self, row_map: RowMap, hidden: frozenset[str]) -> Iterator[tuple[Event, str]]:
        counts = self._counts
        first_day = last_day = None
        latest_revision = -1
        countries: set[str] = set()
        rows = iter(self.rows)
        while batch := list(itertools.islice(rows, LOOKUP_BATCH)):
            ids = [row.record_id for row in batch]
            logged = {record_id: Logged(*held) for record_id, held in row_map.logged(ids).items()}
            seen = row_map.seen(ids)
            # Each row the log holds is either settled by its cells or compared in full, which
            # needs what its stored version says: read for those rows only, in one query.
            read_before = [
                (known := logged.get(row.record_id)) is not None and self._read_before(row, known, hidden)
                for row in batch
            ]
            compared = [
                logged[row.record_id].row.seq
                for row, settled in zip(batch, read_before, strict=True)
                if row.record_id in logged and not settled
            ]
            contents = row_map.contents(compared)
            shown: dict[str, SeenRow] = {}  # the ids this batch shows, recorded after it
            for row, settled in zip(batch, read_before, strict=True):
                counts["rows"] += 1
                if self.progress is not None and counts["rows"] % PROGRESS_EVERY == 0:
                    self.progress(PROGRESS_EVERY)
                earlier = seen.get(row.record_id) or shown.get(row.record_id)
                if earlier is not None:
                    self._refuse_repeat(row, earlier)
                    counts["repeated"] += 1
                    continue
                shown[row.record_id] = SeenRow(row.where, row.revision, row.fingerprint)
                day = row.occurred_on
                first_day = day if first_day is None or day < first_day else first_day
                last_day = day if last_day is None or day > last_day else last_day
                latest_revision = max(latest_revision, row.revision)
                countries.add(row.country)
                if settled:
                    counts["unchanged"] += 1
                    continue
                known = logged.get(row.record_id)
                if known is not None:
                    known = attrs.evolve(known, content=contents[known.row.seq])
                yield from self._row_events(row, known, hidden)
            row_map.see(list(shown.items()))
            if self._cells:
                row_map.remember(self._cells)
                self._cells.clear()
        if self.progress is not None and counts["rows"] % PROGRESS_EVERY:
            self.progress(counts["rows"] % PROGRESS_EVERY)
        if first_day is None or last_day is None:
            return
        for row, known in self._restores:
            yield from self._restore(row, known, hidden, latest_revision)
        yield from self._removals(row_map, hidden, (first_day, last_day), countries, latest_revision)

    def _read_before(self, row: Row, known: Logged, hidden: frozenset[str]) -> bool:
        """True when the log holds this very row, read from the same cells in the same way, in
        force: unchanged, known without building its event. Anything else is read in full."""
        if row.cells is None or row.cells != known.cells or known.event_id in hidden:
            return False
        return row.revision == known.revision or (self.dataset.revised_by_content and row.revision > known.revision)

    def _row_events(self, row: Row, known: Logged | None, hidden: frozenset[str]) -> Iterator[tuple[Event, str]]:
        counts = self._counts
        dataset = self.dataset
        if known is None:
            counts["new"] += 1
            self._remember(row, row.incident.event_id)
            yield from dataset.record(row)
        elif row.revision < known.revision:
            _ = row.incident  # left alone, but read in full: a malformed row is refused wherever it is
            counts["older"] += 1
        elif row.revision == known.revision or (
            dataset.revised_by_content and incident_digest(row.incident) == known.digest
        ):
            if row.revision == known.revision and incident_digest(row.incident) != known.digest:
                raise dataset.conflict(row)
            # The same version from other cells (a file saved another way): the next download
            # written like this one is known by its cells.
            self._remember(row, known.event_id)
            if known.event_id in hidden:
                counts["restored"] += 1
                self._restores.append((row, known))  # known from the download's day, so after every row
            else:
                counts["unchanged"] += 1
        elif known.event_id in hidden:
            counts["restored"] += 1  # dropped earlier, back now in a revised version
            self._remember(row, row.incident.event_id)
            yield from dataset.record(row)
        else:
            counts["updated"] += 1
            reason = dataset.revised_reason(row.record_id, known.revision, row.revision)
            suffix = f"revised:{dataset.label(row.revision)}"
            self._remember(row, row.incident.event_id)
            yield from self._retract_version(known.event_id, row.incident.reported_on, suffix, reason, row.where)
            yield from dataset.record(row)

    def _remember(self, row: Row, event_id: str) -> None:
        if row.cells is not None:
            self._cells.append((event_id, row.cells))

    def _restore(
        self, row: Row, known: Logged, hidden: frozenset[str], latest_revision: int
    ) -> Iterator[tuple[Event, str]]:
        """A dropped row is back: its retractions are retracted, known from this download's day."""
        dataset = self.dataset
        day = dataset.revision_day(latest_revision)
        reason = f"{row.record_id} ({dataset.version(row.revision)}) is back in {dataset.of_download(latest_revision)}"
        suffix = f"restored:{dataset.label(latest_revision)}"
        for target in (known.event_id, *dataset.companions(known.event_id)):
            for retraction in self._retractions_hiding(target, hidden):
                yield self._retract(retraction, day, f"{retraction}:{suffix}", reason, row.where)

    def _removals(
        self,
        row_map: RowMap,
        hidden: frozenset[str],
        covered: tuple[dt.date, dt.date],
        countries: set[str],
        latest_revision: int,
    ) -> Iterator[tuple[Event, str]]:
        """Retract what the log holds that this download covers but no longer has."""
        dataset = self.dataset
        first, last = (day.isoformat() for day in covered)
        day = dataset.revision_day(latest_revision)
        suffix = f"removed:{dataset.label(latest_revision)}"
        for known in row_map.unseen(first, last):
            if (
                known.event_id in hidden
                or known.revision > latest_revision  # newer than this download: it cannot have dropped it
                or known.country not in countries
            ):
                continue
            self._counts["removed"] += 1
            reason = f"{known.record_id} is not in {dataset.of_download(latest_revision)}"
            where = f"{known.record_id} (absent from the {dataset.download})"
            yield from self._retract_version(known.event_id, day, suffix, reason, where)

    def _refuse_repeat(self, row: Row, earlier: SeenRow) -> None:
        where, revision, fingerprint = earlier.where, earlier.revision, earlier.fingerprint
        row_number = where.rpartition(":")[2]
        dataset = self.dataset
        if revision != row.revision:
            raise BadEvent(
                f"{row.record_id} is also on {row_number} with {dataset.version(revision)}: "
                f"{'an' if dataset.download[0] in 'aeiou' else 'a'} {dataset.download} holds one version of each event",
                where=row.where,
                field=dataset.id_column,
            )
        if fingerprint != row.fingerprint:
            version = "" if dataset.revised_by_content else f" with {dataset.version(row.revision)}"
            raise BadEvent(
                f"{row.record_id}{version} is also on {row_number} with other content",
                where=row.where,
                field=dataset.id_column,
            )


def import_history(store: EventStore, plan: HistoryImport[Row], expected_head: int | None) -> HistoryImportResult:
    """Append what `plan` says changed, all or nothing; the result counts each kind of change."""
    appended = store.append(plan.events(), expected_head=expected_head, keep_events=False)
    return HistoryImportResult(plan.counts(), appended, *known_span(store, appended))


def known_span(store: EventStore, appended: AppendResult) -> tuple[str | None, str | None]:
    """The first and last knowledge days of what a write appended (None, None: nothing), for
    `timeline learned` to say what it changed."""
    if appended.first_seq is None:
        return None, None
    days = [day for (day,) in store.row_values(RowQuery(columns=("reported_on",), after_seq=appended.first_seq - 1))]
    return min(days), max(days)
