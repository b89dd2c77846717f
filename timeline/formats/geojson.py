"""One snapshot as a GeoJSON FeatureCollection (RFC 7946), for QGIS, kepler.gl and web maps.

Features:
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
from timeline.projectors.settlements import Settlement
from timeline.snapshot import Snapshot


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


def write(snapshot: Snapshot, incidents: Iterable[RecordedEvent], gazetteer: Gazetteer, stream: IO[str]) -> int:
    """Write the FeatureCollection, a feature at a time (an ACLED log has hundreds of thousands of
    incidents); returns the number of features (the unlocated are in the collection's properties)."""
    stream.write('{"type": "FeatureCollection", "features": [')
    count = 0

    def emit(feature: dict[str, Any]) -> None:
        nonlocal count
        stream.write(("\n" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
        count += 1

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
    return write(snapshot, incidents, gazetteer.bundled(), stream)


register_exporter(Exporter("geojson", "features", _export))
