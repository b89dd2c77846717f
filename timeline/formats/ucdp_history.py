"""A UCDP GED download imported as a history: each download appends only what changed since the last.

UCDP revises events between releases (and candidate events month by month) under a stable `id`,
but stamps no version on a row: a download says what it says from the day it was downloaded or
released (`--known-on`, required). So a row's version is that day, and a later download's row is
a new version only when its content differs once its cells are read as values (a date written
with a time, `3.0` for 3, `TRUE` for true, spaces around a cell are no change). New, revised,
removed (absent within the download's countries and dates), restored and unchanged rows are as
for ACLED (`dataset_history`).

A download known on an earlier day than the log's latest UCDP download is refused: what the
later one removed or revised was decided against what the log held then, so slipping an older
download in beneath it would leave the later knowledge days answering for neither. Import the
downloads in the order of their days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO

import attrs

from timeline.errors import BadArgument, BadEvent
from timeline.formats import Importer, register_importer
from timeline.formats.dataset_history import HistoryImport, HistoryImportResult, LivingDataset, import_history
from timeline.formats.saved_csv import DateOrder, Reading
from timeline.formats.ucdp import DATASET, UcdpRow, read_rows
from timeline.store import EventStore


class UcdpGed(LivingDataset[UcdpRow]):
    name = DATASET
    id_column = "id"
    download = "download"
    revised_by_content = True

    def __init__(self, known_on: dt.date):
        self.known_on = known_on

    def revision_day(self, revision: int) -> dt.date:
        return dt.date.fromordinal(revision)

    def logged_revision(self, revision: object, reported_on: str) -> int:
        return dt.date.fromisoformat(reported_on).toordinal()

    def label(self, revision: int) -> str:
        return self.revision_day(revision).isoformat()

    def version(self, revision: int) -> str:
        return f"known on {self.label(revision)}"

    def of_download(self, latest: int) -> str:
        return f"the UCDP GED download known on {self.label(latest)}"

    def revised_reason(self, record_id: str, old: int, new: int) -> str:
        return f"UCDP GED revised {record_id}: the download known on {self.label(new)} differs from {self.label(old)}'s"

    def conflict(self, row: UcdpRow) -> BadEvent:
        return BadEvent(
            f"{row.record_id} is already in the log from a download known on {self.label(row.revision)}, with "
            "other content: a later download needs a later --known-on",
            where=row.where,
            field="id",
        )

    def refuse_download(self, latest_logged: int | None) -> None:
        if latest_logged is not None and self.known_on.toordinal() < latest_logged:
            raise BadArgument(
                f"{{known_on}} {self.known_on.isoformat()} is before {self.label(latest_logged)}, the day of the "
                "latest UCDP GED download in the log: import downloads in the order of their days"
            )


def _import(
    store: EventStore,
    stream: IO[bytes],
    name: str,
    expected_head: int | None,
    progress: Callable[[int], None] | None,
    *,
    known_on: dt.date | None = None,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
) -> HistoryImportResult:
    """A UCDP GED CSV as history, known from `known_on`: only what changed since the log's last
    download is appended; the result counts new, updated, removed and unchanged rows."""
    if known_on is None:
        raise BadArgument(
            "a UCDP GED import needs {known_on}: the day the file was downloaded or released "
            "(UCDP's rows do not say when they last changed)"
        )
    reading = Reading(name)
    rows = read_rows(stream, name, known_on, encoding=encoding, date_order=date_order, reading=reading)
    plan = HistoryImport(store, UcdpGed(known_on), rows, progress=progress)
    return attrs.evolve(import_history(store, plan, expected_head), read_as=reading.describe())


register_importer(Importer("ucdp", "a UCDP GED CSV file", _import, options=("known_on", "encoding", "date_order")))
