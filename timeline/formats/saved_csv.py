"""CSV files as people have them: saved by a spreadsheet, in whatever encoding, separator and date
form it chose, and read in one pass without loading the file.

What a file needed to be read is gathered in `Reading` and said in one line (`describe`), so the
user sees what was assumed and can override it (`--encoding`, `--date-order`):

- **Encoding**: a byte-order mark says UTF-8 or UTF-16. Otherwise the file is read as UTF-8; if a
  byte is not UTF-8 and everything before it was plain ASCII, the rest is read as Windows-1252 (a
  Western spreadsheet's default), which then reads every byte of the file the same as if chosen
  from the start. A file that mixes real UTF-8 text with other bytes is refused, never guessed.
- **Separator**: the header line's commas, else tabs, else semicolons (a spreadsheet in a locale
  whose decimal mark is a comma saves with semicolons, and then writes 51,23 for 51.23).
- **Dates**: ISO days with or without a time, `16 August 2024`, `9-May-20`, `1-Apr-2023`,
  `August 16, 2024`, and numeric days such as `14/08/2020 00:00:00` or `9/30/2022 12:00:00 AM`.
  Whether a numeric day is day/month or month/day is decided once for the file, by its first
  date that can be read only one way (`14/08/2020`); a later date that can be read only the other
  way is refused, and so is a file whose every date reads both ways, unless `--date-order` says.
  Two-digit years follow POSIX: 68 and below are 20xx, 69 and above 19xx.

The standard library's codecs do the decoding; what is written here is only the choice between
them, which no library makes the way a refusal must explain it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Literal, TypeVar

import attrs

from timeline.errors import BadEvent

DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[DateOrder, ...] = ("dmy", "mdy")
_ORDER_NAMES = {"dmy": "day/month/year", "mdy": "month/day/year"}
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}
_CHUNK = 1 << 16
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A character beyond ASCII as UTF-8 writes it: Windows-1252 text hardly ever holds one by chance.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9

# A time a spreadsheet appends to a day: 00:00, 00:00:00, 12:00:00 AM, T00:00:00Z, +02:00.
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?[AaPp][Mm])?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
_ISO_DAY = re.compile(rf"([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}}){_TIME}")
_NAMED_MONTH = re.compile(rf"([0-9]{{1,2}})[ -]([A-Za-z]+)\.?[ -]([0-9]{{4}}|[0-9]{{2}}){_TIME}")
_MONTH_FIRST = re.compile(rf"([A-Za-z]+)\.? ([0-9]{{1,2}}),? ([0-9]{{4}}){_TIME}")
_NUMERIC_DAY = re.compile(rf"([0-9]{{1,2}})([/.-])([0-9]{{1,2}})\2([0-9]{{4}}|[0-9]{{2}}){_TIME}")


class NotADay(ValueError):
    """The text is not a day in any form read here, or not a real calendar day."""


class OrderUnknown(ValueError):
    """A numeric day that reads both as day/month and month/day, in a file whose order is not yet known."""


class OrderConflict(ValueError):
    """A numeric day that reads only in the order the file has not been read in."""


class EncodingProblem(ValueError):
    """Bytes that are not the encoding the file is being read in."""


@attrs.define
class Reading:
    """What reading one file assumed, for the line the import prints and for its refusals."""

    name: str
    encoding: str = "UTF-8"
    encoding_given: bool = False
    encoding_switched_at: int | None = None  # the line where UTF-8 gave way to Windows-1252
    separator: str = ","
    decimal_comma: bool = False
    date_order: DateOrder | None = None
    date_order_given: bool = False
    date_order_from: str | None = None  # "row 5 ('14/08/2020')"
    date_forms: set[str] = attrs.field(factory=set)
    skipped: list[str] = attrs.field(factory=list)  # rows passed over, and why
    ignored_columns: tuple[str, ...] = ()
    absent_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """'read as UTF-8; comma-separated; dates 2024-08-16; ...': one line."""
        encoding = self.encoding
        if self.encoding_switched_at is not None:
            encoding = f"Windows-1252 (line {self.encoding_switched_at:,} is not UTF-8)"
        elif self.encoding_given:
            encoding = f"{self.encoding} (--encoding)"
        separator = f"{_SEPARATOR_NAMES[self.separator]}-separated"
        if self.decimal_comma:
            separator += " with decimal commas"
        parts = [f"read as {encoding}", separator]
        forms = sorted(self.date_forms)
        if self.date_order is not None:
            how = "--date-order" if self.date_order_given else f"from {self.date_order_from}"
            if "numeric" in self.date_forms:
                forms.remove("numeric")
                forms.append(f"{_ORDER_NAMES[self.date_order]} ({how})")
        if forms:
            parts.append("dates " + ", ".join(forms))
        parts.extend(self.skipped)
        if self.ignored_columns:
            parts.append("columns not read: " + ", ".join(self.ignored_columns))
        if self.absent_columns:
            parts.append("optional columns absent: " + ", ".join(self.absent_columns))
        return "; ".join(parts)


# -- bytes to text -----------------------------------------------------------------------------


def text_stream(head: bytes, rest: IO[bytes], reading: Reading, encoding: str | None) -> IO[str]:
    """The file as text, for `csv.reader`: `head` (already read, to recognise the file) then `rest`."""
    raw = _Prefixed(head, rest)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingProblem(f"--encoding {encoding!r} is not an encoding Python knows") from None
        reading.encoding, reading.encoding_given = encoding, True
        return io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding, newline="")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        reading.encoding = "UTF-16"
        return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-16", newline="")
    if head.startswith(codecs.BOM_UTF8):
        reading.encoding = "UTF-8 (with a byte-order mark)"
    return io.TextIOWrapper(io.BufferedReader(_Utf8OrWindows1252(raw, reading)), encoding="utf-8-sig", newline="")


class _Prefixed(io.RawIOBase):
    """The bytes already read to recognise the file, then the rest of the stream (which stays the
    caller's to close)."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size], self._head = self._head[:size], self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Utf8OrWindows1252(io.RawIOBase):
    """UTF-8 bytes out: the input's own while it is UTF-8; from its first non-UTF-8 byte, if all
    before was ASCII (so both readings agree on it), the input read as Windows-1252."""

    def __init__(self, source: io.RawIOBase, reading: Reading):
        self._source = source
        self._reading = reading
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._windows1252 = False
        self._read_non_ascii = False  # has UTF-8 text beyond ASCII been read?
        self._offset = 0  # bytes read from the source so far
        self._lines = 0  # line ends among them
        self._pending = b""
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._ended:
            chunk = self._source.read(_CHUNK) or b""
            self._ended = not chunk
            self._pending = self._recode(chunk, final=self._ended).encode("utf-8")
            self._offset += len(chunk)
            self._lines += chunk.count(b"\n")
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size

    def _recode(self, chunk: bytes, *, final: bool) -> str:
        if self._windows1252:
            return _windows1252(chunk, self._lines)
        undecoded = self._decoder.getstate()[0]
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            data = undecoded + chunk
            before = data[: max(exc.start, 0)]
            line = self._lines + before.count(b"\n") + 1
            if self._read_non_ascii or not before.isascii():
                raise EncodingProblem(
                    f"line {line:,} is not UTF-8, but the text before it was UTF-8: the file mixes "
                    "encodings; give --encoding to say which"
                ) from None
            self._windows1252 = True
            self._reading.encoding_switched_at = line
            return _windows1252(data, self._lines)
        self._read_non_ascii = self._read_non_ascii or not text.isascii()
        return text


def _windows1252(data: bytes, lines_before: int) -> str:
    """`data` read as Windows-1252; `lines_before` counts the line ends before it, for messages."""
    if found := _UTF8_SEQUENCE.search(data):
        line = lines_before + data.count(b"\n", 0, found.start()) + 1
        raise EncodingProblem(
            f"line {line:,} holds UTF-8 ({found[0].decode()!r}), but an earlier line is not UTF-8: the "
            "file mixes encodings; give --encoding to say which"
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = lines_before + data.count(b"\n", 0, exc.start) + 1
        raise EncodingProblem(
            f"line {line:,} is neither UTF-8 nor Windows-1252: give --encoding to say which"
        ) from None


def separator_of(header_line: str) -> str:
    """The separator a header line uses: commas, else tabs, else semicolons."""
    for separator in (",", "\t", ";"):
        if separator in header_line:
            return separator
    return ","


@attrs.frozen
class TableRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    where: str  # "file.csv:row 12"
    cells: list[str]


def read_table(
    head: bytes, rest: IO[bytes], name: str, reading: Reading, encoding: str | None, *, what: str
) -> tuple[list[str], Iterator[TableRow]]:
    """The header and then the rows of a CSV file as a spreadsheet may have saved it (its encoding
    and separator found as the module says, and kept in `reading`): blank lines passed over, a row
    of another width refused, and every error of reading one line naming the file and row.
    `what` names the file for messages ("an ACLED export")."""
    table = _table(head, rest, name, reading, encoding, what)
    header = next(table)
    assert isinstance(header, list)
    return header, table  # type: ignore[return-value]  # after the header, only rows


def _table(
    head: bytes, rest: IO[bytes], name: str, reading: Reading, encoding: str | None, what: str
) -> Iterator[list[str] | TableRow]:
    number = 1
    try:
        text = text_stream(head, rest, reading, encoding)
        first_line = text.readline()
        reading.separator = separator_of(first_line)
        reader = csv.reader(_chain(first_line, text), delimiter=reading.separator)
        header = next(reader, None)
        if header is None:
            raise BadEvent(f"the file is empty ({what} starts with a header row)", where=name)
        yield header
        width, any_rows = len(header), False
        for cells in reader:
            number += 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            where = f"{name}:row {number}"
            if len(cells) != width:
                raise BadEvent(f"has {len(cells)} cells, but the header has {width} columns", where=where)
            any_rows = True
            yield TableRow(number, where, cells)
        if not any_rows:
            raise BadEvent("no rows after the header", where=name)
    except EncodingProblem as exc:
        raise BadEvent(str(exc), where=name) from None
    except UnicodeDecodeError:
        raise BadEvent(
            f"not valid {reading.encoding} (after row {number}): give the file's encoding with --encoding", where=name
        ) from None
    except csv.Error as exc:
        raise BadEvent(f"not readable as CSV: {exc}", where=f"{name}:row {number + 1}") from None


def _chain(first_line: str, rest: IO[str]) -> Iterator[str]:
    yield first_line
    yield from rest


def header_columns(cells: list[str], name: str) -> dict[str, int]:
    """Column name (trimmed, any case) -> its position; a name twice is refused."""
    columns: dict[str, int] = {}
    for position, cell in enumerate(cells):
        column = cell.strip().casefold()
        if column in columns:
            raise BadEvent(f"column {column!r} appears twice in the header", where=f"{name}:row 1")
        if column:
            columns[column] = position
    return columns


class CsvRow:
    """The cells of one row by column name, and the errors that name the row and column: what
    every dataset's row reads alike (each reader adds its own numbers and flags)."""

    __slots__ = ("cells", "columns", "days", "where")

    def __init__(self, cells: list[str], columns: dict[str, int], where: str, days: DayReader):
        self.cells = cells
        self.columns = columns
        self.where = where
        self.days = days

    def refuse(self, column: str, message: str) -> BadEvent:
        return BadEvent(message, where=self.where, field=column)

    def text(self, column: str) -> str | None:
        position = self.columns.get(column)
        if position is None:
            return None
        value = self.cells[position]
        if "\n" in value or "\r" in value:
            value = _LINE_BREAK.sub(" ", value)  # a line break inside a cell (notes) reads as a space
        return value.strip() or None

    def required(self, column: str) -> str:
        value = self.text(column)
        if value is None:
            raise self.refuse(column, "empty (required)")
        return value

    def day(self, column: str) -> dt.date:
        try:
            return self.days.day(self.required(column), self.where.rpartition(":")[2])
        except (NotADay, OrderConflict) as exc:
            raise self.refuse(column, str(exc)) from None


# -- a row's cells, as a digest ----------------------------------------------------------------

# (row, its days as read) -> a stable digest of what decides its events (None: no digest)
CellsDigest = Callable[["CsvRow", Sequence[dt.date]], bytes | None]


def no_digest(row: CsvRow, days: Sequence[dt.date]) -> None:
    return None


def source_digest(*modules: ModuleType) -> bytes | None:
    """A digest of the code that turns cells into events (the reader's modules and this one), so
    a row read by another version of it is read again in full, rather than trusting a version
    number kept by hand. None where the sources cannot be read (a frozen build)."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        for module in (*modules, sys.modules[__name__]):
            digest.update(Path(module.__file__ or "").read_bytes())
    except OSError:
        return None
    return digest.digest()


def cells_digest(header: list[str], reading: Reading, reader: bytes | None) -> CellsDigest:
    """The digest of a row's cells with what else decides its events: the reading code, the
    header (which column each cell is), the separator (a decimal comma) and the row's days as
    read (the file's date order). Rows with equal digests read as equal events."""
    if reader is None:
        return no_digest
    salt = hashlib.blake2b(reader, digest_size=16)
    salt.update("\x1f".join([reading.separator, *header]).encode("utf-8", "surrogatepass"))

    def cells(row: CsvRow, days: Sequence[dt.date]) -> bytes:
        digest = salt.copy()
        digest.update("\x1f".join([*(day.isoformat() for day in days), *row.cells]).encode("utf-8", "surrogatepass"))
        return digest.digest()

    return cells


# -- days ----------------------------------------------------------------------------------------


@attrs.define
class DayReader:
    """Reads the day cells of one file, deciding its day/month order once."""

    reading: Reading

    def needs_order(self, value: str) -> bool:
        """Whether `value` cannot be read before the file's order is known."""
        if self.reading.date_order is not None:
            return False
        match = _NUMERIC_DAY.fullmatch(value)
        return match is not None and int(match[1]) != int(match[3]) and _orders(match) == DATE_ORDERS

    def day(self, value: str, where: str) -> dt.date:
        """The day `value` names; raises NotADay, OrderUnknown or OrderConflict."""
        if match := _ISO_DAY.fullmatch(value):
            self.reading.date_forms.add("2024-08-16" if len(value) == 10 else "2024-08-16 with a time")
            return _calendar_day(value, int(match[1]), int(match[2]), int(match[3]))
        if (match := _NAMED_MONTH.fullmatch(value)) and match[2].casefold() in MONTHS:
            self.reading.date_forms.add("16 August 2024" if len(match[3]) == 4 else "16-Aug-24")
            return _calendar_day(value, _year(match[3]), MONTHS[match[2].casefold()], int(match[1]))
        if (match := _MONTH_FIRST.fullmatch(value)) and match[1].casefold() in MONTHS:
            self.reading.date_forms.add("August 16, 2024")
            return _calendar_day(value, int(match[3]), MONTHS[match[1].casefold()], int(match[2]))
        if match := _NUMERIC_DAY.fullmatch(value):
            self.reading.date_forms.add("numeric")
            return self._numeric(value, match, where)
        raise NotADay(f"expected a date such as 2024-08-16, 16 August 2024, 16-Aug-24 or 16/08/2024, not {value!r}")

    def _numeric(self, value: str, match: re.Match[str], where: str) -> dt.date:
        if int(match[1]) == int(match[3]):  # 5/5/2020 is the same day in either order
            return _calendar_day(value, _year(match[4]), int(match[1]), int(match[1]))
        possible = _orders(match)
        if not possible:
            raise NotADay(f"{value!r} is not a real calendar day read either as day/month or month/day")
        order = self.reading.date_order
        if order is None:
            if len(possible) > 1:
                raise OrderUnknown(value)
            order = self.reading.date_order = possible[0]
            self.reading.date_order_from = f"{where} ({value!r})"
        elif order not in possible:
            how = "--date-order" if self.reading.date_order_given else self.reading.date_order_from
            raise OrderConflict(
                f"{value!r} reads only as {_ORDER_NAMES[possible[0]]}, but the file is read as "
                f"{_ORDER_NAMES[order]} ({how}): the file mixes orders; give --date-order to choose"
            )
        first, second = int(match[1]), int(match[3])
        day, month = (first, second) if order == "dmy" else (second, first)
        return dt.date(_year(match[4]), month, day)

    def settle(self, values: Iterable[str], where: str) -> None:
        """Let these days decide the file's order, if one can; their own errors wait for the row's
        reading. Only a numeric day can, so the others are not read twice (a file of ISO days
        never settles an order, and passes here on every row)."""
        for value in values:
            if (match := _NUMERIC_DAY.fullmatch(value)) is not None:
                try:
                    self._numeric(value, match, where)
                except (NotADay, OrderConflict, OrderUnknown):
                    pass


Row = TypeVar("Row")


def in_settled_order(
    rows: Iterable[Row],
    days: DayReader,
    days_of: Callable[[Row], tuple[list[str], str]],
    refuse: Callable[[Row, str], Exception],
) -> Iterator[Row]:
    """`rows` in file order, except that a row whose every numeric day reads both as day/month and
    month/day waits until a later row settles the file's order (then comes just before it).
    `days_of(row)` gives the row's day cells and its place ("row 12"); a file that never settles
    is refused with `refuse(its first waiting row, message)`."""
    waiting: list[tuple[Row, str, str]] = []
    for row in rows:
        values, where = days_of(row)
        if days.reading.date_order is None:
            days.settle(values, where)
            unsettled = [value for value in values if days.needs_order(value)]
            if unsettled:
                waiting.append((row, unsettled[0], where))
                continue
        if waiting and days.reading.date_order is not None:
            yield from (waiting_row for waiting_row, _, _ in waiting)
            waiting.clear()
        yield row
    if waiting:
        row, value, where = waiting[0]
        raise refuse(row, _ambiguous_throughout(value, where))


def _ambiguous_throughout(value: str, where: str) -> str:
    return (
        f"every date in the file reads both as day/month and month/day (such as {value!r} at {where}): "
        "give --date-order dmy or --date-order mdy"
    )


def _orders(match: re.Match[str]) -> tuple[DateOrder, ...]:
    first, second, year = int(match[1]), int(match[3]), _year(match[4])
    possible: list[DateOrder] = []
    for order, (day, month) in (("dmy", (first, second)), ("mdy", (second, first))):
        try:
            dt.date(year, month, day)
        except ValueError:
            continue
        possible.append(order)  # type: ignore[arg-type]
    return tuple(possible)


def _year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    two_digits = int(text)
    return 2000 + two_digits if two_digits <= 68 else 1900 + two_digits


def _calendar_day(value: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise NotADay(f"{value!r} is not a real calendar day") from None
