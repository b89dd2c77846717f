"""ACLED files as users have them: saved by a spreadsheet (its date forms, separator, encoding),
older layouts, columns dropped or added. Each imports to the same events as ACLED's own export,
or is refused in one line that says what to do."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from acled_samples import COLUMNS, DATE_FORMS, csv_bytes, row, spreadsheet_bytes
from helpers import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.api import Timeline
from timeline.errors import BadArgument, BadEvent
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)
NUMERIC_FORMS = {"dd/mm/yyyy 00:00:00": "dmy", "m/d/yyyy 12:00:00 AM": "mdy", "dd.mm.yyyy": "dmy"}


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


def rows_on(*days: int) -> list[dict]:
    return [row(f"RUS{n}", day(n), revised=day(max(days) + 1)) for n in days]


def import_bytes(data: bytes, **options):
    timeline = Timeline(memory_store())
    result = timeline.import_acled(io.BytesIO(data), name="acled.csv", **options)
    return timeline, result


def dated_events(timeline: Timeline) -> list[tuple[str, dt.date, dt.date]]:
    return [(e.event.event_id, e.event.occurred_on, e.event.reported_on) for e in timeline.events()]


def as_exported(rows: list[dict]) -> list[tuple[str, dt.date, dt.date]]:
    timeline, _ = import_bytes(csv_bytes(rows))
    return dated_events(timeline)


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(DATE_FORMS))
def test_every_spreadsheet_date_form_reads_as_the_same_days(form):
    # Days 6 and 7 read both ways when numeric; day 14 settles the order, after them in the file.
    rows = rows_on(6, 7, 14)
    timeline, result = import_bytes(spreadsheet_bytes(rows, date_form=form))
    assert dated_events(timeline) == as_exported(rows)
    if form in NUMERIC_FORMS:
        order = {"dmy": "day/month/year", "mdy": "month/day/year"}[NUMERIC_FORMS[form]]
        assert f"dates {order} (from row 4 (" in result.read_as


def test_a_two_digit_year_is_this_century_as_spreadsheets_write_it():
    timeline, result = import_bytes(spreadsheet_bytes(rows_on(9), date_form="d-Mon-yy"))
    assert [occurred for _, occurred, _ in dated_events(timeline)] == [day(9)]
    assert "dates 16-Aug-24" in result.read_as


def test_a_file_whose_every_date_reads_both_ways_is_refused_unless_the_order_is_given(tmp_path, fingerprint):
    rows = rows_on(6, 7, 8)
    data = spreadsheet_bytes(rows, date_form="dd/mm/yyyy 00:00:00")
    with pytest.raises(
        BadEvent, match=r"acled.csv:row 2: event_date: every date in the file reads both .*--date-order"
    ):
        import_bytes(data)
    timeline, result = import_bytes(data, date_order="dmy")
    assert dated_events(timeline) == as_exported(rows)
    assert "dates day/month/year (--date-order)" in result.read_as
    timeline, _ = import_bytes(data, date_order="mdy")  # as told: 06/08 is then 8 June
    assert [occurred for _, occurred, _ in dated_events(timeline)] == [
        dt.date(2024, 6, 8),
        dt.date(2024, 7, 8),
        dt.date(2024, 8, 8),
    ]
    # From the command line: one line, exit 2, the log as it was.
    db, source = tmp_path / "log.db", tmp_path / "saved.csv"
    with Timeline.init(db):
        pass
    before = fingerprint(db)
    source.write_bytes(data)
    result = invoke("import", source, "--format", "acled", "--db", db)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "give --date-order dmy or --date-order mdy" in result.output
    assert fingerprint(db) == before
    assert invoke("import", source, "--format", "acled", "--date-order", "dmy", "--db", db).exit_code == 0


def test_a_file_that_mixes_day_month_orders_is_refused_at_the_row_that_breaks_it():
    data = spreadsheet_bytes(rows_on(14), date_form="dd/mm/yyyy 00:00:00")
    data += spreadsheet_bytes(rows_on(15), date_form="m/d/yyyy 12:00:00 AM").split(b"\r\n", 1)[1]
    with pytest.raises(BadEvent, match=r"acled.csv:row 3: event_date: '8/15/2024 12:00:00 AM' reads only as month/day"):
        import_bytes(data)


def test_a_given_order_that_a_day_contradicts_names_the_day():
    data = spreadsheet_bytes(rows_on(14), date_form="dd/mm/yyyy 00:00:00")
    with pytest.raises(
        BadEvent, match=r"row 2: event_date: '14/08/2024 00:00:00' reads only as day/month/year.*--date-order"
    ):
        import_bytes(data, date_order="mdy")


@pytest.mark.parametrize("value", ["2024-13-01", "31/02/2024", "16 Augustus 2024", "yesterday", "30/31/2024"])
def test_a_date_in_no_form_or_not_on_the_calendar_is_refused(value):
    rows = [{**rows_on(14)[0], "event_date": "2024-08-14"}]
    data = csv_bytes(rows).replace(b"2024-08-14", value.encode())
    with pytest.raises(BadEvent, match=r"acled.csv:row 2: event_date: "):
        import_bytes(data)


@settings(max_examples=25, deadline=None)
@given(
    days=st.lists(st.integers(min_value=1, max_value=31), min_size=1, max_size=6),
    form=st.sampled_from(sorted(DATE_FORMS)),
)
def test_with_its_order_given_any_date_form_reads_as_the_export_does(days, form):
    rows = rows_on(*days)
    order = NUMERIC_FORMS.get(form)
    timeline, _ = import_bytes(spreadsheet_bytes(rows, date_form=form), date_order=order)
    assert dated_events(timeline) == as_exported(rows)


# -- encodings and separators ------------------------------------------------------------------


def test_windows_1252_is_detected_and_said():
    rows = [row("RUS1", day(14), notes="Ukraine’s forces entered Sudzha – officials said.")]
    timeline, result = import_bytes(spreadsheet_bytes(rows, encoding="cp1252"))
    (recorded,) = timeline.events()
    assert recorded.event.payload.notes == "Ukraine’s forces entered Sudzha – officials said."
    assert result.read_as.startswith("read as Windows-1252 (line 2 is not UTF-8)")


def test_an_encoding_can_be_given_and_a_wrong_one_is_refused(tmp_path):
    rows = [row("RUS1", day(14), location="Bol'shoye Soldatskoye", notes="Łukasz said so.")]
    timeline, result = import_bytes(spreadsheet_bytes(rows, encoding="cp1250"), encoding="cp1250")
    assert next(iter(timeline.events())).event.payload.notes == "Łukasz said so."
    assert result.read_as.startswith("read as cp1250 (--encoding)")
    source = tmp_path / "x.csv"
    source.write_bytes(spreadsheet_bytes(rows))
    assert invoke("init", "--db", tmp_path / "x.db").exit_code == 0
    result = invoke("import", source, "--format", "acled", "--encoding", "klingon", "--db", tmp_path / "x.db")
    assert result.exit_code == 2 and "--encoding 'klingon' is not an encoding" in result.output


def test_utf8_text_beside_other_bytes_is_refused_not_guessed():
    rows = [row("RUS1", day(14), notes="Sudzha – first"), row("RUS2", day(15), notes="Sudzha – second")]
    data = spreadsheet_bytes(rows).replace("– second".encode(), "– second".encode("cp1252"))
    with pytest.raises(BadEvent, match=r"acled.csv: line 3 is not UTF-8, but the text before it was UTF-8"):
        import_bytes(data)


def test_excel_unicode_text_utf16_with_tabs_imports():
    rows = rows_on(6, 14)
    data = b"\xff\xfe" + spreadsheet_bytes(rows, separator="\t", encoding="utf-16-le")
    timeline, result = import_bytes(data)
    assert dated_events(timeline) == as_exported(rows)
    assert result.read_as.startswith("read as UTF-16; tab-separated with decimal commas")


def test_a_semicolon_file_with_decimal_commas_reads_its_coordinates():
    rows = rows_on(14)
    timeline, result = import_bytes(spreadsheet_bytes(rows, separator=";", date_form="dd.mm.yyyy"))
    payload = next(iter(timeline.events())).event.payload
    assert (payload.latitude, payload.longitude) == (51.1919, 35.2716)
    assert "semicolon-separated with decimal commas" in result.read_as


def test_a_hashtag_row_under_the_header_is_passed_over():
    lines = csv_bytes(rows_on(14)).split(b"\r\n", 1)
    hashtags = b",".join(b"#" + column.encode().replace(b"_", b"+") for column in COLUMNS)
    timeline, result = import_bytes(lines[0] + b"\r\n" + hashtags + b"\r\n" + lines[1])
    assert len(dated_events(timeline)) == 1
    assert "row 2 skipped: HXL hashtags" in result.read_as


def test_a_timestamp_a_spreadsheet_rounded_is_refused_with_what_to_do():
    data = csv_bytes(rows_on(14)).replace(str(rows_on(14)[0]["timestamp"]).encode(), b"1.72367E+09")
    with pytest.raises(BadEvent, match=r"row 2: timestamp: '1.72367E\+09' is in scientific notation"):
        import_bytes(data)


# -- layouts ------------------------------------------------------------------------------------

# ACLED's layout before 2023: its own row numbers and ISO alpha-3 beside the columns read, and no
# disorder_type.
OLD_LAYOUT = (
    "data_id",
    "iso",
    "event_id_cnty",
    "event_id_no_cnty",
    *(column for column in COLUMNS if column not in {"iso", "event_id_cnty", "disorder_type"}),
    "iso3",
)


def test_the_layout_before_2023_imports():
    rows = [
        {**values, "data_id": 900 + n, "event_id_no_cnty": n, "iso3": "RUS"} for n, values in enumerate(rows_on(6, 14))
    ]
    timeline, result = import_bytes(spreadsheet_bytes(rows, columns=OLD_LAYOUT, date_form="d-Mon-yyyy"))
    assert dated_events(timeline) == as_exported(rows_on(6, 14))
    assert "optional columns absent: disorder_type" in result.read_as
    assert "columns not read" not in result.read_as


def test_optional_columns_dropped_or_extra_columns_added_import_and_are_said():
    columns = (*(c for c in COLUMNS if c not in {"actor2", "assoc_actor_2", "inter2"}), "id", "actor_dyad")
    timeline, result = import_bytes(spreadsheet_bytes(rows_on(6, 14), columns=columns, date_form="d-Mon-yy"))
    assert [payload.actor2 for payload in (e.event.payload for e in timeline.events())] == [None, None]
    assert "columns not read: id, actor_dyad" in result.read_as
    assert "optional columns absent: actor2, assoc_actor_2, inter2" in result.read_as


def test_a_missing_required_column_is_named():
    columns = tuple(column for column in COLUMNS if column != "fatalities")
    with pytest.raises(BadEvent, match=r"acled.csv:row 1: missing column fatalities;"):
        import_bytes(spreadsheet_bytes(rows_on(14), columns=columns))


def test_an_option_another_format_takes_is_refused_by_name(tmp_path):
    timeline = Timeline(memory_store())
    with pytest.raises(BadArgument, match=r"date_order is an option of --format acled or ucdp, not jsonl"):
        timeline.import_file(io.BytesIO(b""), "jsonl", name="x.jsonl", date_order="dmy")
    assert invoke("init", "--db", tmp_path / "x.db").exit_code == 0
    result = invoke("import", "-", "--date-order", "dmy", "--db", tmp_path / "x.db", input="")
    assert result.exit_code == 2 and "--date-order is an option of --format acled or ucdp, not jsonl" in result.output
