"""Reading UCDP GED's CSV (the yearly release, or the monthly candidate events): one
`incident.reported` event per row.

Columns are read by header name (any case), in the file's encoding and with its separator as a
spreadsheet saved them (`saved_csv`), so the release's and the candidate set's column
orders, older column sets and extra columns all read the same; a missing required column is
refused by name, and an ACLED export given as UCDP is recognised and refused as one. Rows are
numbered as a spreadsheet shows them: the header is row 1. Every refusal names the file, the row
and the column.

A cell is read as the value it means, so the same row written by another tool reads the same:
`2014-01-22T00:00:00` and `2014-01-22` are one day, `3.0` is 3, `TRUE`, `true` and `1` are true,
and surrounding whitespace is dropped.

What is known about a row (bitemporally): it happened between `date_start` and `date_end`; it
folds on `date_start`, at the precision the span allows (a day, a week, a month; a span that is
none of these says so in the event's note). UCDP rows carry no date of their last change, so a
row is known from the day of its download (`--known-on`), and its event id is derived from its
`id` and that day (`ucdp:123456:2024-06-01`).
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
from events.kinds import IncidentReported
from events.kinds import incident as incident_kinds
from events.kinds.incident import UcdpFields
from events.quantity import Quantity
from timeline.errors import BadEvent
from timeline.formats.saved_csv import (
    CellsDigest,
    CsvRow,
    DateOrder,
    DayReader,
    Reading,
    cells_digest,
    header_columns,
    in_settled_order,
    no_digest,
    read_table,
    source_digest,
)

DATASET = "UCDP GED"
ID_PREFIX = "ucdp"
VIOLENCE_TYPES = {1: "State-based conflict", 2: "Non-state conflict", 3: "One-sided violence"}
REQUIRED_COLUMNS = ("id", "type_of_violence", "country", "date_start", "date_end", "best")
# Copied as text into UCDP's own fields, under their own names.
TEXT_COLUMNS = (
    "relid",
    "conflict_name",
    "dyad_name",
    "gwnoa",
    "gwnob",
    "code_status",
    "where_description",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
)
# Whole numbers, likewise.
NUMBER_COLUMNS = (
    "conflict_new_id",
    "dyad_new_id",
    "side_a_new_id",
    "side_b_new_id",
    "event_clarity",
    "date_prec",
    "where_prec",
    "country_id",
    "priogrid_gid",
    "number_of_sources",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
)
# Columns read into the shared fields, by field.
COLUMN_OF_FIELD = {
    "record_id": "id",
    "event_type": "type_of_violence",
    "actor1": "side_a",
    "actor2": "side_b",
    "admin1": "adm_1",
    "admin2": "adm_2",
    "location": "where_coordinates",
    "fatalities": "best",
}
# Columns that tell an ACLED export, given as UCDP by mistake.
ACLED_COLUMNS = ("event_id_cnty", "event_date", "fatalities")

_ID = re.compile(r"[0-9]{1,15}(?:\.0*)?")
# A day, optionally with a time of day (a database or spreadsheet export adds midnight).
_WHOLE_NUMBER = re.compile(r"\+?([0-9]{1,15})(?:\.0*)?")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})


def incident_id(record_id: str, known_on: dt.date) -> str:
    return f"{ID_PREFIX}:{record_id}:{known_on.isoformat()}"


@attrs.define
class UcdpRow:
    """One row, read as far as a re-import needs to find it in the log: its id, version, days and
    country, and its cells' digest. Its event is built and validated when first asked for, so a
    row the log holds, read from the same cells, costs only this much."""

    where: str  # "file.csv:row 12"
    record_id: str  # UCDP's id
    revision: int  # the download's day (its ordinal): UCDP stamps no version on a row
    country: str
    occurred_on: dt.date  # date_start
    date_end: dt.date
    violence: int  # type_of_violence
    known_on: dt.date
    fingerprint: int  # of the row's cells: tells a repeated row from a different one
    cells: bytes | None  # a stable digest of the cells and how they were read (None: no digest)
    _row: _Row | None  # its cells until its event is built, then let go
    _incident: Event | None = None

    @property
    def incident(self) -> Event:
        if self._incident is None:
            self._incident = _incident_of(self)
            self._row = None
        return self._incident


class _Row(CsvRow):
    """A UCDP row's cells: UCDP's whole numbers, numbers and booleans as other tools write them."""

    __slots__ = ("decimal_comma",)

    def __init__(
        self, cells: list[str], columns: dict[str, int], where: str, days: DayReader, *, decimal_comma: bool = False
    ):
        super().__init__(cells, columns, where, days)
        # A spreadsheet that saves with semicolons writes 51,23 for 51.23 (its locale's decimal mark).
        self.decimal_comma = decimal_comma

    def whole_number(self, column: str, *, required: bool = False) -> int | None:
        value = self.required(column) if required else self.text(column)
        if value is None:
            return None
        match = _WHOLE_NUMBER.fullmatch(value)
        if match is None:
            raise self.refuse(column, f"expected a whole number, not {value!r}")
        return int(match.group(1))

    def number(self, column: str) -> float | None:
        value = self.text(column)
        if value is None:
            return None
        if self.decimal_comma and "," in value:
            value = value.replace(",", ".", 1)
        if not _NUMBER.fullmatch(value):
            raise self.refuse(column, f"expected a number, not {value!r}")
        return float(value)

    def boolean(self, column: str) -> bool | None:
        value = self.text(column)
        if value is None:
            return None
        folded = value.casefold()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise self.refuse(column, f"expected true or false (or 1 or 0), not {value!r}")


def _build(row: _Row, make: Callable[..., Any], **fields: Any) -> Any:
    """Construct a payload or envelope, turning its validators' complaints into the row's column."""
    try:
        return make(**fields)
    except (TypeError, ValueError) as exc:
        field, _, message = str(exc).partition(" ")
        if field in fields or field in COLUMN_OF_FIELD:
            raise row.refuse(COLUMN_OF_FIELD.get(field, field), message) from None
        raise BadEvent(str(exc), where=row.where) from None


def _precision(start: dt.date, end: dt.date) -> DatePrecision:
    """The finest precision whose span holds both days: a day, a week (Monday to Sunday), a month;
    a longer span is shown as its first month, and the note says the span."""
    if start == end:
        return DatePrecision.DAY
    if start.isocalendar()[:2] == end.isocalendar()[:2]:
        return DatePrecision.WEEK
    return DatePrecision.MONTH


def _deaths(row: _Row) -> Quantity:
    best = row.whole_number("best", required=True)
    assert best is not None
    low = row.whole_number("low")
    high = row.whole_number("high")
    low = best if low is None else low
    high = best if high is None else high
    if low > best:
        raise row.refuse("low", f"{low} is above best {best}")
    if high < best:
        raise row.refuse("high", f"{high} is below best {best}")
    if low == best == high:
        return _build(row, Quantity, value=best)  # type: ignore[no-any-return]  # a Quantity
    return _build(row, Quantity, value=best, low=low, high=high)  # type: ignore[no-any-return]  # a Quantity


def read_row(row: _Row, known_on: dt.date, cells: CellsDigest = no_digest) -> UcdpRow:
    """The row as far as a re-import needs it (its event is built when asked for); `cells`
    gives its cells' digest."""
    raw_id = row.required("id")
    if not _ID.fullmatch(raw_id):
        raise row.refuse("id", f"expected UCDP's numeric event id such as 123456, not {raw_id!r}")
    record_id = str(int(raw_id.partition(".")[0]))
    start = row.day("date_start")
    end = row.day("date_end")
    if end < start:
        raise row.refuse("date_end", f"{end.isoformat()} is before date_start {start.isoformat()}")
    if start > known_on:
        raise row.refuse(
            "date_start",
            f"{start.isoformat()} is after --known-on {known_on.isoformat()}: a download holds no event "
            "that had not begun (is --known-on the day of the download?)",
        )
    year = row.whole_number("year")
    if year is not None and year != start.year:
        raise row.refuse("year", f"{year} does not match date_start {start.isoformat()}")
    violence = row.whole_number("type_of_violence", required=True)
    if violence not in VIOLENCE_TYPES:
        raise row.refuse(
            "type_of_violence", f"expected 1 (state-based), 2 (non-state) or 3 (one-sided), not {violence}"
        )
    country = row.required("country")
    return UcdpRow(
        row.where,
        record_id,
        known_on.toordinal(),
        country,
        start,
        end,
        violence,
        known_on,
        hash(tuple(row.cells)),
        cells(row, (start, end)),
        row,
    )


def _incident_of(read: UcdpRow) -> Event:
    """The incident of a row, validated."""
    row, record_id, country, known_on = read._row, read.record_id, read.country, read.known_on
    assert row is not None  # built once
    start, end, violence = read.occurred_on, read.date_end, read.violence
    admin1, admin2 = row.text("adm_1"), row.text("adm_2")
    details: UcdpFields = _build(
        row,
        UcdpFields,
        active_year=row.boolean("active_year"),
        date_end=end.isoformat() if end != start else None,
        **{column: row.text(column) for column in TEXT_COLUMNS},
        **{column: row.whole_number(column) for column in NUMBER_COLUMNS},
    )
    payload: IncidentReported = _build(
        row,
        IncidentReported,
        event_type=VIOLENCE_TYPES[violence],
        country=country,
        location=row.text("where_coordinates") or admin2 or admin1 or country,
        actor1=row.text("side_a"),
        actor2=row.text("side_b"),
        admin1=admin1,
        admin2=admin2,
        latitude=row.number("latitude"),
        longitude=row.number("longitude"),
        fatalities=_deaths(row),
        region=row.text("region"),
        dataset=DATASET,
        record_id=record_id,
        ucdp=details,
    )
    precision = _precision(start, end)
    incident: Event = _build(
        row,
        Event,
        payload=payload,
        occurred_on=start,
        source=DATASET,
        reported_on=known_on,
        event_id=incident_id(record_id, known_on),
        date_precision=precision,
        note=f"between {start.isoformat()} and {end.isoformat()}" if end != start else None,
    )
    return incident


# -- the file --------------------------------------------------------------------------------


def _refuse_wrong_file(head: bytes, name: str) -> None:
    if not head:
        raise BadEvent("the file is empty (a UCDP GED file starts with a header row: id, relid, year, ...)", where=name)
    if head.startswith(b"PK\x03\x04"):
        raise BadEvent("a spreadsheet or zip archive, not CSV: unzip it, or save it as CSV (UTF-8)", where=name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadEvent("an Excel 97-2003 spreadsheet (.xls), not CSV: save it as CSV (UTF-8)", where=name)
    if head.startswith(b"\x1f\x8b"):
        raise BadEvent("a gzip archive, not CSV: unpack it first", where=name)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        raise BadEvent(
            "JSON, not CSV: UCDP's API answers a page at a time, and only a whole download can say which "
            "events were dropped; import UCDP's CSV download (a JSONL event log imports with --format jsonl)",
            where=name,
        )


def _header(cells: list[str], name: str) -> dict[str, int]:
    columns = header_columns(cells, name)
    if all(column in columns for column in ACLED_COLUMNS):
        raise BadEvent(
            "this looks like an ACLED export (it has event_id_cnty, event_date and fatalities, not UCDP's "
            "id, date_start and best): import it with --format acled",
            where=f"{name}:row 1",
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        hint = ""
        if len(cells) == 1 and "|" in cells[0]:
            hint = " (the columns are separated by '|': save the file with commas)"
        plural = "s" if len(missing) > 1 else ""
        raise BadEvent(
            f"missing column{plural} {', '.join(missing)}{hint}; a UCDP GED file has "
            f"{', '.join(REQUIRED_COLUMNS)} and more",
            where=f"{name}:row 1",
        )
    return columns


def read_rows(
    stream: IO[bytes],
    name: str,
    known_on: dt.date,
    *,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
    reading: Reading | None = None,
) -> Iterator[UcdpRow]:
    """Yield each row of a UCDP GED CSV, read and validated; raise BadEvent at the first bad one.

    The file's encoding and separator are found as for ACLED's (`saved_csv`: UTF-8 with or
    without a BOM, UTF-16 by its BOM, else Windows-1252 when it is not UTF-8; commas, tabs or
    semicolons), and what was assumed is kept in `reading`."""
    reading = reading if reading is not None else Reading(name)
    reading.date_order, reading.date_order_given = date_order, date_order is not None
    days = DayReader(reading)
    head = stream.read(64)
    _refuse_wrong_file(head, name)
    header, table = read_table(head, stream, name, reading, encoding, what="a UCDP GED file")
    columns = _header(header, name)
    decimal_comma = reading.separator != ","
    rows = (_Row(line.cells, columns, line.where, days, decimal_comma=decimal_comma) for line in table)
    cells = cells_digest(header, reading, _reader_digest())
    for row in in_settled_order(rows, days, _days_of, _refuse_day):
        yield read_row(row, known_on, cells)


def _reader_digest() -> bytes | None:
    """A digest of the code that turns a UCDP row's cells into an event."""
    return source_digest(sys.modules[__name__], incident_kinds, envelope, quantity)


def _days_of(row: _Row) -> tuple[list[str], str]:
    days = [day for day in (row.text("date_start"), row.text("date_end")) if day is not None]
    return days, row.where.rpartition(":")[2]


def _refuse_day(row: _Row, message: str) -> BadEvent:
    return row.refuse("date_start", message)
