"""The events of a snapshot as a spreadsheet: one row per event, ACLED-like columns.

Named csv_table so it does not shadow the standard library's csv inside this package.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
single quote, so that a spreadsheet shows it as text and never runs it as a formula (OWASP's
advice for CSV injection). Numbers (coordinates, fatalities) are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import json
from collections.abc import Iterable
from typing import IO, Any

import attrs

from events.codec import converter
from events.envelope import DatePrecision, RecordedEvent
from events.kinds import IncidentReported
from timeline.formats import Exporter, Readable, register_exporter

COLUMNS = (
    "event_id",
    "kind",
    "event_date",
    "time_precision",
    "reported_on",
    "source",
    "unverified",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "fatalities_bound",
    "notes",
    "data",
)
TIME_PRECISION = {DatePrecision.DAY: 1, DatePrecision.WEEK: 2, DatePrecision.MONTH: 3}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The engine's own kinds in ACLED's columns: column -> payload field.
COLUMNS_OF_KIND = {
    "settlement.claimed": {
        "actor1": "claimant",
        "actor2": "controller",
        "sub_event_type": "status",
        "location": "settlement",
        "admin1": "region",
        "admin2": "district",
    },
    "territory.claimed": {"actor1": "claimant", "sub_event_type": "basis", "admin1": "region"},
    "emergency.declared": {"actor1": "authority", "sub_event_type": "regime", "admin1": "region"},
    "emergency.lifted": {"actor1": "authority", "sub_event_type": "regime", "admin1": "region"},
    "prisoners.captured": {"actor1": "captor", "sub_event_type": "basis"},
    "civilians.displaced": {"sub_event_type": "basis", "admin1": "region"},
    "official.appointed": {"actor1": "person", "actor2": "appointed_by", "admin1": "region"},
    "border.crossed": {"actor1": "force", "admin1": "into_region"},
    "statement.made": {"actor1": "speaker"},
    "forces.redeployed": {"actor1": "force", "admin1": "to_area"},
}


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, enum.Enum):
        return neutralise(str(value.value))
    return neutralise(str(value))


def row_of(recorded: RecordedEvent) -> dict[str, Any]:
    event, payload = recorded.event, recorded.payload
    row: dict[str, Any] = {
        "event_id": event.event_id,
        "kind": event.kind,
        "event_date": event.occurred_on.isoformat(),
        "time_precision": TIME_PRECISION[event.date_precision],
        "reported_on": event.reported_on.isoformat(),
        "source": event.source,
        "unverified": event.unverified,
        "event_type": event.kind,
        "notes": " ".join(part for part in (payload.describe(), event.note) if part),
        "data": json.dumps(converter.unstructure(payload), ensure_ascii=False, sort_keys=True),
    }
    if isinstance(payload, IncidentReported):
        fields = attrs.asdict(payload, recurse=False)
        row.update({column: fields[column] for column in COLUMNS if column in fields})
        row["notes"] = " ".join(part for part in (payload.notes, event.note) if part)
        if payload.fatalities is not None:
            row["fatalities"], row["fatalities_bound"] = payload.fatalities.value, payload.fatalities.bound.value
    else:
        for column, field in COLUMNS_OF_KIND.get(event.kind, {}).items():
            row[column] = getattr(payload, field, None)
    return {column: _cell(row.get(column)) for column in COLUMNS}


def write(events: Iterable[RecordedEvent], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for recorded in events:
        writer.writerow(row_of(recorded))
        count += 1
    return count


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    return write(source.visible_events(as_of, known_on), stream)


register_exporter(Exporter("csv", "events", _export))
