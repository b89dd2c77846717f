"""Every export format, read back by its own tool's client: the cloudevents SDK, the geojson package
and shapely, Python's csv module, and Datasette's own client. Plus CloudEvents import."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path

import geojson
import pytest
import shapely.geometry
from acled_samples import csv_bytes, row
from cloudevents.core.formats.json import JSONFormat
from datasette.app import Datasette
from helpers import invoke

from timeline.api import Timeline
from timeline.formats.csv_table import neutralise
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


@pytest.fixture
def kursk_with_acled(tmp_path: Path) -> Path:
    """The bundled Kursk log plus ACLED rows (one revised, one a territory transfer, one unlocated)."""
    db = tmp_path / "timeline.db"
    exported = io.StringIO()
    Timeline.bundled().export("jsonl", exported)
    with Timeline.init(db) as timeline:
        timeline.import_jsonl(io.BytesIO(exported.getvalue().encode()))
        first = [
            row("RUS1", day(6), fatalities=0),
            row("RUS2", day(7), location="Kurchatov", latitude=51.6606, longitude=35.6573, fatalities=3),
            row(
                "RUS3",
                day(14),
                sub_event_type="Non-state actor overtakes territory",
                location="Martynovka",
                latitude=51.27,
                longitude=35.16,
            ),
            row("RUS4", day(15), location="Krupets", latitude="", longitude="", notes='=HYPERLINK("http://x")'),
        ]
        timeline.import_acled(io.BytesIO(csv_bytes(first)))
        timeline.import_acled(
            io.BytesIO(
                csv_bytes(
                    [*first[:1], row("RUS2", day(7), revised=day(16), fatalities=4, location="Kurchatov"), *first[2:]]
                )
            )
        )
    return db


def exported(db: Path, *args: object) -> str:
    result = invoke("export", "--db", db, *args)
    assert result.exit_code == 0, result.output
    return result.output


# -- CloudEvents -----------------------------------------------------------------------------


def test_every_cloudevents_line_parses_with_the_sdk(kursk_with_acled):
    lines = exported(kursk_with_acled, "--format", "cloudevents").splitlines()
    with Timeline.open(kursk_with_acled, read_only=True) as timeline:
        recorded = list(timeline.events())
    assert len(lines) == len(recorded)
    for line, original in zip(lines, recorded, strict=True):
        event = JSONFormat().read(None, line)
        assert event.get_specversion() == "1.0"
        assert event.get_id() == original.event_id
        assert event.get_type() == original.kind
        assert event.get_time() == dt.datetime.combine(original.occurred_on, dt.time(), dt.UTC)
        assert event.get_datacontenttype() == "application/json"
        assert event.get_extension("reportedon") == original.reported_on.isoformat()
        assert event.get_extension("seq") == original.seq
        assert event.get_extension("hash") == original.hash
        assert isinstance(event.get_data(), dict)
    sudzha = [JSONFormat().read(None, line) for line in lines if '"subject": "Sudzha"' in line]
    assert sudzha


def test_cloudevents_read_back_give_the_same_ids_and_the_same_state_on_every_day(kursk_with_acled, tmp_path):
    copy = tmp_path / "copy.db"
    assert invoke("init", "--db", copy).exit_code == 0
    exported_events = exported(kursk_with_acled, "--format", "cloudevents").encode()
    result = invoke("import", "-", "--format", "cloudevents", "--db", copy, input=exported_events)
    assert result.exit_code == 0, result.output
    with Timeline.open(kursk_with_acled, read_only=True) as original, Timeline.open(copy, read_only=True) as again:
        assert [e.event_id for e in original.events()] == [e.event_id for e in again.events()]
        assert [e.event for e in original.events()] == [e.event for e in again.events()]
        first, last = original.first_day(), original.last_day()
        for n in range((last - first).days + 1):
            as_of = first + dt.timedelta(days=n)
            for known_on in (None, day(12), day(15)):
                assert original.state(as_of, known_on).facts() == again.state(as_of, known_on).facts()


@pytest.mark.parametrize(
    ("change", "attribute", "message"),
    [
        ({"specversion": "0.3"}, "specversion", "expected '1.0'"),
        ({"type": "no.such.kind"}, "type", "unknown kind"),
        ({"time": "16 August"}, "time", "RFC 3339"),
        ({"reportedon": "2024-08-01"}, "reportedon", "before occurred_on"),
        ({"datacontenttype": "text/xml"}, "datacontenttype", "expected application/json"),
        ({"data": {"speaker": "X"}}, "data.summary", "required field missing"),
    ],
)
def test_a_bad_cloudevent_is_refused_naming_line_and_attribute(tmp_path, fingerprint, change, attribute, message):
    db = tmp_path / "ce.db"
    with Timeline.init(db):
        pass
    good = {
        "specversion": "1.0",
        "id": "s1",
        "source": "/sources/TASS",
        "type": "statement.made",
        "time": "2024-08-07T00:00:00Z",
        "data": {"speaker": "Valery Gerasimov", "summary": "The advance has been stopped."},
    }
    lines = json.dumps(good) + "\n" + json.dumps({**good, "id": "s2", **change}) + "\n"
    before = fingerprint(db)
    result = invoke("import", "-", "--format", "cloudevents", "--db", db, input=lines.encode())
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: <stdin>:2: {attribute}: ") and message in result.output, result.output
    assert fingerprint(db) == before


# -- CSV -------------------------------------------------------------------------------------


def test_csv_has_one_row_per_visible_event_and_formula_cells_neutralised(kursk_with_acled):
    rows = list(csv.DictReader(io.StringIO(exported(kursk_with_acled, "--format", "csv"), newline="")))
    with Timeline.open(kursk_with_acled, read_only=True) as timeline:
        visible = [recorded.event_id for recorded in timeline.visible_events()]
    assert [r["event_id"] for r in rows] == visible
    assert not any(r["kind"] == "event.retracted" for r in rows)
    krupets = next(r for r in rows if r["event_id"].startswith("acled:RUS4:"))
    assert krupets["notes"] == '\'=HYPERLINK("http://x")'  # shown as text, never run
    assert krupets["latitude"] == "" and krupets["fatalities"] == "0"
    kurchatov = next(r for r in rows if r["event_id"].startswith("acled:RUS2:"))
    assert (kurchatov["fatalities"], kurchatov["time_precision"], kurchatov["admin1"]) == ("4", "1", "Kursk")
    sudzha = next(r for r in rows if r["kind"] == "settlement.claimed" and r["location"] == "Sudzha")
    assert sudzha["actor1"] and sudzha["sub_event_type"]
    for cell in (value for r in rows for value in r.values()):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")) or cell.startswith("'")


@pytest.mark.parametrize("text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_formula_cell_is_prefixed_with_a_quote(text):
    assert neutralise(text) == "'" + text
    assert neutralise("Sudzha") == "Sudzha"


def test_csv_as_known_on_leaves_out_what_was_not_yet_reported(kursk_with_acled):
    early = list(csv.DictReader(io.StringIO(exported(kursk_with_acled, "--format", "csv", "--known-on", "2024-08-12"))))
    assert early and all(r["reported_on"] <= "2024-08-12" for r in early)
    revised = [r for r in early if r["event_id"].startswith("acled:RUS2:")]
    assert [r["fatalities"] for r in revised] == ["3"]  # the first version: the revision came later


# -- GeoJSON ---------------------------------------------------------------------------------


def test_geojson_is_valid_and_reads_as_shapely_points(kursk_with_acled, tmp_path):
    output = tmp_path / "map.geojson"
    assert (
        invoke(
            "export", "--db", kursk_with_acled, "--format", "geojson", "--as-of", "2024-08-20", "-o", output
        ).exit_code
        == 0
    )
    collection = geojson.loads(output.read_text(encoding="utf-8"))
    assert collection.is_valid, collection.errors()
    features = collection["features"]
    points = {feature["id"]: shapely.geometry.shape(feature["geometry"]) for feature in features}
    assert all(point.geom_type == "Point" for point in points.values())
    sudzha = next(f for f in features if f["id"] == "settlement:Sudzha")
    assert sudzha["properties"]["contested"] is True
    assert {claim["claimant"] for claim in sudzha["properties"]["claims"]} >= {"Ukraine", "Russia"}
    assert all(claim["claim"]["source"] and claim["claim"]["event_id"] for claim in sudzha["properties"]["claims"])
    assert points["settlement:Sudzha"].equals(shapely.geometry.Point(35.2716, 51.1919))  # from the ACLED row
    martynovka = next(f for f in features if f["id"] == "settlement:Martynovka")
    assert martynovka["properties"]["coordinates_from"].startswith("incident acled:RUS3:")
    korenevo = next(f for f in features if f["id"] == "settlement:Korenevo")
    assert points["settlement:Korenevo"].equals(shapely.geometry.Point(34.91, 51.41))  # from the gazetteer
    assert korenevo["properties"]["coordinates_from"].startswith("gazetteer: ")
    unlocated = collection["properties"]["unlocated"]
    names = {entry["name"] for entry in unlocated}
    assert {"Girji"} <= names  # a settlement with no coordinates is listed, not dropped
    assert "settlement:Girji" not in points
    incidents = [f for f in features if f["properties"]["feature"] == "incident"]
    assert {f["properties"]["record_id"] for f in incidents} == {"RUS1", "RUS2", "RUS3"}
    kurchatov = next(f for f in incidents if f["properties"]["record_id"] == "RUS2")
    assert kurchatov["properties"]["fatalities"] == {"value": 4, "bound": "exact"}  # the revised version only
    # RUS4 gives no coordinates and the gazetteer has none for Krupets: listed, not dropped.
    assert [entry["record_id"] for entry in unlocated if entry["feature"] == "incident"] == ["RUS4"]


def test_every_settlement_of_the_snapshot_is_either_a_feature_or_listed_unlocated(kursk_with_acled):
    collection = json.loads(exported(kursk_with_acled, "--format", "geojson"))
    with Timeline.open(kursk_with_acled, read_only=True) as timeline:
        settlements = {key[0] for key in timeline.state().projector_facts()["settlements"]}
    mapped = {f["id"].removeprefix("settlement:") for f in collection["features"] if f["id"].startswith("settlement:")}
    listed = {entry["name"] for entry in collection["properties"]["unlocated"] if entry["feature"] == "settlement"}
    assert mapped | listed == settlements and not mapped & listed


# -- TimelineJS ------------------------------------------------------------------------------


def test_timelinejs_has_a_slide_per_event_with_source_group_and_unverified_marked(kursk_with_acled):
    timeline_json = json.loads(exported(kursk_with_acled, "--format", "timelinejs", "--as-of", "2024-08-16"))
    slides = timeline_json["events"]
    assert timeline_json["title"]["text"]["headline"]
    with Timeline.open(kursk_with_acled, read_only=True) as timeline:
        visible = list(timeline.visible_events(dt.date(2024, 8, 16)))
    assert [s["unique_id"] for s in slides] == [e.event_id for e in visible]
    for slide, recorded in zip(slides, visible, strict=True):
        assert slide["start_date"]["year"] == recorded.occurred_on.year
        assert slide["group"] == recorded.kind
        assert "Source: " in slide["text"]["text"]
        assert slide["text"]["headline"].startswith("[unverified] ") == recorded.event.unverified
    assert any(s["text"]["headline"].startswith("[unverified] ") for s in slides)


def test_timelinejs_escapes_html_and_dates_a_month_without_a_day(tmp_path):
    timeline = Timeline(memory_store())
    timeline.import_acled(
        io.BytesIO(csv_bytes([row("RUS1", day(15), time_precision=3, notes="<script>alert(1)</script>")]))
    )
    stream = io.StringIO()
    timeline.export("timelinejs", stream)
    slide = json.loads(stream.getvalue())["events"][0]
    assert slide["start_date"] == {"year": 2024, "month": 8, "display_date": "in August 2024"}
    assert "<script>" not in slide["text"]["text"] and "&lt;script&gt;" in slide["text"]["text"]


# -- Datasette -------------------------------------------------------------------------------


def test_datasette_serves_the_database_with_the_metadata_and_a_kind_view(kursk_with_acled, tmp_path):
    metadata_path = tmp_path / "metadata.json"
    assert (
        invoke("export", "--db", kursk_with_acled, "--format", "datasette-metadata", "-o", metadata_path).exit_code == 0
    )
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    view = metadata["databases"]["timeline"]["tables"]["kind_incident_reported"]
    assert view["units"] == {"latitude": "degree", "longitude": "degree"}
    assert "acleddata.com" in metadata["source"]

    async def read() -> tuple[dict, dict]:
        datasette = Datasette([str(kursk_with_acled)], metadata=metadata)
        rows = await datasette.client.get("/timeline/kind_incident_reported.json?_shape=array&_sort=event_id")
        assert rows.status_code == 200, rows.text
        page = await datasette.client.get("/timeline/kind_settlement_claimed")
        assert page.status_code == 200
        assert "settlement.claimed" in page.text  # the view's title from the metadata
        info = await datasette.client.get("/-/metadata.json")
        return rows.json(), info.json()

    rows, served = asyncio.run(read())
    assert served["title"] == metadata["title"]
    # The view holds every version: the revised RUS2 twice, its first and its revised toll.
    assert [r["record_id"] for r in rows] == ["RUS1", "RUS2", "RUS2", "RUS3", "RUS4"]
    assert [r["fatalities"] for r in rows if r["record_id"] == "RUS2"] == [3, 4]
    assert rows[0]["fatalities_bound"] == "exact" and rows[0]["latitude"] == 51.1919


def test_datasette_metadata_needs_a_database_file_and_no_snapshot_options(kursk_with_acled):
    assert "name one with --db" in invoke("export", "--format", "datasette-metadata").output
    result = invoke("export", "--db", kursk_with_acled, "--format", "datasette-metadata", "--as-of", "2024-08-10")
    assert result.exit_code == 2 and "do not apply" in result.output


# -- the log copies ----------------------------------------------------------------------------


def test_jsonl_as_known_on_a_day_imports_into_a_log_that_answers_as_the_original_did(kursk_with_acled, tmp_path):
    copy = tmp_path / "copy.db"
    assert invoke("init", "--db", copy).exit_code == 0
    as_known = exported(kursk_with_acled, "--known-on", "2024-08-13").encode()
    assert invoke("import", "-", "--db", copy, input=as_known).exit_code == 0
    with Timeline.open(kursk_with_acled, read_only=True) as original, Timeline.open(copy, read_only=True) as again:
        for as_of in (day(8), day(13), day(20)):
            assert again.state(as_of).facts() == original.state(as_of, day(13)).facts()
