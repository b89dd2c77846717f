"""An ACLED export imported as a history: each download appends only what changed since the last.

ACLED revises a row in place (same event_id_cnty, newer timestamp) and drops rows. A row's
version is its `timestamp` (Unix seconds of its last change), known from that day:

- a row the log has never seen is **new**: its events are appended;
- a known row with a newer timestamp is **updated**: the version the log holds is retracted and
  the new one recorded, both known from the new timestamp's day;
- a row the log holds, absent from an export that covers its date and country, is **removed**:
  retracted, known from the day of the export's latest timestamp (only rows that export could
  have held: none with a newer timestamp than the export's latest);
- a row dropped earlier that is back is **restored** (its retractions are retracted);
- the same row and timestamp is **unchanged** (nothing is appended), and an older timestamp than
  the log's is left alone (**older**).

So `state --known-on D` answers what the download current on day D said. The machinery is the
dataset-neutral `dataset_history`; this module says what ACLED's versions and wording are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import IO

import attrs

from events.envelope import Event
from timeline.errors import BadEvent
from timeline.formats import Importer, register_importer
from timeline.formats.acled import DATASET, AcledRow, claim_id, read_rows
from timeline.formats.dataset_history import (
    PROGRESS_EVERY,
    HistoryImport,
    HistoryImportResult,
    ImportCounts,
    LivingDataset,
    import_history,
)
from timeline.formats.saved_csv import DateOrder, Reading
from timeline.store import EventStore

__all__ = ["PROGRESS_EVERY", "AcledImport", "AcledImportResult", "ImportCounts"]

# One result for every living dataset: the CLI renders them alike.
AcledImportResult = HistoryImportResult


def _day(revision: int) -> dt.date:
    """The day of a timestamp (Unix seconds, UTC)."""
    return dt.datetime.fromtimestamp(revision, dt.UTC).date()


class Acled(LivingDataset[AcledRow]):
    name = DATASET
    id_column = "event_id_cnty"
    download = "export"

    def revision_day(self, revision: int) -> dt.date:
        return _day(revision)

    def logged_revision(self, revision: object, reported_on: str) -> int:
        return int(str(revision))  # PostgreSQL reads a JSON number as text

    def version(self, revision: int) -> str:
        return f"timestamp {revision}"

    def of_download(self, latest: int) -> str:
        return f"the ACLED export whose latest timestamp is {latest}"

    def conflict(self, row: AcledRow) -> BadEvent:
        return BadEvent(
            f"{row.record_id} with timestamp {row.revision} is already in the log with other content "
            "(ACLED gives a revised row a new timestamp)",
            where=row.where,
            field="timestamp",
        )

    def companions(self, event_id: str) -> tuple[str, ...]:
        return (claim_id(event_id),)

    def record(self, row: AcledRow) -> Iterator[tuple[Event, str]]:
        yield row.incident, row.where
        if row.claim is not None:
            yield row.claim, row.where


class AcledImport(HistoryImport[AcledRow]):
    """The events one ACLED export adds to a log."""

    def __init__(self, store: EventStore, rows: Iterator[AcledRow], *, progress: Callable[[int], None] | None = None):
        super().__init__(store, Acled(), rows, progress=progress)


def _import(
    store: EventStore,
    stream: IO[bytes],
    name: str,
    expected_head: int | None,
    progress: Callable[[int], None] | None,
    *,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
) -> HistoryImportResult:
    """An ACLED CSV export as history: only what changed since the log last heard of each row is
    appended; the result counts new, updated, removed and unchanged rows, and says how the file
    was read."""
    reading = Reading(name)
    rows = read_rows(stream, name, encoding=encoding, date_order=date_order, reading=reading)
    plan = AcledImport(store, rows, progress=progress)
    return attrs.evolve(import_history(store, plan, expected_head), read_as=reading.describe())


register_importer(Importer("acled", "an ACLED CSV export", _import, options=("encoding", "date_order")))
