"""Date precision: an event dated only to a week or a month says so, and older logs read as day-precise."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

import helpers
import pytest
import sqlite_utils
from click.testing import CliRunner

from events.codec import event_from_record, event_to_record
from events.envelope import DatePrecision
from timeline.api import Timeline
from timeline.cli import cli
from timeline.cli.render import describe
from timeline.errors import BadEvent
from timeline.store import memory_store
from timeline.store import sqlite_schema as schema
from timeline.store.rows import record_to_row


def statement(event_id: str, **envelope: object) -> dict[str, object]:
    return helpers.statement(event_id, "2024-08-16", **envelope)


@pytest.mark.parametrize(
    "precision, day, wording",
    [
        (DatePrecision.DAY, dt.date(2024, 8, 16), "2024-08-16"),
        (DatePrecision.WEEK, dt.date(2024, 8, 16), "in the week of 2024-08-12"),  # a Friday: its Monday
        (DatePrecision.WEEK, dt.date(2024, 8, 12), "in the week of 2024-08-12"),
        (DatePrecision.MONTH, dt.date(2024, 8, 16), "in August 2024"),
    ],
)
def test_a_date_is_described_as_precisely_as_its_source_gave_it(precision, day, wording):
    assert precision.describe(day) == wording


def test_a_day_precise_record_is_written_without_the_field():
    # Records written before precision existed keep their exact spelling, and so their hashes.
    event = event_from_record(statement("s-1"))
    assert event.date_precision is DatePrecision.DAY
    assert "date_precision" not in event_to_record(event)


def test_a_coarser_precision_round_trips_through_the_record():
    event = event_from_record(statement("s-1", date_precision="month"))
    assert event.date_precision is DatePrecision.MONTH
    assert event.occurred == "in August 2024"
    assert event_to_record(event)["date_precision"] == "month"


def test_an_unknown_precision_is_an_error_naming_the_field():
    with pytest.raises(BadEvent) as error:
        Timeline(memory_store()).append(statement("s-1", date_precision="fortnight"))
    assert error.value.field == "date_precision"
    assert "day, week, month" in str(error.value)


def test_the_store_keeps_the_precision_and_replay_reads_it(tmp_path):
    with Timeline.init(tmp_path / "log.db") as timeline:
        timeline.append(statement("s-week", date_precision="week"))
        timeline.append(statement("s-day"))
        by_id = {recorded.event_id: recorded.event.date_precision for recorded in timeline.events()}
        assert by_id == {"s-week": DatePrecision.WEEK, "s-day": DatePrecision.DAY}
        assert timeline.verify().ok


def _store_at_version_2(path) -> None:
    """A log as version 2 wrote it: no date_precision column, one event in it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        db = sqlite_utils.Database(conn)
        conn.execute("BEGIN")
        schema.create_version_1(db)
        schema.MIGRATIONS[2](db)
        conn.execute("PRAGMA user_version = 2")
        conn.execute("COMMIT")
    # Write the row as version 2 did, bypassing append (which would upgrade the store first).
    row = record_to_row(event_to_record(event_from_record(statement("old-1"))), 1, "2024-08-17T00:00:00", "0" * 64)
    del row["date_precision"]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        conn.execute("UPDATE log_head SET seq = 1, hash = ?", [row["hash"]])
        conn.commit()


def test_a_version_2_log_reads_as_day_precise_and_keeps_its_hashes_when_upgraded(tmp_path):
    path = tmp_path / "v2.db"
    _store_at_version_2(path)
    with Timeline.open(path, read_only=True) as timeline:
        (old,) = timeline.events()
        assert old.event.date_precision is DatePrecision.DAY
        assert timeline.verify().ok
        head_before = timeline.store.head()
    with Timeline.open(path) as timeline:
        timeline.append(statement("new-1", date_precision="week"))
        assert timeline.store.schema_version == schema.CURRENT_VERSION
        report = timeline.verify()
        assert report.ok, report.problem
        assert timeline.store.rows().__next__()["hash"] == head_before[1]
        view = list(timeline.store.db.query("SELECT event_id, date_precision FROM kind_statement_made ORDER BY seq"))
        assert view == [{"event_id": "old-1", "date_precision": "day"}, {"event_id": "new-1", "date_precision": "week"}]


# -- facts and output show the precision --------------------------------------------------------


def test_a_fact_attributed_to_a_week_precise_event_says_so_in_text_and_json(tmp_path):
    with Timeline.init(tmp_path / "log.db") as timeline:
        timeline.append(
            {
                "event_id": "w-1",
                "kind": "civilians.displaced",
                "occurred_on": "2024-08-22",
                "date_precision": "week",
                "source": "Manturov",
                "data": {"region": "Kursk Oblast", "count": 115000, "basis": "total"},
            }
        )
        snapshot = timeline.state(dt.date(2024, 8, 22))
    fact = snapshot.facts()["displacement.Kursk Oblast"]
    assert "(Manturov, in the week of 2024-08-19)" in fact.describe()
    (figure,) = snapshot.to_json()["displacement"]["Kursk Oblast"]["figures"]
    assert figure["claim"]["date_precision"] == "week" and figure["claim"]["on"] == "2024-08-22"


def _cli_db(tmp_path, *extra: str):
    tmp_path.mkdir(exist_ok=True)
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", db]).exit_code == 0
    data = '{"speaker": "Volodymyr Zelenskyy", "summary": "Captured Russians will be exchanged."}'
    args = ["append", "statement.made", "--db", db, "--on", "2024-08-16", "--source", "Article", "--data", data]
    result = runner.invoke(cli, [*args, "--id", "z-1", *extra])
    return runner, db, result


def test_append_takes_a_date_precision_and_log_diff_and_why_show_it(tmp_path):
    runner, db, result = _cli_db(tmp_path, "--date-precision", "month", "--unverified")
    assert result.exit_code == 0, result.output
    (recorded,) = Timeline.open(db, read_only=True).events()
    assert recorded.event.date_precision is DatePrecision.MONTH
    log = runner.invoke(cli, ["log", "--db", db]).output
    assert log.rstrip().endswith("[in August 2024] [unverified]")
    diff = runner.invoke(cli, ["diff", "2024-08-15", "2024-08-16", "--db", db]).output
    assert "  2024-08-16  z-1  Volodymyr Zelenskyy: Captured" in diff
    assert diff.rstrip().endswith("[in August 2024] [unverified]")


def test_append_without_a_precision_is_day_precise_and_a_bad_one_is_a_usage_error(tmp_path):
    runner, db, result = _cli_db(tmp_path)
    assert result.exit_code == 0
    assert "[" not in runner.invoke(cli, ["log", "--db", db]).output.splitlines()[-1]
    _, _, bad = _cli_db(tmp_path / "other", "--date-precision", "fortnight")
    assert bad.exit_code == 2 and "--date-precision" in bad.output


def test_the_flags_survive_shortening(tmp_path):
    with Timeline.init(tmp_path / "log.db") as timeline:
        timeline.append(
            statement("long", date_precision="week", unverified=True) | {"data": {"speaker": "S", "summary": "x" * 300}}
        )
        (recorded,) = timeline.events()
    text = describe(recorded, 80)
    assert len(text) <= 80 and text.endswith("… [in the week of 2024-08-12] [unverified]")


def test_why_shows_the_precision_of_the_events_behind_a_fact():
    result = CliRunner().invoke(cli, ["why", "territory.claims.Russia", "--as-of", "2024-08-16"])
    assert result.exit_code == 0, result.output
    assert "(in August 2024, unverified)" in result.output.splitlines()[0]
    assert (
        'Russia: "less than half of Kyiv\'s figure" (read as up to 500 km²) (total) in Kursk Oblast [in August 2024]'
        in (result.output)
    )
