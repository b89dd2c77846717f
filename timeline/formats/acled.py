"""Reading ACLED's CSV export: one `incident.reported` event per row, plus a settlement claim for a
row that transfers territory.

Columns are read by header name (any case), so ACLED's column order, its older and newer column
sets and extra columns all read the same; a missing required column is refused by name. Rows are
numbered as a spreadsheet shows them: the header is row 1. Every refusal names the file, the row
and the column.

What is known about a row (bitemporally): it occurred on `event_date`, at the precision of
`time_precision` (1 day, 2 week, 3 month), and was known from the day of its `timestamp` (Unix
seconds of the row's last change). Its event id is derived from `event_id_cnty` and `timestamp`
(`acled:UKR12345:1723800000`), so each version of a row is its own event.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

import attrs

from events import envelope, quantity
from events.envelope import DatePrecision, Event
from events.kinds import IncidentReported, SettlementClaimed, SettlementStatus
from events.kinds import incident as incident_kinds
from events.quantity import Quantity
from timeline.errors import BadEvent
from timeline.formats.saved_csv import (
    CellsDigest,
    CsvRow,
    DateOrder,
    DayReader,
    Reading,
    TableRow,
    cells_digest,
    header_columns,
    in_settled_order,
    no_digest,
    read_table,
    source_digest,
)

DATASET = "ACLED"
ID_PREFIX = "acled"
# The sub-event types in which one side takes a place: each also yields a settlement claim.
TERRITORY_TRANSFERS = frozenset(
    {"Government regains territory", "Non-state actor overtakes territory", "Non-violent transfer of territory"}
)
REQUIRED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "country",
    "location",
    "latitude",
    "longitude",
    "source",
    "fatalities",
    "timestamp",
)
TEXT_COLUMNS = (
    "sub_event_type",
    "disorder_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "region",
    "admin1",
    "admin2",
    "admin3",
    "notes",
    "tags",
    "source_scale",
)
OPTIONAL_COLUMNS = (*TEXT_COLUMNS, "year", "civilian_targeting", "iso", "geo_precision")
PRECISIONS = {"1": DatePrecision.DAY, "2": DatePrecision.WEEK, "3": DatePrecision.MONTH}
# Payload fields named differently from their column.
COLUMN_OF_FIELD = {"record_id": "event_id_cnty", "revision": "timestamp"}

_RECORD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,15}")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DECIMAL_COMMA = re.compile(r"([-+]?[0-9]+),([0-9]+)")
_WHOLE_DECIMAL = re.compile(r"([0-9]{1,15})[.,]0+")  # 1723800000.0: a spreadsheet's whole number
_SCIENTIFIC = re.compile(r"[-+]?[0-9](?:[.,][0-9]+)?[Ee][-+]?[0-9]+")
# Columns of other layouts that are known and need no reading (ACLED's own row numbers, ISO alpha-3).
KNOWN_UNREAD_COLUMNS = frozenset({"data_id", "event_id_no_cnty", "iso3"})


def incident_id(record_id: str, revision: int) -> str:
    return f"{ID_PREFIX}:{record_id}:{revision}"


def claim_id(incident_event_id: str) -> str:
    return f"{incident_event_id}:territory"


@attrs.define
class AcledRow:
    """One row, read as far as a re-import needs to find it in the log: its id, version, day and
    country, and its cells' digest. Its events are built and validated when first asked for, so
    a row the log holds, read from the same cells, costs only this much."""

    where: str  # "file.csv:row 12"
    record_id: str  # event_id_cnty
    revision: int  # timestamp
    country: str
    occurred_on: dt.date
    reported_on: dt.date
    precision: DatePrecision
    fingerprint: int  # of the row's cells: tells a repeated row from a different one
    cells: bytes | None  # a stable digest of the cells and how they were read (None: no digest)
    _row: _Row | None  # its cells until its events are built, then let go
    _events: tuple[Event, Event | None] | None = None

    @property
    def incident(self) -> Event:
        return self._built()[0]

    @property
    def claim(self) -> Event | None:
        """The settlement claim of a territory transfer."""
        return self._built()[1]

    def _built(self) -> tuple[Event, Event | None]:
        if self._events is None:
            self._events = _events_of(self)
            self._row = None
        return self._events


class _Row(CsvRow):
    """An ACLED row's cells: ACLED's whole numbers, and numbers with a spreadsheet's decimal comma."""

    __slots__ = ()

    def whole_number(self, column: str, *, required: bool = False) -> int | None:
        value = self.required(column) if required else self.text(column)
        if value is None:
            return None
        if _WHOLE_NUMBER.fullmatch(value):
            return int(value)
        if match := _WHOLE_DECIMAL.fullmatch(value):
            return int(match[1])
        if _SCIENTIFIC.fullmatch(value):
            raise self.refuse(
                column,
                f"{value!r} is in scientific notation, which a spreadsheet writes after rounding the number: "
                "format the column as a whole number and save the file again",
            )
        raise self.refuse(column, f"expected a whole number, not {value!r}")

    def number(self, column: str) -> float | None:
        value = self.text(column)
        if value is None:
            return None
        reading = self.days.reading
        if reading.separator != "," and (match := _DECIMAL_COMMA.fullmatch(value)):
            value, reading.decimal_comma = f"{match[1]}.{match[2]}", True
        if not _NUMBER.fullmatch(value):
            raise self.refuse(column, f"expected a number, not {value!r}")
        return float(value)


def _revision_day(row: _Row, revision: int) -> dt.date:
    try:
        return dt.datetime.fromtimestamp(revision, dt.UTC).date()
    except (OverflowError, ValueError, OSError):
        raise row.refuse("timestamp", f"{revision} is not a time this calendar can hold") from None


def _civilian_targeting(row: _Row) -> bool:
    value = row.text("civilian_targeting")
    if value is None:
        return False
    if value.casefold() != "civilian targeting":
        raise row.refuse("civilian_targeting", f"expected 'Civilian targeting' or an empty cell, not {value!r}")
    return True


def _build(row: _Row, make: Callable[..., Any], **fields: Any) -> Any:
    """Construct a payload or envelope, turning its validators' complaints into the row's column."""
    try:
        return make(**fields)
    except (TypeError, ValueError) as exc:
        field, _, message = str(exc).partition(" ")
        if field in fields or field in COLUMN_OF_FIELD:
            raise row.refuse(COLUMN_OF_FIELD.get(field, field), message) from None
        raise BadEvent(str(exc), where=row.where) from None


def read_row(row: _Row, cells: CellsDigest = no_digest) -> AcledRow:
    """The row as far as a re-import needs it (its events are built when asked for); `cells`
    gives its cells' digest."""
    record_id = row.required("event_id_cnty")
    if not _RECORD_ID.fullmatch(record_id):
        raise row.refuse("event_id_cnty", f"expected letters and digits such as UKR12345, not {record_id!r}")
    occurred_on = row.day("event_date")
    year = row.whole_number("year")
    if year is not None and year != occurred_on.year:
        raise row.refuse("year", f"{year} does not match event_date {occurred_on.isoformat()}")
    precision_code = row.required("time_precision")
    if precision_code not in PRECISIONS:
        raise row.refuse("time_precision", f"expected 1 (day), 2 (week) or 3 (month), not {precision_code!r}")
    precision = PRECISIONS[precision_code]
    revision = row.whole_number("timestamp", required=True)
    assert revision is not None
    reported_on = _revision_day(row, revision)
    if reported_on < occurred_on:
        if precision is DatePrecision.DAY:
            raise row.refuse(
                "timestamp", f"{revision} ({reported_on.isoformat()}) is before event_date {occurred_on.isoformat()}"
            )
        # A week or month is dated by a day inside it, which can fall after the row was written.
        reported_on = occurred_on
    reading = row.days.reading
    if reading.separator != "," and not reading.decimal_comma:
        # Said in the line of what reading assumed even when no row is built.
        coordinates = (row.text("latitude") or "", row.text("longitude") or "")
        reading.decimal_comma = any(_DECIMAL_COMMA.fullmatch(value) for value in coordinates)
    country = row.text("country") or ""  # required: refused when the row is built
    return AcledRow(
        row.where,
        record_id,
        revision,
        country,
        occurred_on,
        reported_on,
        precision,
        hash(tuple(row.cells)),
        cells(row, (occurred_on,)),
        row,
    )


def _events_of(read: AcledRow) -> tuple[Event, Event | None]:
    """The incident of a row, and the settlement claim of a territory transfer, validated."""
    row, record_id, revision = read._row, read.record_id, read.revision
    assert row is not None  # built once
    occurred_on, reported_on, precision = read.occurred_on, read.reported_on, read.precision
    fatalities = row.whole_number("fatalities")
    payload: IncidentReported = _build(
        row,
        IncidentReported,
        event_type=row.required("event_type"),
        country=row.required("country"),
        location=row.required("location"),
        **{column: row.text(column) for column in TEXT_COLUMNS},
        civilian_targeting=_civilian_targeting(row),
        iso=row.whole_number("iso"),
        latitude=row.number("latitude"),
        longitude=row.number("longitude"),
        geo_precision=row.whole_number("geo_precision"),
        fatalities=Quantity(fatalities) if fatalities is not None else None,
        dataset=DATASET,
        record_id=record_id,
        revision=revision,
    )
    source = row.required("source")
    event_id = incident_id(record_id, revision)
    incident: Event = _build(
        row,
        Event,
        payload=payload,
        occurred_on=occurred_on,
        source=source,
        reported_on=reported_on,
        event_id=event_id,
        date_precision=precision,
    )
    claim = None
    if payload.sub_event_type in TERRITORY_TRANSFERS:
        settlement = SettlementClaimed(
            settlement=payload.location,
            region=payload.admin1 or payload.country,
            status=SettlementStatus.CONTROLLED,
            claimant=DATASET,
            controller=payload.actor1,
            district=payload.admin2,
        )
        claim = Event(
            settlement,
            occurred_on,
            source,
            reported_on,
            claim_id(event_id),
            date_precision=precision,
            note=f"{payload.sub_event_type} (ACLED {record_id})",
        )
    return incident, claim


def _assume_layout(columns: dict[str, int], reading: Reading) -> None:
    known = {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *KNOWN_UNREAD_COLUMNS}
    reading.ignored_columns = tuple(column for column in columns if column not in known)
    reading.absent_columns = tuple(column for column in OPTIONAL_COLUMNS if column not in columns)


def _is_hashtag_row(cells: list[str]) -> bool:
    # Humanitarian Data Exchange copies carry HXL hashtags (#date, #adm1+name) under the header.
    filled = [cell.strip() for cell in cells if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


# -- the file --------------------------------------------------------------------------------


def _refuse_wrong_file(head: bytes, name: str) -> None:
    if not head:
        raise BadEvent("the file is empty (an ACLED export starts with a header row: event_id_cnty, ...)", where=name)
    if head.startswith(b"PK\x03\x04"):
        raise BadEvent("a spreadsheet or zip archive (.xlsx), not CSV: save it as CSV (UTF-8)", where=name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadEvent("an Excel 97-2003 spreadsheet (.xls), not CSV: save it as CSV (UTF-8)", where=name)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        raise BadEvent("JSON, not an ACLED CSV export (a JSONL event log imports with --format jsonl)", where=name)


def _header(cells: list[str], name: str) -> dict[str, int]:
    columns = header_columns(cells, name)
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing and "deleted_timestamp" in columns:
        raise BadEvent(
            "ACLED's deleted-events list, not an export: import it with --format acled-deleted", where=f"{name}:row 1"
        )
    if missing:
        hint = ""
        if len(cells) == 1 and "|" in cells[0]:
            hint = " (the columns are not separated by commas: ACLED's CSV uses commas, or a spreadsheet's semicolons or tabs)"
        plural = "s" if len(missing) > 1 else ""
        raise BadEvent(
            f"missing column{plural} {', '.join(missing)}{hint}; an ACLED export has "
            f"{', '.join(REQUIRED_COLUMNS)} and more",
            where=f"{name}:row 1",
        )
    return columns


def read_rows(
    stream: IO[bytes],
    name: str,
    *,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
    reading: Reading | None = None,
) -> Iterator[AcledRow]:
    """Yield each row of an ACLED CSV export, read and validated; raise BadEvent at the first bad one.

    What reading the file assumed (encoding, separator, date forms and order) is kept in `reading`.
    A row whose date reads both as day/month and month/day waits until a later row settles the
    file's order; such rows are then yielded before that row."""
    reading = reading if reading is not None else Reading(name)
    reading.date_order, reading.date_order_given = date_order, date_order is not None
    days = DayReader(reading)
    head = stream.read(64)
    _refuse_wrong_file(head, name)
    header, table = read_table(head, stream, name, reading, encoding, what="an ACLED export")
    columns = _header(header, name)
    _assume_layout(columns, reading)
    rows = (_Row(line.cells, columns, line.where, days) for line in table if not _passed_over(line, reading))
    cells = cells_digest(header, reading, _reader_digest())
    any_rows = False
    for row in in_settled_order(rows, days, _days_of, _refuse_day):
        any_rows = True
        yield read_row(row, cells)
    if not any_rows:
        raise BadEvent("no rows after the header", where=name)


def _reader_digest() -> bytes | None:
    """A digest of the code that turns an ACLED row's cells into events."""
    return source_digest(sys.modules[__name__], incident_kinds, envelope, quantity)


def _passed_over(line: TableRow, reading: Reading) -> bool:
    if line.number == 2 and _is_hashtag_row(line.cells):
        reading.skipped.append("row 2 skipped: HXL hashtags")
        return True
    return False


def _days_of(row: _Row) -> tuple[list[str], str]:
    day = row.text("event_date")
    return ([day] if day is not None else []), row.where.rpartition(":")[2]


def _refuse_day(row: _Row, message: str) -> BadEvent:
    return row.refuse("event_date", message)
