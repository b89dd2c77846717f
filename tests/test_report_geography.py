"""The map's base geography: the bundled extract of Natural Earth's borders, and what a report embeds of it."""

from __future__ import annotations

import json
from importlib import resources
from itertools import pairwise

import geojson
import shapely
from hypothesis import given
from hypothesis import strategies as st
from report_support import load_data

from timeline.api import Timeline
from timeline.report import basemap, build_data, report_html

SUDZHA, BELGOROD, SUMY, KURSK = (35.27, 51.19), (36.59, 50.6), (34.80, 50.91), (36.19, 51.73)  # lon, lat


def extract_lines(kind: str | None = None) -> list[dict]:
    return [
        feature
        for feature in basemap.extract()["features"]
        if feature["geometry"]["type"] == "LineString" and (kind is None or feature["properties"]["kind"] == kind)
    ]


def unit_around(point: tuple[float, float]) -> set[str]:
    """The units on every side of the face the extract's lines close around a point."""
    lines = extract_lines()
    faces = shapely.get_parts(shapely.polygonize([shapely.LineString(f["geometry"]["coordinates"]) for f in lines]))
    (face,) = [face for face in faces if face.contains(shapely.Point(point))]
    sides = [
        set(f["properties"]["sides"])
        for f in lines
        if face.boundary.covers(shapely.LineString(f["geometry"]["coordinates"]))
    ]
    assert sides
    return set.intersection(*sides)


def test_the_extract_is_geojson_with_its_source_recorded_beside_it():
    folder = resources.files("timeline.report") / "geography"
    text = (folder / "borders.geojson").read_text(encoding="utf-8")
    assert geojson.loads(text).is_valid
    source = json.loads((folder / "borders.source.json").read_text(encoding="utf-8"))
    assert source["dataset"].startswith("Natural Earth") and "Admin 1" in source["dataset"]
    assert source["version"].startswith("5.1")
    assert "public domain" in source["licence"]
    assert source["credit"] == "Borders: Natural Earth (public domain)"
    assert source["bytes"] == len(text.encode("utf-8")) < 400_000
    kinds = {f["properties"]["kind"] for f in basemap.extract()["features"]}
    assert kinds == {"country", "disputed", "region", "coast", "country label", "region label"}


def test_the_extract_has_the_russia_ukraine_border_by_sudzha():
    border = [f for f in extract_lines("country") if f["properties"]["countries"] == ["Russia", "Ukraine"]]
    near_sudzha = shapely.box(SUDZHA[0] - 0.4, SUDZHA[1] - 0.3, SUDZHA[0] + 0.1, SUDZHA[1] + 0.3)
    assert any(shapely.LineString(f["geometry"]["coordinates"]).intersects(near_sudzha) for f in border)
    # Sudzha is in Russia, some 10 km from the line; Sumy is in Ukraine.
    assert all(not shapely.LineString(f["geometry"]["coordinates"]).contains(shapely.Point(SUDZHA)) for f in border)
    kursk_sumy = [f for f in border if set(f["properties"]["sides"]) == {"RU-KRS", "UA-59"}]
    assert kursk_sumy


def test_the_extract_closes_kursk_and_belgorod_oblasts_around_their_places():
    assert unit_around(SUDZHA) == {"RU-KRS"}
    assert unit_around(KURSK) == {"RU-KRS"}
    assert unit_around(BELGOROD) == {"RU-BEL"}
    assert unit_around(SUMY) == {"UA-59"}
    names = {
        f["properties"]["iso_3166_2"]: f["properties"]["label"]
        for f in basemap.extract()["features"]
        if f["properties"]["kind"] == "region label"
    }
    assert names["RU-KRS"] == "Kursk Oblast" and names["RU-BEL"] == "Belgorod Oblast"


def test_crimea_is_drawn_as_natural_earth_draws_it_with_its_line_marked_disputed():
    (disputed,) = extract_lines("disputed")
    assert set(disputed["properties"]["sides"]) == {"UA-43", "UA-65"}  # Crimea and Kherson Oblast


def embedded_points(geography: dict) -> list[tuple[float, float]]:
    points = [(line[2][n], line[2][n + 1]) for line in geography["lines"] for n in range(0, len(line[2]), 2)]
    return points + [(label[2], label[3]) for label in geography["labels"]]


def test_the_page_embeds_only_the_borders_within_the_extent_of_its_places():
    data = load_data(report_html(Timeline.bundled()))
    geography = data["geography"]
    places = [(place[4], place[3]) for place in data["reference_places"]]
    places += [(row[5][1], row[5][0]) for row in data["facts"] if row[5]]
    west, south, east, north = basemap.extent_of(places)  # type: ignore[misc]
    margin = basemap.FRAME_PAD + basemap.MARGIN
    assert geography["extent"] == [west - margin, south - margin, east + margin, north + margin]
    for lon, lat in embedded_points(geography):
        assert west - margin <= lon <= east + margin and south - margin <= lat <= north + margin
    countries = {line[1] for line in geography["lines"] if line[0] == "country"}
    assert countries == {"Russia | Ukraine"}  # not Belarus's, nor any other, far from Kursk
    assert {line[0] for line in geography["lines"]} >= {"country", "region"}
    assert {label[1] for label in geography["labels"]} >= {"Russia", "Ukraine", "Kursk Oblast", "Belgorod Oblast"}
    assert geography["credit"] == "Borders: Natural Earth (public domain)"
    extract_points = sum(len(f["geometry"]["coordinates"]) for f in extract_lines())
    assert len(embedded_points(geography)) < extract_points / 20


def test_a_log_without_places_embeds_no_geography():
    assert basemap.for_places([]) is None
    far_away = basemap.for_places([(-3.7, 40.4)])  # Madrid: outside the extract's box
    assert far_away is not None and far_away["lines"] == [] and far_away["labels"] == []
    assert build_data(Timeline.bundled())["geography"] is not None


# Coordinates to a ten-millionth of a degree (~1 cm), finer than any border file: the test's
# measure of what is inside is shapely's overlay, which snaps a segment lying within ~1e-196 of
# the box's edge onto it (it called all of (0, 2e-311)-(1, -1e-196) inside the unit box, of which
# 2e-115 is), while the clipping is exact there.
coordinate = st.floats(-10, 10, allow_nan=False).map(lambda value: round(value, 7))


@given(st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=12), st.tuples(coordinate, coordinate))
def test_a_clipped_line_stays_in_the_box_and_keeps_every_point_inside_it(points, corner):
    box = (min(corner[0], 0.0), min(corner[1], 0.0), max(corner[0], 0.0) + 1, max(corner[1], 0.0) + 1)
    pieces = basemap.clip_line(points, box)
    kept = [point for piece in pieces for point in piece]
    tolerance = 1e-9
    for lon, lat in kept:
        assert box[0] - tolerance <= lon <= box[2] + tolerance and box[1] - tolerance <= lat <= box[3] + tolerance
    inside = shapely.box(*box)
    # Every point inside on a segment that draws something; a piece of no length is dropped.
    drawn = {point for a, b in pairwise(points) if a != b for point in (a, b)}
    for point in drawn:
        if box[0] < point[0] < box[2] and box[1] < point[1] < box[3]:
            assert point in kept
    # What is kept is exactly the line's part inside the box, segment by segment.
    expected = sum(shapely.LineString([a, b]).intersection(inside).length for a, b in pairwise(points) if a != b)
    assert abs(sum(shapely.LineString(piece).length for piece in pieces) - expected) < 1e-6
