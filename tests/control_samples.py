"""Maps of controlled territory as GeoJSON files, for the tests of `import --format geojson`."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

CLAIMANT, CONTROLLER, SOURCE = "DeepStateMap", "Russia", "deepstatemap.live"


def rectangle(west: float, south: float, east: float, north: float) -> list[list[list[float]]]:
    """Polygon coordinates of a longitude/latitude rectangle (exterior counter-clockwise)."""
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(coordinates: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def front(week: int, parts: int = 6, points: int = 2_900) -> dict[str, Any]:
    """A map the size of DeepStateMap's daily one: a MultiPolygon of `parts` star-shaped parts
    (each ring's angle only grows, so no ring crosses itself) with `points` positions in all,
    near eastern Ukraine; `week` moves every part's edge a little."""
    rng = random.Random(week)
    per_part = points // parts
    polygons = []
    for part in range(parts):
        centre_lon, centre_lat = 30.0 + 2.0 * part, 47.5 + 0.3 * (part % 2)
        ring = []
        for step in range(per_part - 1):
            angle = 2 * math.pi * step / (per_part - 1)
            radius = 0.35 + 0.1 * math.sin(5 * angle + part) + 0.002 * week + 0.005 * rng.random()
            ring.append(
                [
                    round(centre_lon + radius * math.cos(angle) / math.cos(math.radians(centre_lat)), 6),
                    round(centre_lat + radius * math.sin(angle), 6),
                ]
            )
        ring.append(ring[0])
        polygons.append([ring])
    return feature({"type": "MultiPolygon", "coordinates": polygons}, week=week)
