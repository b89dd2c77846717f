"""Maps of controlled territory: `import --format geojson`, the measured area, gains and losses,
the polygon stored once, the export, and every bad geometry refused without a trace."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path

import pytest
import shapely
from control_samples import CLAIMANT, CONTROLLER, SOURCE, collection, feature, front, polygon, rectangle, write
from helpers import invoke, ok
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from events.kinds import TerritoryMapped
from timeline.api import Timeline
from timeline.formats.geojson_control import MAX_FILE_BYTES
from timeline.geometry import merged, polygons_of, shape

PATH = "territory.mapped.DeepStateMap.Russia"
GEOD = Geod(ellps="WGS84")


def import_map(db: Path | str, path: Path, on: str, *extra: str) -> str:
    if isinstance(db, Path) and not db.exists():
        ok("init", "--db", db)
    return ok(
        "import", path, "--db", db, "--format", "geojson", "--claimant", CLAIMANT, "--controller", CONTROLLER,
        "--source", SOURCE, "--on", on, *extra,
    )  # fmt: skip


def ellipsoidal_cell_km2(west: float, south: float, east: float, north: float) -> float:
    """The area between two meridians and two parallels on the WGS84 ellipsoid, in closed form
    (the authalic-latitude integral): an independent reference for the geodesic measure."""
    a, f = 6_378_137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)

    def q(latitude: float) -> float:
        s = math.sin(math.radians(latitude))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return a * a * (1 - e2) / 2 * math.radians(east - west) * (q(north) - q(south)) / 1e6


def mapped(timeline: Timeline, day: str) -> TerritoryMapped:
    (recorded,) = [r for r in timeline.events(kind="territory.mapped") if r.occurred_on.isoformat() == day]
    assert isinstance(recorded.payload, TerritoryMapped)
    return recorded.payload


# -- the measure -----------------------------------------------------------------------------


def test_a_one_degree_cell_is_measured_as_pyproj_measures_it_and_as_the_ellipsoid_says(tmp_path):
    db = tmp_path / "t.db"
    import_map(db, write(tmp_path / "cell.geojson", feature(polygon(rectangle(30, 50, 31, 51)))), "2024-09-01")
    with Timeline.open(db) as timeline:
        payload = mapped(timeline, "2024-09-01")
        fact = timeline.state().fact(PATH)
    same_geometry = shapely.geometry.Polygon([(30, 50), (31, 50), (31, 51), (30, 51)])
    by_pyproj = abs(GEOD.geometry_area_perimeter(same_geometry)[0]) / 1e6
    assert payload.measured_area_km2 == pytest.approx(by_pyproj, abs=0.01)
    # The cell's edges along parallels are not geodesics, but over 1° the two differ by far less
    # than 0.5% (measured: 0.002%).
    reference = ellipsoidal_cell_km2(30, 50, 31, 51)
    assert reference == pytest.approx(7892.2, abs=0.1)
    assert abs(payload.measured_area_km2 - reference) / reference < 0.005
    assert fact.measured_area_km2 == payload.measured_area_km2
    assert fact.describe() == ("DeepStateMap (map): 7,892 km² held by Russia (measured from the polygon of 2024-09-01)")


def test_the_features_of_a_collection_are_merged_into_one_polygon(tmp_path):
    db = tmp_path / "t.db"
    halves = collection(
        feature(polygon(rectangle(30, 50, 30.5, 51))),
        feature(polygon(rectangle(30.5, 50, 31, 51))),
        feature({"type": "Point", "coordinates": [30.2, 50.2]}, label="a town"),  # a label, not territory
    )
    import_map(db, write(tmp_path / "halves.geojson", halves), "2024-09-01")
    with Timeline.open(db) as timeline:
        payload = mapped(timeline, "2024-09-01")
    assert payload.coordinates is not None and len(payload.coordinates) == 1  # one part: the halves touch
    assert payload.measured_area_km2 == pytest.approx(ellipsoidal_cell_km2(30, 50, 31, 51), rel=0.005)


# -- gains and losses ------------------------------------------------------------------------


@pytest.fixture
def two_days(tmp_path) -> Path:
    """Day 1 holds [30, 31] x [50, 51]; day 2 has moved east by 0.2°: it gained a strip, lost one."""
    db = tmp_path / "t.db"
    import_map(db, write(tmp_path / "d1.geojson", feature(polygon(rectangle(30, 50, 31, 51)))), "2024-09-01")
    import_map(db, write(tmp_path / "d2.geojson", feature(polygon(rectangle(30.2, 50, 31.2, 51)))), "2024-09-02")
    return db


def strip_km2(west: float, east: float) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.box(west, 50, east, 51))[0]) / 1e6


def test_diff_between_two_mapped_days_gives_the_area_gained_and_lost(two_days):
    with Timeline.open(two_days) as timeline:
        (area,) = timeline.diff(dt.date(2024, 9, 1), dt.date(2024, 9, 2)).areas
    assert area.gained_km2 == pytest.approx(strip_km2(31, 31.2), abs=0.02)
    assert area.lost_km2 == pytest.approx(strip_km2(30, 30.2), abs=0.02)
    assert area.gained_km2 > 0 and area.lost_km2 > 0
    text = ok("diff", "2024-09-01", "2024-09-02", "--db", two_days)
    assert f"Russia gained {area.gained_km2:,.0f} km² and lost {area.lost_km2:,.0f} km²" in text
    assert "measured between the polygons of 2024-09-01 and 2024-09-02" in text
    data = json.loads(ok("diff", "2024-09-01", "2024-09-02", "--db", two_days, "--json"))
    (changed,) = data["area_changes"]
    assert changed["path"] == PATH and changed["gained_km2"] == area.gained_km2
    assert changed["net_km2"] == pytest.approx(area.gained_km2 - area.lost_km2, abs=0.01)


def test_learned_between_two_knowledge_days_gives_the_same_gain_and_loss(two_days):
    data = json.loads(ok("learned", "2024-09-01", "2024-09-02", "--as-of", "2024-09-02", "--db", two_days, "--json"))
    (changed,) = data["area_changes"]
    assert changed["gained_km2"] == pytest.approx(strip_km2(31, 31.2), abs=0.02)
    assert changed["lost_km2"] == pytest.approx(strip_km2(30, 30.2), abs=0.02)
    assert "gained" in ok("learned", "2024-09-01", "2024-09-02", "--as-of", "2024-09-02", "--db", two_days)


def test_a_diff_without_a_map_has_no_area_changes(tmp_path, dataset_path):
    db = tmp_path / "t.db"
    ok("init", "--db", db)
    ok("import", dataset_path, "--db", db)
    assert "area_changes" not in json.loads(ok("diff", "2024-08-10", "2024-08-16", "--db", db, "--json"))


# -- stored once ---------------------------------------------------------------------------


def test_a_polygon_repeated_on_later_days_is_stored_once(tmp_path):
    db = tmp_path / "t.db"
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(15)]  # the front moves every 7 days
    with Timeline.init(db) as timeline:
        for n, day in enumerate(days):
            text = json.dumps(front(n // 7, points=600)).encode()
            options = {"claimant": CLAIMANT, "controller": CONTROLLER, "source": SOURCE, "on": day}
            timeline.import_file(io.BytesIO(text), "geojson", name=f"day{n}.geojson", **options)
        rows = list(timeline.events(kind="territory.mapped"))
        carriers = [r for r in rows if r.payload.coordinates is not None]
        assert [r.occurred_on for r in carriers] == [days[0], days[7], days[14]]  # one per distinct polygon
        for recorded in rows:
            payload = recorded.payload
            carrier = next(c for c in carriers if c.payload.geometry_hash == payload.geometry_hash)
            assert payload.same_as == (None if recorded is carrier else carrier.event_id)
            assert timeline.polygon(recorded.event_id) == carrier.payload.coordinates
            assert payload.measured_area_km2 == carrier.payload.measured_area_km2
        # A day that refers to its polygon costs a few hundred bytes, not the polygon's.
        sizes = {len(r[0]) for r in timeline.store.row_values(_data_of(rows[1].event_id))}
        assert max(sizes) < 600
        fact = timeline.state(days[5]).fact(PATH)
        assert fact.polygon_event == carriers[0].event_id and fact.since == days[0]
        assert fact.describe().endswith("(measured from the polygon of 2024-01-06; unchanged since 2024-01-01)")
        # The stored state names the polygon's event; the coordinates stay in the log.
        assert "coordinates" not in json.dumps(timeline.state(days[5]).to_json()["territory"])


def _data_of(event_id: str):
    from timeline.store import RowQuery

    return RowQuery(columns=("data",), event_ids=(event_id,))


def test_importing_the_same_file_again_changes_nothing(tmp_path, fingerprint):
    db = tmp_path / "t.db"
    path = write(tmp_path / "d1.geojson", feature(polygon(rectangle(30, 50, 31, 51))))
    import_map(db, path, "2024-09-01")
    before = fingerprint(db)
    assert "1 already in the log, unchanged" in import_map(db, path, "2024-09-01")
    assert fingerprint(db) == before


def test_why_names_the_event_whose_polygon_was_measured(tmp_path):
    db = tmp_path / "t.db"
    path = write(tmp_path / "d.geojson", feature(polygon(rectangle(30, 50, 31, 51))))
    import_map(db, path, "2024-09-01")
    import_map(db, path, "2024-09-02")
    with Timeline.open(db) as timeline:
        first = mapped(timeline, "2024-09-01")
        carrier = next(r.event_id for r in timeline.events() if r.payload == first)
    text = ok("why", PATH, "--db", db)
    assert f"polygon: event {carrier} carries the coordinates measured" in text
    assert "unchanged since 2024-09-01" in text


# -- the export ------------------------------------------------------------------------------


def test_the_geojson_export_carries_each_mapped_polygon_with_its_properties(two_days, tmp_path):
    output = tmp_path / "day.geojson"
    ok("export", "--db", two_days, "--format", "geojson", "--as-of", "2024-09-02", "-o", output)
    document = json.loads(output.read_text(encoding="utf-8"))
    (control,) = [f for f in document["features"] if f["properties"]["feature"] == "control"]
    properties = control["properties"]
    with Timeline.open(two_days) as timeline:
        payload = mapped(timeline, "2024-09-02")
        event_id = timeline.state().fact(PATH).claim.event_id
    assert properties["claimant"] == CLAIMANT and properties["controller"] == CONTROLLER
    assert properties["day"] == "2024-09-02" and properties["source"] == SOURCE
    assert properties["event_id"] == event_id and properties["polygon_event_id"] == event_id
    assert properties["measured_area_km2"] == payload.measured_area_km2
    exported = shapely.geometry.shape(control["geometry"])
    assert exported.is_valid and exported.equals(shapely.box(30.2, 50, 31.2, 51))
    assert abs(GEOD.geometry_area_perimeter(exported)[0]) / 1e6 == pytest.approx(payload.measured_area_km2, abs=0.01)


# -- bad geometry ----------------------------------------------------------------------------

BOWTIE = [[[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]

BAD = {
    "self-intersecting": (
        collection(feature(polygon(rectangle(20, 40, 21, 41))), feature(polygon(BOWTIE))),
        "feature 1: geometry: polygon: the polygon intersects itself at 30.5, 50.5",
    ),
    "unclosed ring": (
        collection(feature(polygon([[[30, 50], [31, 50], [31, 51], [30, 51]]]))),
        "feature 0: geometry: polygon ring 0: the ring is not closed",
    ),
    "ring of three points": (
        collection(feature(polygon([[[30, 50], [31, 50], [30, 50]]]))),
        "feature 0: geometry: polygon ring 0: a ring needs at least 4 positions",
    ),
    "latitude and longitude swapped": (
        collection(feature(polygon([[[50, 30], [51, 135], [51, 31], [50, 30]]]))),
        "feature 0: geometry: polygon ring 0: latitude 135 is outside -90..90 (the position looks like "
        "[latitude, longitude]",
    ),
    "points only": (
        collection(
            feature({"type": "Point", "coordinates": [30, 50]}), feature({"type": "Point", "coordinates": [31, 50]})
        ),
        "no Polygon or MultiPolygon feature (feature 0 is Point, feature 1 is Point)",
    ),
    "empty collection": (collection(), "features: the collection has no features"),
    "smaller than the 1e-6° grid": (
        collection(feature(polygon([[[37, 48], [37.0000001, 48], [37.0000001, 48.0000001], [37, 48]]]))),
        "geometry: the polygons enclose no area",
    ),
}


@pytest.fixture
def log_with_a_map(tmp_path) -> Path:
    db = tmp_path / "t.db"
    import_map(db, write(tmp_path / "ok.geojson", feature(polygon(rectangle(30, 50, 31, 51)))), "2024-09-01")
    return db


def refused(db: Path, path: Path) -> str:
    result = invoke(
        "import", path, "--db", db, "--format", "geojson", "--claimant", CLAIMANT, "--controller", CONTROLLER,
        "--source", SOURCE, "--on", "2024-09-02",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    return lines[0]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_geometry_is_refused_in_one_line_naming_the_feature_and_changes_nothing(
    case, log_with_a_map, tmp_path, fingerprint
):
    document, expected = BAD[case]
    path = write(tmp_path / "bad.geojson", document)
    before = fingerprint(log_with_a_map)
    assert expected in refused(log_with_a_map, path)
    assert fingerprint(log_with_a_map) == before


def test_invalid_json_is_refused_naming_its_line(log_with_a_map, tmp_path, fingerprint):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [}', encoding="utf-8")
    before = fingerprint(log_with_a_map)
    assert "not valid JSON: Expecting value at line 2 column 15" in refused(log_with_a_map, path)
    assert fingerprint(log_with_a_map) == before


def test_a_file_over_the_size_limit_is_refused_unread(log_with_a_map, tmp_path, fingerprint):
    assert MAX_FILE_BYTES == 50 * 1024 * 1024
    path = tmp_path / "huge.geojson"
    with path.open("wb") as stream:
        stream.write(json.dumps(feature(polygon(rectangle(30, 50, 31, 51)))).encode())
        stream.truncate(MAX_FILE_BYTES + 1)  # padded with NUL bytes: never read past the limit
    before = fingerprint(log_with_a_map)
    assert "is larger than 50 MB" in refused(log_with_a_map, path)
    assert fingerprint(log_with_a_map) == before


def test_the_import_needs_who_says_who_holds_and_the_day(log_with_a_map, tmp_path):
    path = write(tmp_path / "ok.geojson", feature(polygon(rectangle(30, 50, 31, 51))))
    result = invoke("import", path, "--db", log_with_a_map, "--format", "geojson", "--claimant", CLAIMANT)
    assert result.exit_code == 2 and "needs --controller, --source, --on" in result.stderr
    result = invoke("import", path, "--db", log_with_a_map, "--claimant", CLAIMANT)  # jsonl takes no claimant
    assert result.exit_code == 2 and "--claimant is an option of --format geojson, not jsonl" in result.stderr


def test_a_polygon_with_a_hole_is_measured_without_it():
    outer = rectangle(30, 50, 31, 51)[0]
    hole = [[30.4, 50.4], [30.4, 50.6], [30.6, 50.6], [30.6, 50.4], [30.4, 50.4]]
    coordinates = merged(polygons_of(polygon([outer, hole])))
    geometry = shape(coordinates)
    assert len(geometry.geoms[0].interiors) == 1
    from timeline.geometry import area_km2

    expected = ellipsoidal_cell_km2(30, 50, 31, 51) - ellipsoidal_cell_km2(30.4, 50.4, 30.6, 50.6)
    assert area_km2(coordinates) == pytest.approx(expected, rel=0.001)


# -- laws ------------------------------------------------------------------------------------

RECTANGLES = (
    rectangle(30, 50, 31, 51),
    rectangle(30.2, 50, 31.2, 51),
    rectangle(30, 50.1, 30.6, 50.9),
    rectangle(35, 47, 36.5, 48),
)


def _import_series(timeline: Timeline, choices: list[int]) -> None:
    for n, choice in enumerate(choices):
        document = json.dumps(feature(polygon(RECTANGLES[choice]))).encode()
        options = {"claimant": CLAIMANT, "controller": CONTROLLER, "source": SOURCE}
        options["on"] = dt.date(2024, 9, 1) + dt.timedelta(days=n)
        timeline.import_file(io.BytesIO(document), "geojson", name=f"day{n}.geojson", **options)


@given(st.lists(st.integers(0, len(RECTANGLES) - 1), min_size=1, max_size=8))
@settings(max_examples=25)
def test_each_distinct_polygon_is_stored_once_and_every_day_reads_its_own(choices):
    from timeline.store import memory_store

    timeline = Timeline(memory_store())
    _import_series(timeline, choices)
    rows = list(timeline.events(kind="territory.mapped"))
    carriers = [r for r in rows if r.payload.coordinates is not None]
    assert len(carriers) == len(set(choices))
    for recorded, choice in zip(rows, choices, strict=True):
        expected = merged(polygons_of(polygon(RECTANGLES[choice])))
        assert timeline.polygon(recorded.event_id) == expected
        assert recorded.payload.same_as in (None, *(c.event_id for c in carriers))


@given(st.integers(0, len(RECTANGLES) - 1), st.integers(0, len(RECTANGLES) - 1))
@settings(max_examples=16)
def test_gained_minus_lost_is_the_change_in_measured_area(first, second):
    from timeline.geometry import area_km2, gained_and_lost

    before = merged(polygons_of(polygon(RECTANGLES[first])))
    after = merged(polygons_of(polygon(RECTANGLES[second])))
    gained, lost = gained_and_lost(before, after)
    assert gained >= 0 and lost >= 0
    assert gained - lost == pytest.approx(area_km2(after) - area_km2(before), abs=0.05)
    assert gained_and_lost(after, before) == (lost, gained)
    if first == second:
        assert (gained, lost) == (0, 0)


def test_a_retracted_map_still_lends_its_polygon_to_the_days_that_name_it(tmp_path):
    db = tmp_path / "t.db"
    path = write(tmp_path / "d.geojson", feature(polygon(rectangle(30, 50, 31, 51))))
    import_map(db, path, "2024-09-01")
    import_map(db, path, "2024-09-02")
    with Timeline.open(db) as timeline:
        carrier = next(r for r in timeline.events() if r.occurred_on == dt.date(2024, 9, 1))
        timeline.append(
            kind="event.retracted", occurred_on="2024-09-03", source="DeepStateMap",
            data={"target_event_id": carrier.event_id, "reason": "the first day's map was drawn in error"},
        )  # fmt: skip
        assert "territory.mapped.DeepStateMap.Russia" not in timeline.state(dt.date(2024, 9, 1)).facts()
        fact = timeline.state(dt.date(2024, 9, 2)).fact(PATH)
        assert fact.polygon_event == carrier.event_id and fact.since == dt.date(2024, 9, 2)
        assert timeline.polygon(fact.claim.event_id) == carrier.payload.coordinates


def test_maps_on_postgresql_are_stored_once_and_measured_as_on_sqlite(tmp_path, postgres_url):
    sqlite = tmp_path / "t.db"
    days = (("2024-09-01", (30, 50, 31, 51)), ("2024-09-02", (30, 50, 31, 51)), ("2024-09-03", (30.2, 50, 31.2, 51)))
    ok("init", "--db", postgres_url)
    for db in (sqlite, postgres_url):
        for on, corners in days:
            import_map(db, write(tmp_path / f"{on}.geojson", feature(polygon(rectangle(*corners)))), on)
    answers = []
    for db in (sqlite, postgres_url):
        with Timeline.open(db) as timeline:
            carriers = [
                r.event_id for r in timeline.events(kind="territory.mapped") if r.payload.coordinates is not None
            ]
            (area,) = timeline.diff(dt.date(2024, 9, 2), dt.date(2024, 9, 3)).areas
            answers.append((carriers, area, timeline.state().fact(PATH)))
    assert answers[0] == answers[1]
    assert len(answers[0][0]) == 2
