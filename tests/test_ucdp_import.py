"""UCDP GED import, by example: reading rows, change-only re-import known from the download's day,
figures beside ACLED's, and bad input refused whole."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from acled_samples import csv_bytes as acled_csv
from acled_samples import row as acled_row
from helpers import invoke
from ucdp_samples import COLUMNS, csv_bytes, row, write_csv

from events.envelope import DatePrecision
from events.quantity import Quantity
from timeline.api import Timeline
from timeline.errors import BadArgument, BadEvent
from timeline.formats import ucdp
from timeline.formats.ucdp import incident_id
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)
FIRST_DOWNLOAD = dt.date(2024, 9, 1)
SECOND_DOWNLOAD = dt.date(2024, 10, 1)
THIRD_DOWNLOAD = dt.date(2024, 11, 1)


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


def memory_timeline() -> Timeline:
    return Timeline(memory_store())


def imported(timeline: Timeline, rows, known_on: dt.date = FIRST_DOWNLOAD, **options):
    return timeline.import_ucdp(io.BytesIO(csv_bytes(rows, **options)), known_on, name="ged.csv")


# -- reading ---------------------------------------------------------------------------------


def test_a_row_becomes_an_incident_known_from_the_download_day():
    timeline = memory_timeline()
    result = imported(timeline, [row(101, day(10))])
    assert (result.counts.rows, result.counts.new, result.append.count) == (1, 1, 1)
    assert (result.known_from, result.known_to) == ("2024-09-01", "2024-09-01")
    recorded = timeline.store.get(incident_id("101", FIRST_DOWNLOAD))
    assert recorded is not None and recorded.event_id == "ucdp:101:2024-09-01"
    event = recorded.event
    assert (event.occurred_on, event.reported_on, event.source) == (day(10), FIRST_DOWNLOAD, "UCDP GED")
    assert event.date_precision is DatePrecision.DAY and event.note is None
    payload = event.payload
    assert (payload.dataset, payload.record_id, payload.revision) == ("UCDP GED", "101", None)
    assert payload.event_type == "State-based conflict"
    assert (payload.actor1, payload.actor2) == ("Government of Russia (Soviet Union)", "Government of Ukraine")
    assert (payload.ucdp.side_a_new_id, payload.ucdp.side_b_new_id) == (57, 199)
    assert (payload.ucdp.conflict_name, payload.ucdp.conflict_new_id) == ("Russia - Ukraine", 13_243)
    assert payload.ucdp.dyad_name == "Government of Russia (Soviet Union) - Government of Ukraine"
    assert (payload.country, payload.admin1, payload.admin2, payload.location) == (
        "Russia (Soviet Union)",
        "Kursk oblast",
        "Sudzhanskiy rayon",
        "Sudzha town",
    )
    assert (payload.latitude, payload.longitude, payload.ucdp.where_prec) == (51.1919, 35.2716, 1)
    assert payload.ucdp.where_description == "Sudzha, Kursk oblast"
    assert (payload.ucdp.country_id, payload.ucdp.priogrid_gid, payload.region) == (365, 185_831, "Europe")
    assert (payload.ucdp.number_of_sources, payload.ucdp.source_office) == (2, "Kommersant;Reuters")
    assert payload.ucdp.source_headline == "Fighting near Sudzha"
    assert (payload.ucdp.active_year, payload.ucdp.event_clarity, payload.ucdp.code_status) == (True, 1, "Clear")
    # Deaths as UCDP gives them: the best estimate within its low-high range, and by side.
    assert payload.fatalities == Quantity(3, low=2, high=5)
    assert (
        payload.ucdp.deaths_a,
        payload.ucdp.deaths_b,
        payload.ucdp.deaths_civilians,
        payload.ucdp.deaths_unknown,
    ) == (2, 1, 0, 0)
    assert payload.describe().endswith("best 3 (low 2 – high 5) deaths")


@pytest.mark.parametrize(
    ("start", "end", "precision"),
    [
        (day(12), day(14), DatePrecision.WEEK),  # Monday to Wednesday
        (day(11), day(13), DatePrecision.MONTH),  # Sunday to Tuesday: two weeks, one month
        (day(20), day(45), DatePrecision.MONTH),  # into September: the note says the span
    ],
)
def test_a_date_span_folds_on_its_first_day_at_the_precision_it_allows(start, end, precision):
    timeline = memory_timeline()
    imported(timeline, [row(7, start, end, date_prec=2)])
    event = timeline.store.get(incident_id("7", FIRST_DOWNLOAD)).event
    assert (event.occurred_on, event.date_precision) == (start, precision)
    assert event.note == f"between {start.isoformat()} and {end.isoformat()}"
    assert (event.payload.ucdp.date_end, event.payload.ucdp.date_prec) == (end.isoformat(), 2)


def test_deaths_without_a_range_are_exact_and_low_and_high_default_to_best():
    timeline = memory_timeline()
    imported(timeline, [row(1, day(6), best=4, low=4, high=4), row(2, day(6), best=0, low="", high="")])
    assert timeline.store.get(incident_id("1", FIRST_DOWNLOAD)).payload.fatalities == Quantity(4)
    assert timeline.store.get(incident_id("2", FIRST_DOWNLOAD)).payload.fatalities == Quantity(0)


def test_columns_are_read_by_name_in_any_order_with_or_without_a_bom():
    rows = [row(1, day(6)), row(2, day(7), type_of_violence=3)]
    plain, reordered = memory_timeline(), memory_timeline()
    imported(plain, rows)
    shuffled = (*reversed(COLUMNS), "an_extra_column")
    reordered.import_ucdp(
        io.BytesIO(csv_bytes(rows, columns=shuffled, bom=True).replace(b"date_start", b"DATE_START", 1)),
        FIRST_DOWNLOAD,
    )
    assert [r.event for r in plain.events()] == [r.event for r in reordered.events()]


def test_a_file_saved_by_a_spreadsheet_reads_the_same():
    """Windows-1252 instead of UTF-8, semicolons and decimal commas instead of commas and points."""
    rows = [row(1, day(6), where_description="Sudzha, Kursk oblast (Kurskaya oblast')")]
    plain = memory_timeline()
    imported(plain, rows)
    text = csv_bytes(rows).decode("utf-8")
    saved = memory_timeline()
    semicolons = io.StringIO()
    writer = csv.writer(semicolons, delimiter=";", lineterminator="\r\n")
    for cells in csv.reader(io.StringIO(text)):
        writer.writerow([cell.replace(".", ",") if cell.replace(".", "").isdigit() else cell for cell in cells])
    result = saved.import_ucdp(io.BytesIO(semicolons.getvalue().encode("cp1252")), FIRST_DOWNLOAD, name="ged.csv")
    assert result.read_as == "read as UTF-8; semicolon-separated; dates 2024-08-16"
    assert [r.event for r in plain.events()] == [r.event for r in saved.events()]
    french = [row(2, day(6), side_a="Gouvernement fran\u00e7ais")]
    result = saved.import_ucdp(io.BytesIO(csv_bytes(french).decode().encode("cp1252")), FIRST_DOWNLOAD)
    assert result.read_as.startswith("read as Windows-1252 (line 2 is not UTF-8)")
    assert saved.store.get(incident_id("2", FIRST_DOWNLOAD)).payload.actor1 == "Gouvernement fran\u00e7ais"


def test_only_the_required_columns_are_needed():
    required = ("id", "type_of_violence", "country", "date_start", "date_end", "best")
    timeline = memory_timeline()
    imported(timeline, [row(5, day(6))], columns=required)
    payload = timeline.store.get(incident_id("5", FIRST_DOWNLOAD)).payload
    assert (payload.location, payload.fatalities, payload.actor1) == ("Russia (Soviet Union)", Quantity(3), None)


# -- re-import: history in knowledge time ----------------------------------------------------


def twenty_rows() -> list[dict]:
    return [row(n, day(1 + n % 20), deaths_a=n % 4, best=n % 4 + 1, low=n % 4 + 1, high=n % 4 + 3) for n in range(20)]


def reformatted(values: dict) -> dict:
    """The same row as another tool writes it: midnight after each date, decimals, other booleans, spaces."""
    return {
        **values,
        "date_start": f"{values['date_start']}T00:00:00",
        "date_end": f"{values['date_end']} 00:00:00.000",
        "best": f"{values['best']}.0",
        "deaths_a": f"{values['deaths_a']}.0",
        "latitude": f"{values['latitude']}0",
        "active_year": "true",
        "where_coordinates": f"  {values['where_coordinates']} ",
    }


def test_a_later_download_counts_only_real_changes_after_reading_cells_as_values():
    timeline = memory_timeline()
    first = twenty_rows()
    imported(timeline, first)
    second = [reformatted(values) for values in first if values["id"] != 4]  # 4 is dropped
    for values in second:
        if values["id"] in (1, 2, 3):  # three revisions
            values["best"], values["high"] = "9", 12
    second += [row(20, day(3)), row(21, day(18))]  # two new
    result = imported(timeline, second, SECOND_DOWNLOAD)
    counts = result.counts
    assert (counts.rows, counts.new, counts.updated, counts.removed, counts.unchanged) == (21, 2, 3, 1, 16)
    assert result.append.count == 2 + 3 * 2 + 1  # new rows; retraction + version each; a retraction
    assert (result.known_from, result.known_to) == ("2024-10-01", "2024-10-01")

    before = timeline.state(day(31), FIRST_DOWNLOAD).facts()
    after = timeline.state(day(31)).facts()
    region = "incidents.UCDP GED.admin1.Kursk oblast"
    assert before[region].incidents == 20 and after[region].incidents == 21
    revised = timeline.store.get(incident_id("1", SECOND_DOWNLOAD)).payload
    assert revised.fatalities == Quantity(9, low=2, high=12)
    assert "ucdp:4:2024-09-01" in {r.payload.target_event_id for r in timeline.events(kind="event.retracted")}

    again = imported(timeline, second, SECOND_DOWNLOAD)
    assert again.append.count == 0 and again.counts.unchanged == 21


def test_a_download_written_like_the_one_before_builds_only_the_rows_it_changes(monkeypatch):
    built: list[str] = []
    build = ucdp._incident_of
    monkeypatch.setattr(ucdp, "_incident_of", lambda read: built.append(read.record_id) or build(read))
    timeline = memory_timeline()
    imported(timeline, twenty_rows())
    built.clear()
    second = [reformatted(values) for values in twenty_rows()]  # every row written another way
    assert imported(timeline, second, SECOND_DOWNLOAD).counts.unchanged == 20
    assert len(built) == 20  # each compared value by value
    built.clear()
    third = [dict(values) for values in second]
    third[5]["best"], third[5]["high"] = "7", "9"
    result = imported(timeline, third, THIRD_DOWNLOAD)
    assert (result.counts.updated, result.counts.unchanged, built) == (1, 19, ["5"])
    assert timeline.store.get(incident_id("5", THIRD_DOWNLOAD)).payload.fatalities.value == 7


def test_only_rows_a_download_covers_are_removed():
    timeline = memory_timeline()
    imported(
        timeline,
        [row(1, day(5)), row(2, day(25)), row(3, day(10), country="Ukraine", adm_1="Sumy oblast"), row(4, day(10))],
    )
    # The later download covers 2024-08-06..2024-08-20 in Russia only: just row 4 is dropped.
    result = imported(timeline, [row(5, day(6)), row(6, day(20))], SECOND_DOWNLOAD)
    assert (result.counts.new, result.counts.removed) == (2, 1)
    retracted = {r.payload.target_event_id for r in timeline.events(kind="event.retracted")}
    assert retracted == {"ucdp:4:2024-09-01"}


def test_a_dropped_row_that_returns_is_restored_known_from_its_download():
    timeline = memory_timeline()
    rows = [row(1, day(6)), row(2, day(7)), row(3, day(8))]
    imported(timeline, rows)
    dropped = imported(timeline, [rows[0], rows[2]], SECOND_DOWNLOAD)
    assert dropped.counts.removed == 1
    back = imported(timeline, rows, THIRD_DOWNLOAD)
    assert (back.counts.restored, back.counts.unchanged, back.counts.new) == (1, 2, 0)
    region = "incidents.UCDP GED.admin1.Kursk oblast"
    counted = {
        known: timeline.state(day(31), known).facts()[region].incidents
        for known in (FIRST_DOWNLOAD, SECOND_DOWNLOAD, THIRD_DOWNLOAD)
    }
    assert counted == {FIRST_DOWNLOAD: 3, SECOND_DOWNLOAD: 2, THIRD_DOWNLOAD: 3}
    # Back in a revised version: the new version is recorded, nothing else.
    imported(timeline, [rows[0], rows[2]], THIRD_DOWNLOAD + dt.timedelta(days=1))
    revised_back = imported(timeline, [*rows[:2], {**rows[2], "best": 4}], THIRD_DOWNLOAD + dt.timedelta(days=2))
    assert (revised_back.counts.restored, revised_back.counts.updated) == (1, 1)


def test_a_download_older_than_the_logs_latest_is_refused_and_changes_nothing():
    timeline = memory_timeline()
    imported(timeline, [row(1, day(6))], SECOND_DOWNLOAD)
    head = timeline.store.head()
    with pytest.raises(BadArgument, match=r"known_on 2024-09-01 is before 2024-10-01"):
        imported(timeline, [row(1, day(6)), row(2, day(7))], FIRST_DOWNLOAD)
    assert timeline.store.head() == head


def test_a_second_download_on_the_same_day_with_other_content_is_refused():
    timeline = memory_timeline()
    imported(timeline, [row(1, day(6))])
    with pytest.raises(
        BadEvent, match=r"ged.csv:row 2: id: 1 is already in the log from a download known on 2024-09-01"
    ):
        imported(timeline, [row(1, day(6), best=4)])
    assert imported(timeline, [row(1, day(6))]).counts.unchanged == 1


def test_a_row_repeated_within_a_download_is_read_once_and_a_different_one_refused():
    timeline = memory_timeline()
    result = imported(timeline, [row(1, day(6)), row(1, day(6))])
    assert (result.counts.new, result.counts.repeated) == (1, 1)
    with pytest.raises(BadEvent, match=r"row 3: id: 2 is also on row 2 with other content"):
        imported(memory_timeline(), [row(2, day(6)), row(2, day(6), best=5)])


# -- beside ACLED ----------------------------------------------------------------------------


def test_ucdp_figures_stand_beside_acleds_for_a_place_never_summed():
    timeline = memory_timeline()
    timeline.import_acled(
        io.BytesIO(acled_csv([acled_row(f"RUS{n}", day(6 + n), fatalities=4, admin1="Kursk oblast") for n in range(3)]))
    )
    imported(timeline, [row(1, day(6)), row(2, day(7), best=32, low=28, high=47, deaths_civilians=29)])
    facts = timeline.state(day(31)).facts()
    acled, ucdp = facts["incidents.admin1.Kursk oblast"], facts["incidents.UCDP GED.admin1.Kursk oblast"]
    assert (acled.incidents, acled.fatalities, acled.dataset) == (3, Quantity(12), None)
    assert (ucdp.incidents, ucdp.fatalities, ucdp.dataset) == (2, Quantity(35, low=30, high=52), "UCDP GED")
    assert (ucdp.deaths_by_side.side_a, ucdp.deaths_by_side.civilians) == (4, 29)
    assert ucdp.describe().startswith(
        "Kursk oblast, UCDP GED: 2 events, best 35 (low 30 – high 52) deaths (side A 4, side B 2, civilians 29"
    )
    assert facts["incidents.UCDP GED.location.Kursk oblast.Sudzha town"].incidents == 2


def test_state_why_and_exports_show_ucdp_incidents(tmp_path):
    db = tmp_path / "t.db"
    assert invoke("init", "--db", db).exit_code == 0
    source = write_csv(tmp_path / "ged.csv", [row(1, day(6)), row(2, day(7))])
    assert invoke("import", source, "--format", "ucdp", "--known-on", "2024-09-01", "--db", db).exit_code == 0
    state = invoke("state", "--db", db)
    assert "Kursk oblast, UCDP GED: 2 events, best 6 (low 4 – high 10) deaths" in state.output
    assert "    Sudzha town (Kursk oblast), UCDP GED: 2 events" in state.output
    nested = json.loads(invoke("state", "--db", db, "--json").output)["incidents"]
    assert set(nested) == {"UCDP GED"}  # apart from the plain keys: never inside another dataset's fact
    assert nested["UCDP GED"]["admin1"]["Kursk oblast"]["fatalities"] == {
        "value": 6,
        "bound": "exact",
        "low": 4,
        "high": 10,
    }
    why = invoke("why", "incidents.UCDP GED.admin1.Kursk oblast", "--db", db)
    assert why.exit_code == 0 and "ucdp:1:2024-09-01" in why.output and "ucdp:2:2024-09-01" in why.output
    assert invoke("export", "--format", "csv", "-o", tmp_path / "t.csv", "--db", db).exit_code == 0
    exported = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "ucdp:1:2024-09-01" in exported and "Government of Ukraine" in exported
    assert invoke("export", "--format", "geojson", "-o", tmp_path / "t.geojson", "--db", db).exit_code == 0
    features = json.loads((tmp_path / "t.geojson").read_text(encoding="utf-8"))["features"]
    incidents = [f["properties"] for f in features if f["properties"]["feature"] == "incident"]
    assert {p["event_id"] for p in incidents} == {"ucdp:1:2024-09-01", "ucdp:2:2024-09-01"}
    assert incidents[0]["fatalities"] == {"value": 3, "bound": "exact", "low": 2, "high": 5}


# -- the command -----------------------------------------------------------------------------


def test_the_cli_prints_the_counts_and_json(tmp_path):
    db = tmp_path / "t.db"
    assert invoke("init", "--db", db).exit_code == 0
    first = write_csv(tmp_path / "first.csv", [row(1, day(6)), row(2, day(7)), row(3, day(8))])
    result = invoke("import", first, "--format", "ucdp", "--known-on", "2024-09-01", "--db", db)
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 new, 0 updated, 0 removed, 0 unchanged; appended 3 events" in result.output
    second = write_csv(tmp_path / "second.csv", [row(1, day(6)), row(3, day(8), best=4)])
    result = invoke("import", second, "--format", "ucdp", "--known-on", "2024-10-01", "--db", db, "--json")
    counts = json.loads(result.output)
    assert {key: counts[key] for key in ("rows", "new", "updated", "removed", "restored", "unchanged")} == {
        "rows": 2,
        "new": 0,
        "updated": 1,
        "removed": 1,
        "restored": 0,
        "unchanged": 1,
    }


def test_known_on_is_required_for_ucdp_and_refused_for_other_formats(tmp_path, fingerprint):
    db = tmp_path / "t.db"
    assert invoke("init", "--db", db).exit_code == 0
    before = fingerprint(db)
    source = write_csv(tmp_path / "ged.csv", [row(1, day(6))])
    result = invoke("import", source, "--format", "ucdp", "--db", db)
    assert result.exit_code == 2 and "--format ucdp needs --known-on DAY" in result.output
    acled = tmp_path / "acled.csv"
    acled.write_bytes(acled_csv([acled_row("RUS1", day(6))]))
    result = invoke("import", acled, "--format", "acled", "--known-on", "2024-09-01", "--db", db)
    assert result.exit_code == 2 and "--known-on is an option of --format ucdp, not acled" in result.output
    assert fingerprint(db) == before
    with pytest.raises(BadArgument, match="needs known_on"):
        memory_timeline().import_file(io.BytesIO(csv_bytes([row(1, day(6))])), "ucdp")


# -- bad input -------------------------------------------------------------------------------

BAD_ROWS = [
    ({"date_start": "2024-02-30"}, "date_start", "not a real calendar day"),
    ({"date_start": "yesterday"}, "date_start", "expected a date such as 2024-08-16, 16 August 2024"),
    ({"date_end": "2024-08-01"}, "date_end", "is before date_start 2024-08-10"),
    ({"date_start": "2024-09-02", "date_end": "2024-09-02"}, "date_start", "is after --known-on 2024-09-01"),
    ({"year": 2023}, "year", "does not match date_start"),
    ({"best": "three"}, "best", "expected a whole number, not 'three'"),
    ({"best": "2.5"}, "best", "expected a whole number, not '2.5'"),
    ({"best": ""}, "best", "empty (required)"),
    ({"low": 4}, "low", "4 is above best 3"),
    ({"high": 1}, "high", "1 is below best 3"),
    ({"deaths_a": "-1"}, "deaths_a", "expected a whole number"),
    ({"type_of_violence": 4}, "type_of_violence", "expected 1 (state-based), 2 (non-state) or 3 (one-sided)"),
    ({"active_year": "maybe"}, "active_year", "expected true or false"),
    ({"where_prec": 8}, "where_prec", "one of 1, 2, 3, 4, 5, 6, 7"),
    ({"date_prec": 0}, "date_prec", "one of 1, 2, 3, 4, 5"),
    ({"latitude": 123}, "latitude", "between -90 and 90"),
    ({"longitude": ""}, "longitude", "required when latitude is given"),
    ({"id": "A-1"}, "id", "expected UCDP's numeric event id"),
    ({"country": ""}, "country", "empty (required)"),
    ({"source_headline": "bell \x07"}, "source_headline", "control character"),
    ({"side_a": "bell \x07"}, "side_a", "control character"),
]


@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS)
def test_a_malformed_row_stops_the_import_naming_file_row_and_column_and_changes_nothing(
    tmp_path, fingerprint, change, column, message
):
    db = tmp_path / "t.db"
    with Timeline.init(db) as timeline:
        timeline.import_ucdp(io.BytesIO(csv_bytes([row(1, day(6))])), dt.date(2024, 8, 31))
    before = fingerprint(db)
    source = write_csv(tmp_path / "bad.csv", [row(7, day(10)), row(8, day(10), **change)])
    result = invoke("import", source, "--format", "ucdp", "--known-on", "2024-09-01", "--db", db)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {source}:row 3: {column}: ") and message in result.output, result.output
    assert result.output.count("\n") == 1
    assert fingerprint(db) == before


WRONG_FILES = [
    (b"", "the file is empty"),
    (b'{"TotalCount": 1, "Result": [{"id": 1}]}', "JSON, not CSV"),
    (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", "spreadsheet or zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 spreadsheet (.xls)"),
    (csv_bytes([]), "no rows after the header"),
    (b"id,date_start\r\n1,2024-08-06\r\n", "missing columns type_of_violence, country, date_end, best"),
    (b"id|date_start|best\r\n1|2024-08-06|3\r\n", "separated by '|'"),
    (acled_csv([acled_row("RUS1", day(6))]), "looks like an ACLED export"),
    (
        csv_bytes([row(1, day(6), side_a="Gouvernement fran\u00e7ais")]).replace(b"Sudzha", b"Sudzh\xe9", 1),
        "the file mixes encodings",
    ),
    (csv_bytes([row(1, day(6))]) + b"2,2024-08-07\r\n", "row 3: has 2 cells, but the header has 49 columns"),
]


@pytest.mark.parametrize(("content", "message"), WRONG_FILES)
def test_a_wrong_file_is_refused_in_one_line_and_changes_nothing(tmp_path, fingerprint, content, message):
    db = tmp_path / "t.db"
    with Timeline.init(db):
        pass
    before = fingerprint(db)
    source = tmp_path / "ged.csv"
    source.write_bytes(content)
    result = invoke("import", source, "--format", "ucdp", "--known-on", "2024-09-01", "--db", db)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {source}") and message in result.output, result.output
    assert result.output.count("\n") == 1
    assert fingerprint(db) == before


def test_spreadsheet_dates_read_as_the_download_wrote_them():
    # Saved by a spreadsheet in a day-first locale: 06/08/2024 waits for 14/08/2024 to say which it is.
    rows = [row(1, day(6)), row(2, day(14))]
    iso = csv_bytes(rows)
    saved = iso.replace(b"2024-08-06", b"06/08/2024").replace(b"2024-08-14", b"14/08/2024")
    first, second = Timeline(memory_store()), Timeline(memory_store())
    first.import_ucdp(io.BytesIO(iso), known_on=day(20), name="ged.csv")
    result = second.import_ucdp(io.BytesIO(saved), known_on=day(20), name="ged.csv")
    assert [e.event.occurred_on for e in second.events()] == [e.event.occurred_on for e in first.events()]
    assert "dates day/month/year (from row 3 ('14/08/2024'))" in result.read_as
    ambiguous = iso.replace(b"2024-08-14", b"2024-08-06").replace(b"2024-08-06", b"06/08/2024")
    with pytest.raises(BadEvent, match=r"ged.csv:row 2: date_start: every date in the file reads both"):
        Timeline(memory_store()).import_ucdp(io.BytesIO(ambiguous), known_on=day(20), name="ged.csv")
