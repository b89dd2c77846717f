"""The map's base geography: country and first-level borders from the bundled extract, cut to the log's extent.

The extract (geography/borders.geojson, made by tests/generate_geography.py from Natural Earth,
credited in geography/borders.source.json) holds every border around Ukraine, Belarus and western
Russia as lines: each edge between two units once, with its kind (country, region, disputed,
coast). A report embeds only what falls in its map: the lines cut to the extent of the places it
draws plus a margin, and one name per country and unit at a point inside the map.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

# The page pads its map by this much around the places it draws (report.js, mapFrame); lines are
# embedded this much further out, so they run past the frame's edge, where the page cuts them.
FRAME_PAD = 0.25
MARGIN = 0.25
LABEL_INSET = 0.08  # a name sits this far inside the frame, so its text stays on the map
LABEL_APART = 0.2  # degrees of latitude (twice as many of longitude) between two names
LINE_KINDS = ("country", "disputed", "region", "coast")

Point = tuple[float, float]  # (longitude, latitude)
Box = tuple[float, float, float, float]  # west, south, east, north


def _geography(name: str) -> Any:
    return json.loads((resources.files("timeline.report") / "geography" / name).read_text(encoding="utf-8"))


@functools.cache
def extract() -> dict[str, Any]:
    return dict(_geography("borders.geojson"))


@functools.cache
def source() -> dict[str, Any]:
    return dict(_geography("borders.source.json"))


def extent_of(places: Iterable[Point]) -> Box | None:
    """The box around the places (longitude, latitude), or None when there are none."""
    found = [(lon, lat) for lon, lat in places if math.isfinite(lon) and math.isfinite(lat)]
    if not found:
        return None
    lons, lats = [lon for lon, _ in found], [lat for _, lat in found]
    return min(lons), min(lats), max(lons), max(lats)


def grown(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def _clip_segment(a: Point, b: Point, box: Box) -> tuple[Point, Point] | None:
    """The part of segment a-b inside the box (Liang-Barsky), or None."""
    west, south, east, north = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    start, end = 0.0, 1.0
    for p, q in ((-dx, a[0] - west), (dx, east - a[0]), (-dy, a[1] - south), (dy, north - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            if t > end:
                return None
            start = max(start, t)
        else:
            if t < start:
                return None
            end = min(end, t)
    # An end inside the box is kept as it is (a + 1 * (b - a) need not give b back in floats).
    first = a if start == 0 else (a[0] + start * dx, a[1] + start * dy)
    last = b if end == 1 else (a[0] + end * dx, a[1] + end * dy)
    return first, last


def clip_line(points: Sequence[Point], box: Box) -> list[list[Point]]:
    """The pieces of a polyline inside the box, each cut where it leaves the box."""
    pieces: list[list[Point]] = []
    current: list[Point] = []
    for a, b in itertools.pairwise(points):
        inside = _clip_segment(a, b, box)
        if inside is None:
            if current:
                pieces.append(current)
            current = []
            continue
        start, end = inside
        if current and current[-1] == start:
            current.append(end)
        else:
            if current:
                pieces.append(current)
            current = [start, end]
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece[0] != piece[-1] or len(piece) > 2]


def _flat(piece: Sequence[Point], digits: int) -> list[float]:
    return [round(value, digits) for point in piece for value in point]


def _label_at(
    coordinates: Sequence[Sequence[float]], shares: Sequence[float], frame: Box, taken: Sequence[Point]
) -> Point | None:
    """The candidate inside the frame that stands for most of the unit, away from names already
    placed, and nearest the middle of the candidates inside."""
    inner = grown(frame, -LABEL_INSET)
    inside = [
        ((point[0], point[1]), share)
        for point, share in zip(coordinates, shares, strict=True)
        if inner[0] <= point[0] <= inner[2] and inner[1] <= point[1] <= inner[3]
    ]
    if not inside:
        return None
    middle = (sum(p[0] for p, _ in inside) / len(inside), sum(p[1] for p, _ in inside) / len(inside))
    best = max(share for _, share in inside)

    def crowded(point: Point) -> bool:
        return any(
            abs(point[0] - other[0]) < LABEL_APART * 2 and abs(point[1] - other[1]) < LABEL_APART for other in taken
        )

    return min(
        (point for point, share in inside if share >= best - 0.25),
        key=lambda point: (crowded(point), (point[0] - middle[0]) ** 2 + (point[1] - middle[1]) ** 2),
    )


def for_places(places: Iterable[Point]) -> dict[str, Any] | None:
    """What the page draws behind the places: {credit, extent, lines: [[kind, countries, [lon, lat, ...]]],
    labels: [[kind, name, lon, lat]]}; None when there is no place to draw."""
    extent = extent_of(places)
    if extent is None:
        return None
    frame = grown(extent, FRAME_PAD)
    embedded = grown(frame, MARGIN)
    data = extract()
    digits = int(source().get("digits", 3))
    lines: list[list[Any]] = []
    labels: list[list[Any]] = []
    for feature in data["features"]:
        properties = feature["properties"]
        if properties["kind"] in LINE_KINDS:
            points = [(point[0], point[1]) for point in feature["geometry"]["coordinates"]]
            for piece in clip_line(points, embedded):
                lines.append([properties["kind"], " | ".join(properties["countries"]), _flat(piece, digits)])
    taken: list[Point] = []
    for kind in ("country label", "region label"):  # countries first: they have the most room
        for feature in data["features"]:
            properties = feature["properties"]
            if properties["kind"] != kind:
                continue
            where = _label_at(feature["geometry"]["coordinates"], properties["shares"], frame, taken)
            if where is not None:
                taken.append(where)
                labels.append([kind.split()[0], properties["label"], *where])
    # Lighter lines first, so a country border is drawn over the first-level ones it meets.
    lines.sort(key=lambda line: -LINE_KINDS.index(line[0]))
    return {
        "credit": source()["credit"],
        "dataset": f"{source()['dataset']}, {source()['version']}",
        "extent": [round(value, 6) for value in embedded],
        "lines": lines,
        "labels": labels,
    }
