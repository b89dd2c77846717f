"""ACLED import, by example: reading rows, change-only re-import, and bad input refused whole."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import pytest
from acled_samples import COLUMNS, csv_bytes, row, spreadsheet_bytes, timestamp, write_csv
from helpers import invoke

from events.envelope import DatePrecision
from events.quantity import Bound, Quantity
from timeline.api import Timeline
from timeline.errors import BadEvent
from timeline.formats import acled
from timeline.formats.acled import claim_id, incident_id
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


def memory_timeline() -> Timeline:
    return Timeline(memory_store())


def imported(timeline: Timeline, rows, **options):
    return timeline.import_acled(io.BytesIO(csv_bytes(rows, **options)), name="acled.csv")


# -- reading ---------------------------------------------------------------------------------


def test_a_row_becomes_an_incident_known_from_its_timestamp_day():
    timeline = memory_timeline()
    result = imported(timeline, [row("RUS1", day(6), revised=day(12), fatalities=0, time_precision=2)])
    assert (result.counts.rows, result.counts.new, result.append.count) == (1, 1, 1)
    recorded = timeline.store.get(incident_id("RUS1", timestamp(day(12))))
    assert recorded is not None
    event = recorded.event
    assert (event.occurred_on, event.reported_on, event.source) == (day(6), day(12), "Kommersant")
    assert event.date_precision is DatePrecision.WEEK
    payload = event.payload
    assert payload.fatalities == Quantity(0, Bound.EXACT)  # 0 is a reported figure, not "unknown"
    assert (payload.latitude, payload.longitude, payload.geo_precision) == (51.1919, 35.2716, 1)
    assert (payload.dataset, payload.record_id, payload.revision) == ("ACLED", "RUS1", timestamp(day(12)))
    assert (payload.admin1, payload.admin2, payload.location, payload.country) == (
        "Kursk",
        "Sudzhanskiy",
        "Sudzha",
        "Russia",
    )


def test_columns_are_read_by_name_in_any_order_and_case_with_extra_columns_ignored():
    columns = (
        "TIMESTAMP",
        "Location",
        "event_id_cnty",
        *[c for c in COLUMNS if c not in {"timestamp", "location", "event_id_cnty"}],
    )
    rows = [{**row("RUS1", day(6)), "TIMESTAMP": timestamp(day(6)), "Location": "Sudzha"}]
    text = csv_bytes(rows, columns=(*columns, "unknown_extra"))
    timeline = memory_timeline()
    assert timeline.import_acled(io.BytesIO(text)).counts.new == 1


def test_both_date_forms_a_bom_and_a_line_break_in_notes_are_read():
    rows = [row("RUS1", day(6), event_date="6 August 2024", notes="Line one\nline two"), row("RUS2", day(7))]
    timeline = memory_timeline()
    imported(timeline, rows, bom=True)
    first = timeline.store.get(incident_id("RUS1", timestamp(day(6))))
    assert first.occurred_on == day(6)
    assert first.payload.notes == "Line one line two"


def test_a_territory_transfer_also_claims_the_settlement():
    timeline = memory_timeline()
    imported(timeline, [row("RUS3", day(14), sub_event_type="Non-state actor overtakes territory")])
    claim = timeline.store.get(claim_id(incident_id("RUS3", timestamp(day(14)))))
    assert claim.kind == "settlement.claimed"
    assert (claim.payload.settlement, claim.payload.claimant) == ("Sudzha", "ACLED")
    assert claim.payload.controller == "Military Forces of Ukraine (2019-)"
    assert timeline.state(day(20)).facts()["settlements.Sudzha"].claims[0].claimant == "ACLED"


# -- change-only re-import -------------------------------------------------------------------


def first_export():
    return [row("RUS1", day(6)), row("RUS2", day(7), fatalities=3), row("RUS3", day(8), fatalities=1)]


def test_an_identical_re_import_appends_nothing_and_leaves_the_file_as_it_was(db_path, fingerprint):
    source = write_csv(db_path.parent / "acled.csv", first_export())
    with Timeline.init(db_path) as timeline:
        timeline.import_acled(source)
    before = fingerprint(db_path)
    with Timeline.open(db_path) as timeline:
        again = timeline.import_acled(source)
    assert again.counts.unchanged == 3 and again.append.count == 0
    assert fingerprint(db_path).dump == before.dump


def test_a_revised_row_is_a_correction_known_from_its_new_timestamp():
    timeline = memory_timeline()
    imported(timeline, first_export())
    second = [
        row("RUS1", day(6)),
        row("RUS2", day(7), revised=day(12), fatalities=5),
        row("RUS3", day(8), fatalities=1),
    ]
    result = imported(timeline, second)
    assert (result.counts.updated, result.counts.unchanged, result.append.count) == (1, 2, 2)
    old, new = incident_id("RUS2", timestamp(day(7))), incident_id("RUS2", timestamp(day(12)))
    retraction = timeline.store.get(f"{old}:revised:{timestamp(day(12))}")
    assert retraction.payload.target_event_id == old and retraction.reported_on == day(12)
    path = "incidents.location.Kursk.Sudzha"
    assert timeline.state(day(20), known_on=day(11)).facts()[path].fatalities == Quantity(4)
    assert timeline.state(day(20)).facts()[path].fatalities == Quantity(6)
    assert new in timeline.state(day(20)).facts()[path].event_ids


def test_a_dropped_row_inside_the_export_is_removed_from_the_exports_day_and_outside_it_is_kept():
    timeline = memory_timeline()
    early = row("RUS0", day(2))  # before the second export's first day: not covered by it
    elsewhere = row("UKR9", day(7), country="Ukraine", admin1="Sumy", location="Sumy")
    imported(timeline, [early, elsewhere, *first_export()])
    second = [row("RUS1", day(6)), row("RUS3", day(8), fatalities=1), row("RUS4", day(9), revised=day(15))]
    result = imported(timeline, second)
    assert (result.counts.new, result.counts.removed, result.counts.unchanged) == (1, 1, 2)
    dropped = incident_id("RUS2", timestamp(day(7)))
    retraction = timeline.store.get(f"{dropped}:removed:{timestamp(day(15))}")
    assert retraction.reported_on == day(15)
    facts = timeline.state(day(20)).facts()
    ids = {event_id for fact in facts.values() for event_id in fact.event_ids}
    assert dropped not in ids
    assert incident_id("RUS0", timestamp(day(2))) in ids  # outside the covered dates
    assert "incidents.location.Sumy.Sumy" in facts  # outside the covered countries
    assert dropped in {e for f in timeline.state(day(20), known_on=day(14)).facts().values() for e in f.event_ids}


def test_known_on_a_day_before_the_second_export_answers_what_the_first_said():
    first = first_export()
    second = [
        row("RUS1", day(6), revised=day(15), fatalities=9),
        row("RUS3", day(8), fatalities=1),
        row("RUS5", day(14), revised=day(15)),
    ]
    both = memory_timeline()
    imported(both, first)
    imported(both, second)
    only_first = memory_timeline()
    imported(only_first, first)
    only_second = memory_timeline()
    imported(only_second, second)
    for as_of in (day(7), day(10), day(20)):
        assert both.state(as_of, known_on=day(14)).facts() == only_first.state(as_of).facts()
        assert both.state(as_of).facts() == only_second.state(as_of).facts()


def test_a_dropped_row_that_comes_back_is_restored_from_the_day_of_the_export_that_has_it():
    timeline = memory_timeline()
    imported(timeline, first_export())
    imported(timeline, [row("RUS1", day(6)), row("RUS3", day(8), fatalities=1), row("RUS4", day(9), revised=day(15))])
    back = imported(
        timeline, [*first_export(), row("RUS4", day(9), revised=day(15)), row("RUS6", day(9), revised=day(18))]
    )
    assert back.counts.restored == 1 and back.counts.unchanged == 3 and back.counts.new == 1
    path = "incidents.location.Kursk.Sudzha"
    assert timeline.state(day(20), known_on=day(17)).facts()[path].incidents == 3
    assert timeline.state(day(20)).facts()[path].incidents == 5


def test_an_older_export_imported_after_a_newer_one_changes_nothing():
    timeline = memory_timeline()
    newer = [row("RUS1", day(6), revised=day(15), fatalities=9), row("RUS5", day(14), revised=day(15))]
    imported(timeline, newer)
    result = imported(timeline, first_export())
    assert (result.counts.older, result.counts.new, result.counts.removed) == (1, 2, 0)


# -- a re-import reads again only the rows it has not read before --------------------------------


@pytest.fixture
def built(monkeypatch):
    """The rows whose events were built (and validated), by id, as imports run."""
    ids: list[str] = []
    build = acled._events_of

    def counting(read):
        ids.append(read.record_id)
        return build(read)

    monkeypatch.setattr(acled, "_events_of", counting)
    return ids


def test_a_re_import_builds_the_events_of_new_and_revised_rows_only(built):
    timeline = memory_timeline()
    imported(timeline, first_export())
    assert sorted(built) == ["RUS1", "RUS2", "RUS3"]
    built.clear()
    again = imported(timeline, first_export())
    assert (again.counts.unchanged, again.append.count, built) == (3, 0, [])
    second = [row("RUS1", day(6)), row("RUS2", day(7), revised=day(12), fatalities=5), row("RUS4", day(9))]
    result = imported(timeline, second)
    assert (result.counts.unchanged, result.counts.updated, result.counts.new, result.counts.removed) == (1, 1, 1, 1)
    assert sorted(built) == ["RUS2", "RUS4"]


def test_the_same_cells_under_other_column_names_are_read_again_and_refused_as_other_content(built):
    timeline = memory_timeline()
    imported(timeline, first_export())
    original = csv_bytes(first_export())
    header, _, rest = original.partition(b"\r\n")
    renamed = header.replace(b"admin2,admin3,location", b"location,admin3,admin2")
    assert renamed != header
    built.clear()
    with pytest.raises(
        BadEvent, match=r"row 2: timestamp: RUS1 with timestamp \d+ is already in the log with other content"
    ):
        timeline.import_acled(io.BytesIO(renamed + b"\r\n" + rest), name="acled.csv")
    assert built == ["RUS1"]


def test_a_file_saved_another_way_is_read_in_full_once_then_known_by_its_cells(db_path, built):
    with Timeline.init(db_path) as timeline:
        imported(timeline, first_export())
        built.clear()
        saved = spreadsheet_bytes(first_export(), date_form="d-Mon-yyyy", separator=";")
        result = timeline.import_acled(io.BytesIO(saved), name="saved.csv")
        assert (result.counts.unchanged, result.append.count, sorted(built)) == (3, 0, ["RUS1", "RUS2", "RUS3"])
    built.clear()
    with Timeline.open(db_path) as timeline:  # what the first read of it learnt was kept
        result = timeline.import_acled(io.BytesIO(saved), name="saved.csv")
        assert (result.counts.unchanged, built) == (3, [])
        assert "decimal comma" in (result.read_as or "")  # said even though no row was built


def test_a_malformed_row_is_refused_even_where_the_log_holds_a_newer_version():
    timeline = memory_timeline()
    imported(timeline, [row("RUS1", day(6), revised=day(15))])
    with pytest.raises(BadEvent, match=r"acled.csv:row 2: latitude: "):
        imported(timeline, [row("RUS1", day(6), latitude=123.0)])


def test_rows_whose_cells_the_log_does_not_know_are_read_in_full(db_path, built):
    with Timeline.init(db_path) as timeline:
        imported(timeline, first_export())
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("DELETE FROM row_cells")  # a log written before the cells were kept, or a copy
    built.clear()
    with Timeline.open(db_path) as timeline:
        result = imported(timeline, first_export())
    assert (result.counts.unchanged, sorted(built)) == (3, ["RUS1", "RUS2", "RUS3"])


def test_rows_read_by_another_version_of_the_reader_are_read_in_full(monkeypatch, built):
    timeline = memory_timeline()
    imported(timeline, first_export())
    monkeypatch.setattr(acled, "_reader_digest", lambda: b"another reader")
    built.clear()
    result = imported(timeline, first_export())
    assert (result.counts.unchanged, sorted(built)) == (3, ["RUS1", "RUS2", "RUS3"])


def test_a_row_repeated_word_for_word_is_read_once():
    timeline = memory_timeline()
    result = imported(timeline, [row("RUS1", day(6)), row("RUS1", day(6))])
    assert (result.counts.new, result.counts.repeated, result.append.count) == (1, 1, 1)


def test_the_cli_counts_one_row_as_a_row(tmp_path):
    db = tmp_path / "acled.db"
    assert invoke("init", "--db", db).exit_code == 0
    result = invoke("import", write_csv(tmp_path / "one.csv", [row("RUS1", day(6))]), "--format", "acled", "--db", db)
    assert "1 row: 1 new, 0 updated, 0 removed, 0 unchanged; appended 1 event;" in result.output, result.output


def test_the_cli_prints_the_counts_and_json(tmp_path):
    db = tmp_path / "acled.db"
    assert invoke("init", "--db", db).exit_code == 0
    first = write_csv(tmp_path / "first.csv", first_export())
    result = invoke("import", first, "--format", "acled", "--db", db)
    assert result.exit_code == 0, result.output
    assert "3 rows: 3 new, 0 updated, 0 removed, 0 unchanged; appended 3 events" in result.output
    second = write_csv(
        tmp_path / "second.csv", [row("RUS1", day(6)), row("RUS3", day(8), revised=day(15), fatalities=2)]
    )
    result = invoke("import", second, "--format", "acled", "--db", db, "--json")
    counts = json.loads(result.output)
    assert {key: counts[key] for key in ("new", "updated", "removed", "unchanged", "appended")} == {
        "new": 0,
        "updated": 1,
        "removed": 1,
        "unchanged": 1,
        "appended": 3,  # a retraction and the new version; a retraction of the dropped row
    }


def test_progress_is_reported_as_rows_are_read():
    timeline = memory_timeline()
    seen: list[int] = []
    rows = [row(f"RUS{n}", day(1 + n % 20)) for n in range(2_500)]
    timeline.import_acled(io.BytesIO(csv_bytes(rows)), progress=seen.append)
    assert sum(seen) == 2_500 and len(seen) == 3


# -- bad input -------------------------------------------------------------------------------

BAD_ROWS = [
    ({"event_date": "2024-02-30"}, "event_date", "not a real calendar day"),
    ({"event_date": "31 June 2024"}, "event_date", "not a real calendar day"),
    ({"latitude": 123}, "latitude", "between -90 and 90"),
    ({"longitude": -190.5}, "longitude", "between -180 and 180"),
    ({"latitude": ""}, "latitude", "required when longitude is given"),
    ({"fatalities": "many"}, "fatalities", "expected a whole number, not 'many'"),
    ({"fatalities": "-1"}, "fatalities", "expected a whole number"),
    ({"time_precision": 4}, "time_precision", "expected 1 (day), 2 (week) or 3 (month)"),
    ({"timestamp": "yesterday"}, "timestamp", "expected a whole number"),
    ({"timestamp": timestamp(day(1))}, "timestamp", "is before event_date"),
    ({"year": 2023}, "year", "does not match event_date"),
    ({"geo_precision": 7}, "geo_precision", "one of 1, 2, 3"),
    ({"event_id_cnty": "RUS 1"}, "event_id_cnty", "expected letters and digits"),
    ({"event_type": ""}, "event_type", "empty (required)"),
    ({"source": ""}, "source", "empty (required)"),
    ({"notes": "bell \x07"}, "notes", "control character"),
    ({"civilian_targeting": "maybe"}, "civilian_targeting", "'Civilian targeting'"),
]


@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS)
def test_a_malformed_row_stops_the_import_naming_row_and_column_and_changes_nothing(
    tmp_path, fingerprint, change, column, message
):
    db = tmp_path / "acled.db"
    with Timeline.init(db) as timeline:
        timeline.import_acled(io.BytesIO(csv_bytes(first_export())))
    before = fingerprint(db)
    source = write_csv(tmp_path / "bad.csv", [row("RUS7", day(10)), row("RUS8", day(10), **change)])
    result = invoke("import", source, "--format", "acled", "--db", db)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {source}:row 3: {column}: ") and message in result.output
    assert result.output.count("\n") == 1
    assert fingerprint(db) == before


def test_the_same_id_and_timestamp_twice_with_other_content_is_refused(tmp_path):
    rows = [row("RUS1", day(6)), row("RUS2", day(7)), row("RUS1", day(6), fatalities=4)]
    with pytest.raises(BadEvent) as refused:
        memory_timeline().import_acled(io.BytesIO(csv_bytes(rows)), name="acled.csv")
    assert str(refused.value).startswith("acled.csv:row 4: event_id_cnty: RUS1 with timestamp")
    assert "also on row 2 with other content" in str(refused.value)


def test_two_versions_of_one_row_in_one_export_are_refused():
    rows = [row("RUS1", day(6)), row("RUS1", day(6), revised=day(9))]
    with pytest.raises(BadEvent, match=r"row 3: event_id_cnty: RUS1 is also on row 2 with timestamp"):
        memory_timeline().import_acled(io.BytesIO(csv_bytes(rows)), name="acled.csv")


def test_a_logged_version_with_other_content_under_the_same_timestamp_is_refused():
    timeline = memory_timeline()
    imported(timeline, first_export())
    with pytest.raises(
        BadEvent, match=r"acled.csv:row 2: timestamp: RUS1 with timestamp \d+ is already in the log with other content"
    ):
        imported(timeline, [row("RUS1", day(6), fatalities=8)])


WRONG_FILES = [
    (b"", "the file is empty"),
    (b'{"kind": "statement.made"}\n', "JSON, not an ACLED CSV export"),
    (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", "spreadsheet or zip archive (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 spreadsheet (.xls)"),
    (csv_bytes([]), "no rows after the header"),
    (b"event_id_cnty,event_date\r\nRUS1,2024-08-06\r\n", "missing columns time_precision, event_type"),
    (b"event_id_cnty|event_date|timestamp\r\n", "not separated by commas"),
    (b"event_id_cnty;event_date;timestamp\r\nRUS1;2024-08-06;1\r\n", "missing columns time_precision, event_type"),
    (
        csv_bytes([row("RUS1", day(6), location="Sudzh\u00e1"), row("RUS2", day(7))]).replace(b"Sudzha", b"Sudzh\xe9"),
        "the file mixes encodings",
    ),
    (csv_bytes([row("RUS1", day(6))]) + b"RUS2,2024-08-07\r\n", "row 3: has 2 cells, but the header has 31 columns"),
]


@pytest.mark.parametrize(("content", "message"), WRONG_FILES)
def test_a_wrong_file_is_refused_in_one_line_and_changes_nothing(tmp_path, fingerprint, content, message):
    db = tmp_path / "acled.db"
    with Timeline.init(db):
        pass
    before = fingerprint(db)
    source = tmp_path / "export.csv"
    source.write_bytes(content)
    result = invoke("import", source, "--format", "acled", "--db", db)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {source}") and message in result.output, result.output
    assert result.output.count("\n") == 1
    assert fingerprint(db) == before


def test_a_missing_file_and_a_directory_are_refused(tmp_path):
    db = tmp_path / "acled.db"
    with Timeline.init(db):
        pass
    assert "cannot read" in invoke("import", tmp_path / "none.csv", "--format", "acled", "--db", db).output
    assert (
        "is a directory, not an ACLED CSV export" in invoke("import", tmp_path, "--format", "acled", "--db", db).output
    )


def test_stdin_is_read_too(tmp_path):
    db = tmp_path / "acled.db"
    with Timeline.init(db):
        pass
    result = invoke("import", "-", "--format", "acled", "--db", db, input=csv_bytes(first_export()))
    assert result.exit_code == 0 and "3 new" in result.output


def test_paths_are_accepted_as_strings_and_paths(tmp_path):
    source = write_csv(tmp_path / "first.csv", first_export())
    timeline = memory_timeline()
    assert timeline.import_acled(str(source)).counts.new == 3
    assert timeline.import_acled(Path(source)).counts.unchanged == 3
