"""One snapshot as a GeoJSON FeatureCollection (RFC 7946), for QGIS, kepler.gl and web maps.

Features:
- each claimant's latest map of the territory each controller holds (`territory.mapped`), a
  MultiPolygon with its claimant, controller, day, source, event id and area measured on the
  ellipsoid (the coordinates read from the event that carries them);
- each incident the snapshot sees, a Point at the coordinates its event gives;
- each settlement of the snapshot, a Point with its status, whether it is contested, and every
  claim with its claimant, source, day and event id.

A settlement's coordinates come from an incident at that place (ACLED rows carry them), else
from the gazetteer (the bundled Kursk places, each row citing its source). A settlement or an
incident with no known coordinates is listed in the collection's `unlocated` property, never
dropped. Coordinates are [longitude, latitude], WGS84, as RFC 7946 requires.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import IO, Any

from events.codec import state_converter
from events.envelope import RecordedEvent
from events.kinds import IncidentReported
from timeline import gazetteer
from timeline.formats import Exporter, Readable, register_exporter
from timeline.gazetteer import Gazetteer
from timeline.geometry import polygon_of
from timeline.projectors.settlements import Settlement
from timeline.projectors.territory import MappedArea
from timeline.snapshot import Snapshot
from timeline.store import EventStore


def _point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def _settlement_features(
    snapshot: Snapshot, located_incidents: dict[str, tuple[float, float, str]], gazetteer: Gazetteer
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    features, unlocated = [], []
    for key, settlement in sorted(snapshot.projector_facts()["settlements"].items()):
        assert isinstance(settlement, Settlement)
        properties = {"feature": "settlement", **state_converter.unstructure(settlement)}
        place = gazetteer.find(settlement.settlement)
        if settlement.settlement.casefold() in located_incidents:
            longitude, latitude, event_id = located_incidents[settlement.settlement.casefold()]
            properties["coordinates_from"] = f"incident {event_id}"
        elif place is not None and place.located:
            assert place.longitude is not None and place.latitude is not None
            longitude, latitude = place.longitude, place.latitude
            properties["coordinates_from"] = f"gazetteer: {place.source}"
        else:
            reason = f"gazetteer: {place.source}" if place is not None else "not in the gazetteer"
            unlocated.append({"feature": "settlement", "name": settlement.settlement, "reason": reason, **properties})
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"settlement:{key[0]}",
                "geometry": _point(longitude, latitude),
                "properties": properties,
            }
        )
    return features, unlocated


def control_features(snapshot: Snapshot, store: EventStore) -> list[dict[str, Any]]:
    """A MultiPolygon Feature per mapped area of the snapshot (one per claimant and controller)."""
    features = []
    for key, fact in sorted(snapshot.projector_facts()["territory"].items()):
        if not isinstance(fact, MappedArea):
            continue
        coordinates = polygon_of(store, fact.polygon_event)
        if coordinates is None:
            continue  # a hand-written event naming a polygon the log does not hold: nothing to draw
        properties = {
            "feature": "control",
            "claimant": fact.claimant,
            "controller": fact.controller,
            "day": fact.claim.on.isoformat(),
            "source": fact.claim.source,
            "event_id": fact.claim.event_id,
            "polygon_event_id": fact.polygon_event,
            "unchanged_since": fact.since.isoformat(),
            "measured_area_km2": fact.measured_area_km2,
            "area_measured": "geodesic, WGS84 ellipsoid",
            "geometry_hash": fact.geometry_hash,
            "region": fact.region,
            "unverified": fact.claim.unverified,
        }
        features.append(
            {
                "type": "Feature",
                "id": "control:" + ".".join(key[1:]),
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
                "properties": properties,
            }
        )
    return features


def _incident_properties(recorded: RecordedEvent, payload: IncidentReported) -> dict[str, Any]:
    event = recorded.event
    return {
        "feature": "incident",
        "event_id": event.event_id,
        "occurred": event.occurred,
        "event_date": event.occurred_on.isoformat(),
        "reported_on": event.reported_on.isoformat(),
        "source": event.source,
        "unverified": event.unverified,
        **state_converter.unstructure(payload),
    }


def write(
    snapshot: Snapshot,
    incidents: Iterable[RecordedEvent],
    gazetteer: Gazetteer,
    stream: IO[str],
    control: Iterable[dict[str, Any]] = (),
) -> int:
    """Write the FeatureCollection, a feature at a time (an ACLED log has hundreds of thousands of
    incidents), the mapped areas (`control`) first; returns the number of features (the
    unlocated are in the collection's properties)."""
    stream.write('{"type": "FeatureCollection", "features": [')
    count = 0

    def emit(feature: dict[str, Any]) -> None:
        nonlocal count
        stream.write(("\n" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
        count += 1

    for feature in control:
        emit(feature)
    unlocated: list[dict[str, Any]] = []
    # The latest coordinates an incident gave each place name, for the settlements of that name.
    located: dict[str, tuple[float, float, str]] = {}
    for recorded in incidents:
        payload = recorded.payload
        if not isinstance(payload, IncidentReported):
            continue
        properties = _incident_properties(recorded, payload)
        if payload.latitude is not None and payload.longitude is not None:
            longitude, latitude = payload.longitude, payload.latitude
            located[payload.location.casefold()] = (longitude, latitude, recorded.event_id)
        elif (place := gazetteer.find(payload.location)) is not None and place.located:
            assert place.longitude is not None and place.latitude is not None
            longitude, latitude = place.longitude, place.latitude
            properties["coordinates_from"] = f"gazetteer: {place.source}"
        else:
            unlocated.append(
                {"name": payload.location, "reason": "no coordinates in the event or gazetteer", **properties}
            )
            continue
        emit(
            {
                "type": "Feature",
                "id": f"incident:{recorded.event_id}",
                "geometry": _point(longitude, latitude),
                "properties": properties,
            }
        )
    settlements, unlocated_settlements = _settlement_features(snapshot, located, gazetteer)
    for feature in settlements:
        emit(feature)
    properties = {
        "as_of": snapshot.as_of.isoformat(),
        "known_on": snapshot.known_on.isoformat() if snapshot.known_on else None,
        "events_applied": snapshot.events_applied,
        "unlocated": unlocated_settlements + unlocated,
    }
    stream.write('\n], "properties": ' + json.dumps(properties, ensure_ascii=False) + "}\n")
    return count


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    snapshot = source.state(as_of, known_on)
    incidents = source.visible_events(snapshot.as_of, known_on, kind="incident.reported")
    return write(snapshot, incidents, gazetteer.bundled(), stream, control_features(snapshot, source.store))


register_exporter(Exporter("geojson", "features", _export))
