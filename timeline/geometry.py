"""Polygons of territory: read from GeoJSON, checked, merged, measured on the ellipsoid, compared.

Areas are geodesic: pyproj's `Geod(ellps="WGS84").geometry_area_perimeter`, the area on the WGS84
ellipsoid of the polygon whose edges are geodesics (Karney's algorithm), never a planar area of
degrees. Gains and losses between two maps are shapely differences, each measured the same way.

shapely and pyproj are imported inside the functions that need them: a command that touches no
polygon does not pay their import time (tests/test_startup.py counts them).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from events.kinds.territory import (
    COORDINATE_DECIMALS,
    MultiPolygonCoordinates,
    TerritoryMapped,
    coordinates_hash,
    position_problem,
    ring_problem,
)

if TYPE_CHECKING:
    from pyproj import Geod
    from shapely.geometry.base import BaseGeometry

    from timeline.store import EventStore

__all__ = [
    "GeometryProblem",
    "area_km2",
    "coordinates_hash",
    "gained_and_lost",
    "merged",
    "polygon_of",
    "polygons_of",
    "shape",
    "simplified",
]

GRID = 10.0**-COORDINATE_DECIMALS  # the precision coordinates are kept to, in degrees
POLYGON_TYPES = ("Polygon", "MultiPolygon")


class GeometryProblem(ValueError):
    """Why a GeoJSON geometry is not a territory polygon (the message says; the caller says where)."""


RawPolygon = list[list[tuple[float, float]]]


def _ring(ring: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise GeometryProblem(f"{where}: a ring must be a list of positions")
    positions = []
    for position in ring:
        # RFC 7946 allows an altitude as a third number; a map of territory has no use for it.
        if isinstance(position, list) and len(position) == 3:
            position = position[:2]
        problem = position_problem(position)
        if problem is not None:
            raise GeometryProblem(f"{where}: {problem}")
        positions.append((float(position[0]), float(position[1])))
    problem = ring_problem(positions)
    if problem is not None:
        raise GeometryProblem(f"{where}: {problem}")
    return positions


def _polygon(rings: Any, where: str) -> RawPolygon:
    if not isinstance(rings, list) or not rings:
        raise GeometryProblem(f"{where}: a polygon must be a non-empty list of rings")
    return [_ring(ring, f"{where} ring {index}") for index, ring in enumerate(rings)]


def polygons_of(geometry: Any) -> list[RawPolygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, each ring checked (closed, at least four
    positions, WGS84 degrees) and each polygon valid (no self-intersection). Raises GeometryProblem."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise GeometryProblem(f"a {kind!s} is not a Polygon or MultiPolygon")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [_polygon(coordinates, "polygon")]
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryProblem("a MultiPolygon needs a non-empty list of polygons")
        polygons = [_polygon(polygon, f"polygon {index}") for index, polygon in enumerate(coordinates)]
    for index, polygon in enumerate(polygons):
        _check_valid(polygon, f"polygon {index}" if geometry["type"] == "MultiPolygon" else "polygon")
    return polygons


def _check_valid(polygon: RawPolygon, where: str) -> None:
    import shapely
    from shapely.geometry import Polygon

    shaped = Polygon(polygon[0], polygon[1:])
    if shaped.is_valid:
        return
    reason = shapely.is_valid_reason(shaped)  # e.g. "Self-intersection[37.5 51.2]"
    name, _, at = reason.partition("[")
    spot = f" at {', '.join(at.rstrip(']').split())}" if at else ""
    if name.strip().lower() in ("self-intersection", "ring self-intersection"):
        raise GeometryProblem(f"{where}: the polygon intersects itself{spot} (longitude, latitude)")
    raise GeometryProblem(f"{where}: not a valid polygon: {name.strip().lower()}{spot}")


def merged(polygons: Iterable[RawPolygon]) -> MultiPolygonCoordinates:
    """The union of `polygons` as MultiPolygon coordinates: on the 1e-6° grid, each exterior ring
    counter-clockwise and each hole clockwise (RFC 7946), in shapely's normal order, so the same
    territory always gives the same coordinates (and the same hash)."""
    import shapely
    from shapely.geometry import Polygon
    from shapely.geometry.polygon import orient

    union = shapely.unary_union([Polygon(polygon[0], polygon[1:]) for polygon in polygons])
    union = shapely.normalize(shapely.set_precision(union, GRID))
    parts = [part for part in getattr(union, "geoms", [union]) if part.geom_type == "Polygon" and not part.is_empty]
    if not parts:
        raise GeometryProblem("the polygons enclose no area")
    out = []
    for part in parts:
        oriented = orient(part, sign=1.0)
        rings = [oriented.exterior, *oriented.interiors]
        out.append(tuple(tuple(_rounded(xy) for xy in ring.coords) for ring in rings))
    return tuple(out)


def _rounded(xy: tuple[float, ...]) -> tuple[float, float]:
    return (round(float(xy[0]), COORDINATE_DECIMALS), round(float(xy[1]), COORDINATE_DECIMALS))


def shape(coordinates: MultiPolygonCoordinates) -> BaseGeometry:
    """The shapely MultiPolygon of stored coordinates."""
    from shapely.geometry import MultiPolygon, Polygon

    return MultiPolygon([Polygon(polygon[0], polygon[1:]) for polygon in coordinates])


@functools.cache
def _geod() -> Geod:
    from pyproj import Geod

    return Geod(ellps="WGS84")


def geodesic_km2(geometry: BaseGeometry) -> float:
    """The area of a shapely geometry on the WGS84 ellipsoid, in km² (its polygonal parts only)."""
    from shapely.geometry.polygon import orient

    total = 0.0
    for part in getattr(geometry, "geoms", [geometry]):
        if part.geom_type == "Polygon" and not part.is_empty:
            area, _ = _geod().geometry_area_perimeter(orient(part, sign=1.0))
            total += abs(area)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            total += geodesic_km2(part)
    return total / 1e6


def area_km2(coordinates: MultiPolygonCoordinates) -> float:
    """The geodesic area of stored coordinates, in km², to 0.01 km² (100 m × 100 m)."""
    return round(geodesic_km2(shape(coordinates)), 2)


def gained_and_lost(before: MultiPolygonCoordinates, after: MultiPolygonCoordinates) -> tuple[float, float]:
    """(km² in `after` and not in `before`, km² in `before` and not in `after`), each measured geodesically."""
    import shapely

    old, new = shape(before), shape(after)
    gained = shapely.difference(new, old, grid_size=GRID)
    lost = shapely.difference(old, new, grid_size=GRID)
    return round(geodesic_km2(gained), 2), round(geodesic_km2(lost), 2)


def simplified(coordinates: MultiPolygonCoordinates, tolerance: float) -> list[list[list[list[float]]]]:
    """Coordinates with detail finer than `tolerance` degrees dropped (topology kept), for drawing."""
    from shapely.geometry import mapping

    drawn = shape(coordinates).simplify(tolerance, preserve_topology=True)
    found = mapping(drawn)
    polygons = found["coordinates"] if found["type"] == "MultiPolygon" else [found["coordinates"]]
    return [[[[round(x, 4), round(y, 4)] for x, y, *_ in ring] for ring in polygon] for polygon in polygons]


def polygon_of(store: EventStore, event_id: str) -> MultiPolygonCoordinates | None:
    """The coordinates of the polygon event `event_id` carries (or names with `same_as`), read from the
    log: a retracted map's polygon is still its polygon. None when the log holds no such polygon."""
    for _ in range(2):  # a map names the event that carries its coordinates, never one that names another
        recorded = store.get(event_id)
        payload = recorded.payload if recorded is not None else None
        if not isinstance(payload, TerritoryMapped):
            return None
        if payload.coordinates is not None:
            return payload.coordinates
        if payload.same_as is None:
            return None
        event_id = payload.same_as
    return None
