"""Import a map of controlled territory (GeoJSON polygons, WGS84) as one `territory.mapped` event.

`timeline import FILE --format geojson --claimant DeepStateMap --controller Russia --source S --on DAY`

The file is a Feature, a FeatureCollection or a bare geometry; its Polygon and MultiPolygon
features are checked (closed rings of at least four positions, longitude and latitude in range,
no self-intersection), merged into one MultiPolygon, kept to 1e-6° and measured on the WGS84
ellipsoid. Points and lines in the file (labels, front-line strokes) are not territory and are
left out; a file with no polygon at all is refused. Every refusal is one line naming the file and
the feature, and changes nothing.

The polygon is stored once. A map whose polygon some earlier map already carries (the same
`geometry_hash`) is stored with `same_as`, the id of the event holding the coordinates, instead of
the coordinates: a daily series where the front moves weekly keeps one copy per week. The event
id is derived from claimant, controller, source, day and polygon, so importing the same file
again is a no-op.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from typing import IO, Any

import attrs

from events.envelope import Event
from events.kinds.territory import TerritoryMapped
from timeline.errors import BadEvent, BadInput
from timeline.formats import Importer, register_importer
from timeline.geometry import (
    POLYGON_TYPES,
    GeometryProblem,
    RawPolygon,
    area_km2,
    coordinates_hash,
    merged,
    polygons_of,
)
from timeline.store import AppendResult, EventStore, RowQuery
from timeline.store.query import PayloadField

# Larger than any daily map of a front (DeepStateMap's is ~0.2 MB), small enough to read at once.
MAX_FILE_BYTES = 50 * 1024 * 1024
# WGS84 longitude/latitude: what RFC 7946 requires, and what an older file may name as its `crs`.
WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326")
_IDS = uuid.UUID("8f3c9a52-0d6e-4c1b-9a57-3e1f2b6d7c40")  # the namespace of mapped-territory event ids
OPTIONS = ("claimant", "controller", "source", "on", "region")


def read_document(stream: IO[bytes], name: str) -> Any:
    text = stream.read(MAX_FILE_BYTES + 1)
    if len(text) > MAX_FILE_BYTES:
        raise BadEvent(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most a map file may be", where=name)
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise BadEvent(f"not UTF-8 text: {exc.reason} at byte {exc.start}", where=name) from None
    except json.JSONDecodeError as exc:
        raise BadEvent(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=name) from None
    except RecursionError:
        raise BadEvent("not GeoJSON: its JSON is nested too deeply", where=name) from None


def _features(document: Any, name: str) -> list[tuple[str, Any]]:
    """(where, geometry) of each feature, where naming it for errors ("file: feature 3")."""
    if not isinstance(document, dict):
        raise BadEvent("not a GeoJSON object (a Feature, a FeatureCollection or a geometry)", where=name)
    crs = document.get("crs")
    if crs is not None:
        crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if crs_name not in WGS84_NAMES:
            raise BadEvent(f"the file's crs is {crs_name!r}, not WGS84 longitude/latitude (CRS84)", where=name)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise BadEvent("a FeatureCollection needs a list of features", where=name, field="features")
        if not features:
            raise BadEvent("the collection has no features: nothing to map", where=name, field="features")
        found = []
        for index, feature in enumerate(features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise BadEvent("not a GeoJSON Feature", where=f"{name}: feature {index}")
            found.append((f"{name}: feature {index}", feature.get("geometry")))
        return found
    if kind == "Feature":
        return [(f"{name}: feature 0", document.get("geometry"))]
    if kind in POLYGON_TYPES or kind in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        return [(f"{name}: geometry", document)]
    raise BadEvent(f"not a GeoJSON Feature, FeatureCollection or geometry (type {kind!r})", where=name, field="type")


def read_polygons(document: Any, name: str) -> list[RawPolygon]:
    """Every polygon of the file's Polygon and MultiPolygon features, each checked."""
    polygons: list[RawPolygon] = []
    others: list[str] = []
    for where, geometry in _features(document, name):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in POLYGON_TYPES:
            others.append(f"{where.removeprefix(name + ': ')} is {kind or 'without geometry'}")
            continue
        try:
            polygons.extend(polygons_of(geometry))
        except GeometryProblem as exc:
            raise BadEvent(str(exc), where=where, field="geometry") from None
    if not polygons:
        held = ", ".join(others[:3]) + (f" and {len(others) - 3:,} more" if len(others) > 3 else "")
        raise BadEvent(f"no Polygon or MultiPolygon feature ({held}): nothing to map", where=name)
    return polygons


def event_id_for(claimant: str, controller: str, source: str, on: dt.date, geometry_hash: str) -> str:
    return str(uuid.uuid5(_IDS, "\x1f".join((claimant, controller, source, on.isoformat(), geometry_hash))))


def earlier_carrier(store: EventStore, geometry_hash: str) -> str | None:
    """The id of the event that carries the coordinates of `geometry_hash`, if one is logged."""
    query = RowQuery(
        columns=("event_id", PayloadField("same_as")),
        kinds=frozenset(["territory.mapped"]),
        payload_equals=(("geometry_hash", geometry_hash),),
    )
    for event_id, same_as in store.row_values(query):
        return str(same_as) if same_as else str(event_id)
    return None


def _options(options: dict[str, Any]) -> tuple[str, str, str, dt.date, str | None]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise BadInput(f"the geojson import takes no --{unknown[0].replace('_', '-')}")
    missing = [f"--{option}" for option in OPTIONS[:4] if not options.get(option)]
    if missing:
        raise BadInput(f"the geojson import needs {', '.join(missing)} (who says, who holds, who published, which day)")
    on = options["on"]
    if not isinstance(on, dt.date):
        on = dt.date.fromisoformat(str(on))
    return options["claimant"], options["controller"], options["source"], on, options.get("region")


def mapped_event(
    store: EventStore, document: Any, name: str, **options: Any
) -> Callable[[], Iterator[tuple[Event, str]]]:
    """Check and measure the file now; the returned generator gives its event inside the append's
    transaction, where the look-up of an earlier copy of the polygon sees the log as written."""
    claimant, controller, source, on, region = _options(options)
    polygons = read_polygons(document, name)
    try:
        coordinates = merged(polygons)
    except GeometryProblem as exc:
        raise BadEvent(str(exc), where=name, field="geometry") from None
    geometry_hash = coordinates_hash(coordinates)
    try:
        payload = TerritoryMapped(
            claimant, controller, area_km2(coordinates), geometry_hash, coordinates, region=region
        )
        event = Event(payload, on, source, event_id=event_id_for(claimant, controller, source, on, geometry_hash))
    except (TypeError, ValueError) as exc:
        raise BadEvent(str(exc), where=name) from None

    def events() -> Iterator[tuple[Event, str]]:
        logged = store.get(event.event_id)
        if logged is not None:
            yield logged.event, name  # the same file again: unchanged
            return
        carrier = earlier_carrier(store, geometry_hash)
        if carrier is None:
            yield event, name
        else:
            yield attrs.evolve(event, payload=attrs.evolve(payload, coordinates=None, same_as=carrier)), name

    return events


def _import(
    store: EventStore,
    stream: IO[bytes],
    name: str,
    expected_head: int | None,
    progress: Callable[[int], None] | None,
    **options: Any,
) -> AppendResult:
    _options(options)  # a missing option is named before the file is read
    events = mapped_event(store, read_document(stream, name), name, **options)
    return store.append(events(), expected_head=expected_head, keep_events=False)


register_importer(Importer("geojson", "a GeoJSON file of polygons", _import, options=OPTIONS))
