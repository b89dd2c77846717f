"""Where a fact is on the map: its own coordinates if it has them, else the bundled gazetteer's.

Facts are read as plain JSON (their unstructured form) and defensively: a projector this module
has never heard of may or may not carry `latitude`/`longitude` or a place name, and a fact
without either is simply not drawn (the page lists unlocated places beside the map).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from timeline import gazetteer

# Projectors whose facts are places: settlements by name, incidents by their own coordinates
# (ACLED rows carry them) or by location name.
MAPPED_PROJECTORS = ("settlements", "incidents")
NAME_FIELDS = ("settlement", "location", "place", "name")


@attrs.frozen
class Located:
    latitude: float
    longitude: float
    source: str  # "event" (the fact's own coordinates) or the gazetteer row's source


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def own_coordinates(data: Any, depth: int = 0) -> tuple[float, float] | None:
    """The first latitude/longitude pair in a fact's JSON (searched a few levels deep), if valid."""
    if depth > 3:
        return None
    if isinstance(data, Mapping):
        latitude, longitude = _number(data.get("latitude")), _number(data.get("longitude"))
        if latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return latitude, longitude
        children = list(data.values())
    elif isinstance(data, (list, tuple)):
        children = list(data)
    else:
        return None
    for child in children:
        if isinstance(child, (Mapping, list, tuple)):
            found = own_coordinates(child, depth + 1)
            if found is not None:
                return found
    return None


def place_name(data: Any, key: tuple[str, ...]) -> str | None:
    """The place a fact is about: a name field of its JSON, else the last part of its key."""
    if isinstance(data, Mapping):
        for field in NAME_FIELDS:
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                return value
    return key[-1] if key else None


def locate(projector: str, key: tuple[str, ...], data: Any) -> tuple[str | None, Located | None]:
    """(place name, where it is) for a fact of a mapped projector; (None, None) for any other."""
    if projector not in MAPPED_PROJECTORS:
        return None, None
    name = place_name(data, key)
    own = own_coordinates(data)
    if own is not None:
        return name, Located(own[0], own[1], "event")
    place = gazetteer.bundled().find(name) if name else None
    if place is not None and place.latitude is not None and place.longitude is not None:
        return name, Located(place.latitude, place.longitude, place.source)
    return name, None


def reference_places() -> list[list[Any]]:
    """The gazetteer's located places, drawn faintly on every map so the reader has bearings."""
    return [
        [place.name, place.kind, place.region, place.latitude, place.longitude]
        for place in gazetteer.bundled()
        if place.latitude is not None and place.longitude is not None
    ]
