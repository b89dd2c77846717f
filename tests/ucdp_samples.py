"""UCDP-GED-shaped CSV for tests: rows as dicts with UCDP GED's columns, written as its CSV is.

The rows are made up (places from the Kursk story, invented ids and tolls): no real UCDP data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

COLUMNS = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)


def row(record_id: int, day: dt.date, end: dt.date | None = None, **fields: Any) -> dict[str, Any]:
    """A state-based event at Sudzha (Kursk, Russia) from `day` to `end` (default: that day):
    2 + 1 + 0 + 0 = 3 deaths, best 3 (low 2 - high 5)."""
    base: dict[str, Any] = {
        "id": record_id,
        "relid": f"RUS-{day.year}-1-{record_id}",
        "year": day.year,
        "active_year": "TRUE",
        "code_status": "Clear",
        "type_of_violence": 1,
        "conflict_new_id": 13_243,
        "conflict_name": "Russia - Ukraine",
        "dyad_new_id": 14_246,
        "dyad_name": "Government of Russia (Soviet Union) - Government of Ukraine",
        "side_a_new_id": 57,
        "side_a": "Government of Russia (Soviet Union)",
        "side_b_new_id": 199,
        "side_b": "Government of Ukraine",
        "number_of_sources": 2,
        "source_article": f"Kommersant, {day.isoformat()}, 'Fighting near Sudzha' ({record_id})",
        "source_office": "Kommersant;Reuters",
        "source_date": f"{day.isoformat()};{day.isoformat()}",
        "source_headline": "Fighting near Sudzha",
        "source_original": "Russian Ministry of Defence",
        "where_prec": 1,
        "where_coordinates": "Sudzha town",
        "where_description": "Sudzha, Kursk oblast",
        "adm_1": "Kursk oblast",
        "adm_2": "Sudzhanskiy rayon",
        "latitude": 51.1919,
        "longitude": 35.2716,
        "geom_wkt": "POINT (35.2716 51.1919)",
        "priogrid_gid": 185_831,
        "country": "Russia (Soviet Union)",
        "country_id": 365,
        "region": "Europe",
        "event_clarity": 1,
        "date_prec": 1,
        "date_start": day.isoformat(),
        "date_end": (end or day).isoformat(),
        "deaths_a": 2,
        "deaths_b": 1,
        "deaths_civilians": 0,
        "deaths_unknown": 0,
        "best": 3,
        "high": 5,
        "low": 2,
        "gwnoa": "365",
        "gwnob": "369",
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
