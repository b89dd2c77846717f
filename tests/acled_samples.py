"""ACLED-shaped CSV for tests: rows as dicts with ACLED's columns, written as its export writes them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)


def timestamp(day: dt.date, seconds: int = 36_000) -> int:
    """Unix seconds on `day` (10:00 UTC by default)."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) + seconds


def row(record_id: str, day: dt.date, revised: dt.date | None = None, **fields: Any) -> dict[str, Any]:
    """A Battles row in Sudzha (Kursk, Russia) on `day`, last changed on `revised` (default: `day`)."""
    base: dict[str, Any] = {
        "event_id_cnty": record_id,
        "event_date": day.isoformat(),
        "year": day.year,
        "time_precision": 1,
        "disorder_type": "Political violence",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Military Forces of Ukraine (2019-)",
        "inter1": "State forces",
        "actor2": "Military Forces of Russia (2000-)",
        "inter2": "State forces",
        "interaction": "State forces-State forces",
        "iso": 643,
        "region": "Europe",
        "country": "Russia",
        "admin1": "Kursk",
        "admin2": "Sudzhanskiy",
        "location": "Sudzha",
        "latitude": 51.1919,
        "longitude": 35.2716,
        "geo_precision": 1,
        "source": "Kommersant",
        "source_scale": "National",
        "notes": f"Clashes near Sudzha ({record_id}).",
        "fatalities": 0,
        "timestamp": timestamp(revised or day),
    }
    base.update(fields)
    return base


def csv_bytes(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS, bom: bool = False) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for values in rows:
        writer.writerow({column: values.get(column, "") for column in columns})
    return (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode("utf-8")


def write_csv(path: Path, rows: list[dict[str, Any]], **options: Any) -> Path:
    path.write_bytes(csv_bytes(rows, **options))
    return path


# The forms in which spreadsheets save a day (Excel and LibreOffice, by locale), by name.
DATE_FORMS = {
    "iso": lambda day: day.isoformat(),
    "iso with a time": lambda day: f"{day.isoformat()}T00:00:00",
    "d-Mon-yy": lambda day: f"{day.day}-{day:%b}-{day:%y}",
    "d-Mon-yyyy": lambda day: f"{day.day}-{day:%b}-{day.year}",
    "dd/mm/yyyy 00:00:00": lambda day: f"{day:%d/%m/%Y} 00:00:00",
    "m/d/yyyy 12:00:00 AM": lambda day: f"{day.month}/{day.day}/{day.year} 12:00:00 AM",
    "dd.mm.yyyy": lambda day: f"{day:%d.%m.%Y}",
}


def spreadsheet_bytes(
    rows: list[dict[str, Any]],
    *,
    date_form: str = "iso",
    separator: str = ",",
    encoding: str = "utf-8",
    columns: tuple[str, ...] = COLUMNS,
) -> bytes:
    """`rows` as a spreadsheet saves them: its date form, separator (a semicolon comes with decimal
    commas) and encoding; `columns` drops or adds columns (an added one is filled with its name)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
    writer.writerow(columns)
    for values in rows:
        cells = []
        for column in columns:
            value = values.get(column, column if column not in COLUMNS else "")
            if column == "event_date":
                value = DATE_FORMS[date_form](dt.date.fromisoformat(values["event_date"]))
            elif isinstance(value, float) and separator != ",":
                value = str(value).replace(".", ",")
            cells.append(value)
        writer.writerow(cells)
    return text.getvalue().encode(encoding)
