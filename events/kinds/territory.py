"""Claims about how much territory one side holds or has gained."""

from __future__ import annotations

import enum
import hashlib
import json
import math
import re
from typing import Any

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import one_of, optional_text, text

_optional_quantity = attrs.validators.optional(attrs.validators.instance_of(Quantity))


class AreaBasis(enum.Enum):
    TOTAL = "total"  # everything held so far
    GAIN = "gain"  # added since the previous report


@kind("territory.claimed", version=2)
@attrs.frozen
class TerritoryClaimed:
    claimant: str = text()
    basis: AreaBasis = one_of(AreaBasis)
    region: str | None = optional_text()
    area_km2: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    settlements_count: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    advance_km: Quantity | None = attrs.field(default=None, validator=_optional_quantity)

    def __attrs_post_init__(self) -> None:
        # A claim with neither figure says nothing about territory.
        if self.area_km2 is None and self.settlements_count is None:
            raise ValueError("a territory claim needs area_km2 or settlements_count")

    def describe(self) -> str:
        figures = [
            f"{q.describe(unit)}" for q, unit in ((self.area_km2, "km²"), (self.settlements_count, "settlements")) if q
        ]
        where = f" in {self.region}" if self.region else ""
        advance = f", advance {self.advance_km.describe('km')}" if self.advance_km else ""
        return f"{self.claimant}: {' and '.join(figures)} ({self.basis.value}){where}{advance}"


# GeoJSON MultiPolygon coordinates: polygons of rings (the exterior first, then holes) of
# [longitude, latitude] positions in degrees, WGS84, each ring closed (its first position repeated last).
Position = tuple[float, float]
Ring = tuple[Position, ...]
MultiPolygonCoordinates = tuple[tuple[Ring, ...], ...]

# Decimal places of a degree kept: 1e-6° is about 0.1 m, finer than any published front line.
COORDINATE_DECIMALS = 6
# Positions one event may carry: a daily map of a front is a few thousand; this is a hundred times more.
MAX_POSITIONS = 500_000
_HASH = re.compile(r"[0-9a-f]{64}")


def coordinates_hash(coordinates: MultiPolygonCoordinates) -> str:
    """SHA-256 of the coordinates as compact JSON: two maps with the same polygon have the same hash."""
    return hashlib.sha256(json.dumps(coordinates, separators=(",", ":")).encode("ascii")).hexdigest()


def position_problem(position: object) -> str | None:
    """Why `position` is not a [longitude, latitude] pair in WGS84 degrees, or None."""
    if not isinstance(position, (list, tuple)) or len(position) != 2:
        return f"a position must be [longitude, latitude], not {position!r}"
    for number in position:
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            return f"a coordinate must be a finite number, not {number!r}"
    longitude, latitude = position
    if not -90 <= latitude <= 90:
        swapped = " (the position looks like [latitude, longitude]: GeoJSON puts longitude first)"
        return f"latitude {latitude} is outside -90..90{swapped if -90 <= longitude <= 90 else ''}"
    if not -180 <= longitude <= 180:
        return f"longitude {longitude} is outside -180..180"
    return None


def ring_problem(ring: object) -> str | None:
    """Why `ring` is not a closed ring of at least four positions, or None."""
    if not isinstance(ring, (list, tuple)):
        return f"a ring must be a list of positions, not {type(ring).__name__}"
    for position in ring:
        problem = position_problem(position)
        if problem is not None:
            return problem
    if len(ring) < 4:
        return f"a ring needs at least 4 positions (the first repeated last), this one has {len(ring)}"
    if tuple(ring[0]) != tuple(ring[-1]):
        return f"the ring is not closed: it starts at {list(ring[0])} and ends at {list(ring[-1])}"
    return None


def _check_coordinates(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not value:
        raise ValueError(f"{attribute.name} must hold at least one polygon")
    positions = 0
    for p, polygon in enumerate(value):
        if not polygon:
            raise ValueError(f"{attribute.name}: polygon {p} has no ring")
        for r, ring in enumerate(polygon):
            problem = ring_problem(ring)
            if problem is None and any(round(number, COORDINATE_DECIMALS) != number for xy in ring for number in xy):
                problem = f"coordinates are kept to {COORDINATE_DECIMALS} decimal places"
            if problem is not None:
                raise ValueError(f"{attribute.name}: polygon {p} ring {r}: {problem}")
            positions += len(ring)
    if positions > MAX_POSITIONS:
        raise ValueError(f"{attribute.name} has {positions:,} positions, more than {MAX_POSITIONS:,}")
    if coordinates_hash(value) != getattr(instance, "geometry_hash", None):
        raise ValueError(f"{attribute.name} do not match geometry_hash (the SHA-256 of their compact JSON)")


def _check_area(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a finite, non-negative number of km², not {value!r}")
    if value > EARTH_KM2:
        raise ValueError(f"{attribute.name} is larger than the Earth: {value!r}")


def _check_hash(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise ValueError(f"{attribute.name} must be a SHA-256 as 64 lower-case hex digits, not {value!r}")


EARTH_KM2 = 510_065_622.0  # the WGS84 ellipsoid's surface


def _required(validator: Any) -> Any:
    """A required field through a helper, as mypy's attrs plugin needs after text() fields."""
    return attrs.field(validator=validator)


@kind("territory.mapped")
@attrs.frozen
class TerritoryMapped:
    """A source's map of the territory one side holds: a polygon, its area measured, not stated.

    The polygon is stored once: a later map with the same polygon (same `geometry_hash`) names
    the event that carries its coordinates in `same_as` instead of repeating them.
    """

    claimant: str = text()  # who publishes the map (DeepStateMap)
    controller: str = text()  # who holds the territory drawn (Russia)
    # The polygon's geodesic area on the WGS84 ellipsoid, in km², as measured when it was imported.
    measured_area_km2: float = _required(_check_area)
    geometry_hash: str = _required(_check_hash)
    coordinates: MultiPolygonCoordinates | None = attrs.field(default=None, validator=_check_coordinates)
    same_as: str | None = optional_text()  # the event that carries these coordinates
    region: str | None = optional_text()

    def __attrs_post_init__(self) -> None:
        if (self.coordinates is None) == (self.same_as is None):
            raise ValueError("a mapped territory needs its coordinates or same_as (the event that has them), not both")

    @property
    def positions(self) -> int:
        return sum(len(ring) for polygon in self.coordinates or () for ring in polygon)

    def describe(self) -> str:
        where = f" in {self.region}" if self.region else ""
        if self.coordinates is not None:
            parts = len(self.coordinates)
            shape = f"{parts} part{'s' if parts != 1 else ''}, {self.positions:,} points"
        else:
            shape = f"the polygon of event {self.same_as}"
        return (
            f"{self.claimant} (map): {self.measured_area_km2:,.0f} km² held by {self.controller}{where} "
            f"(measured; {shape})"
        )
