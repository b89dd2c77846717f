"""Datasette metadata for a timeline database: `datasette timeline.db -m metadata.json` is then a
browsable archive, with a titled, described view per event kind, its columns explained and its
units given (Datasette's `units`, in Pint's notation).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import IO, Any

import attrs

from events import registry
from events.quantity import Quantity
from timeline.errors import BadArgument
from timeline.formats import Exporter, Readable, register_exporter

TITLE = "Timeline: an append-only log of sourced reports"
DESCRIPTION = (
    "Every report is an event appended to a hash-chained log; nothing is edited. A correction is a new event, "
    "and a retraction (event.retracted) hides its target from the day it was known."
)
SOURCE = "Event-sourced timeline engine (timeline export --format datasette-metadata)"
ENVELOPE_COLUMNS = {
    "seq": "Position in the log (append order)",
    "event_id": "Stable event id",
    "occurred_on": "Valid time: the day it happened (for a claim, the day it was made)",
    "reported_on": "Knowledge time: the day it became public",
    "source": "Who reported it",
    "unverified": "1 when the claim was never independently confirmed",
    "note": "Caveat or detail",
    "date_precision": "How precisely the source dated it: day, week or month",
}
UNITS = {
    "area_km2": "km^2",
    "measured_area_km2": "km^2",
    "advance_km": "km",
    "latitude": "degree",
    "longitude": "degree",
}
FIELD_DESCRIPTIONS = {
    "fatalities": "Fatalities as reported (0 is a reported figure, empty means none was given)",
    "fatalities_bound": "exact, approx, at_least, more_than or at_most",
    "latitude": "WGS84 latitude",
    "longitude": "WGS84 longitude",
    "geo_precision": "1 the place itself, 2 near it, 3 only the region was known",
    "record_id": "The dataset's own id of the row (ACLED's event_id_cnty)",
    "revision": "The dataset row's version (ACLED's timestamp, Unix seconds)",
    "measured_area_km2": "The polygon's geodesic area on the WGS84 ellipsoid, measured, not stated",
    "coordinates": "GeoJSON MultiPolygon coordinates, [longitude, latitude], WGS84",
    "same_as": "The event that carries this map's polygon (stored once)",
}


def _view_columns(kind: str) -> tuple[dict[str, str], dict[str, str]]:
    columns = dict(ENVELOPE_COLUMNS)
    units: dict[str, str] = {}
    for field in attrs.fields(registry.payload_class(kind)):
        description = FIELD_DESCRIPTIONS.get(field.name, field.name.replace("_", " ").capitalize())
        columns[field.name] = description
        if "Quantity" in str(field.type) or field.type is Quantity:
            columns[f"{field.name}_bound"] = (
                "How the source qualified the figure: exact, approx, at_least, more_than, at_most"
            )
        if field.name in UNITS:
            units[field.name] = UNITS[field.name]
    return columns, units


KNOWN_DATASETS = {
    "ACLED": (
        "ACLED, the Armed Conflict Location & Event Data Project (acleddata.com); its terms of use apply",
        "https://acleddata.com",
    ),
}


def metadata(database: str, datasets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Datasette's metadata for the database file named `database` (its stem, e.g. "timeline").

    `datasets` names the datasets the log imported (ACLED), credited as the data's source.
    """
    tables: dict[str, Any] = {
        "events": {
            "title": "The event log",
            "description": "Every event in append order; the payload is JSON in `data`. The log refuses UPDATE and DELETE.",
            "sort": "seq",
            "columns": {
                **ENVELOPE_COLUMNS,
                "kind": "Event kind",
                "schema_version": "Payload schema version",
                "data": "The kind's fields (JSON)",
                "recorded_at": "When it was appended",
                "prev_hash": "Hash of the event before (the chain)",
                "hash": "SHA-256 over this row's canonical JSON",
            },
        },
        "log_head": {"title": "The end of the log", "description": "Last seq and hash, checked by `timeline verify`"},
    }
    for kind in registry.kind_names():
        payload_class = registry.payload_class(kind)
        columns, units = _view_columns(kind)
        doc = (payload_class.__doc__ or "").strip().splitlines()
        description = f"Events of kind {kind}, one row each, payload fields as columns."
        if doc and not doc[0].startswith(payload_class.__name__):
            description = f"{doc[0]} {description}"
        tables["kind_" + kind.replace(".", "_")] = {
            "title": kind,
            "description": description,
            "sort": "occurred_on",
            "columns": columns,
            **({"units": units} if units else {}),
        }
    document: dict[str, Any] = {"title": TITLE, "description": DESCRIPTION, "source": SOURCE}
    credited = [KNOWN_DATASETS.get(name, (name, None)) for name in datasets]
    if credited:
        document["source"] = "; ".join(name for name, _ in credited) + "; and the sources named on each event"
        urls = [url for _, url in credited if url]
        if urls:
            document["source_url"] = urls[0]
    document["databases"] = {database: {"title": TITLE, "tables": tables}}
    return document


def write(database: str, datasets: tuple[str, ...], stream: IO[str]) -> int:
    """Write the metadata as JSON; returns the number of tables and views described."""
    document = metadata(database, datasets)
    json.dump(document, stream, ensure_ascii=False, indent=2)
    stream.write("\n")
    return len(document["databases"][database]["tables"])


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    if as_of is not None or known_on is not None:
        raise BadArgument("datasette-metadata describes the whole database: {as_of} and {known_on} do not apply")
    store = source.store
    if store.path is None:
        raise BadArgument("datasette-metadata describes a database file: name one with {db}")
    names = {getattr(recorded.payload, "dataset", None) for recorded in store.events(kind="incident.reported")}
    return write(store.path.stem, tuple(sorted(name for name in names if isinstance(name, str) and name)), stream)


register_exporter(Exporter("datasette-metadata", "tables and views", _export))
