"""`verify` starts after the head the last intact check recorded; `verify --full` reads every row."""

from __future__ import annotations

import contextlib
import json
import sqlite3

from click.testing import CliRunner

from timeline.api import Timeline
from timeline.cli import cli


def statement(event_id: str, day: int = 12) -> dict:
    return {
        "event_id": event_id,
        "kind": "statement.made",
        "occurred_on": f"2024-08-{day:02d}",
        "source": "Wire",
        "data": {"speaker": "S", "summary": f"Said {event_id}."},
    }


def tamper(db, sql: str) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TRIGGER events_refuse_update")
        conn.execute(sql)
        conn.execute(
            "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events "
            "BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END"
        )
        conn.commit()


def verify(db, *options: str) -> dict:
    result = CliRunner().invoke(cli, ["verify", "--db", str(db), "--json", *options])
    return json.loads(result.stdout)


def test_the_first_check_reads_every_row_and_later_ones_only_what_is_new(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        first = timeline.verify(full=False)
        assert first.ok and first.checked_from == 1
        for n in range(5, 8):
            timeline.append(statement(f"s{n}"))  # each append continues the checked chain
        second = timeline.verify(full=False)
        assert second.ok and second.checked_from == 9 and second.events == 8
        assert timeline.verify(full=True).checked_from == 1


def test_an_edit_before_the_recorded_head_is_left_to_the_full_check(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
    assert verify(db)["ok"]  # the first check reads every row
    with Timeline.open(db) as timeline:
        timeline.append(statement("s5"))  # continues the checked chain: the head moves with it
        assert timeline.store.verified_head()[0] == 6
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 2")
    assert verify(db)["ok"]  # content before the recorded head is left to --full
    assert verify(db, "--full")["first_bad_seq"] == 2


def test_a_row_removed_before_the_recorded_head_is_found_by_the_quick_check(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
    assert verify(db)["ok"]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TRIGGER events_refuse_delete")
        conn.execute("DELETE FROM events WHERE seq = 2")
        conn.commit()
    assert verify(db)["first_bad_seq"] == 2  # the links of every row are checked every time


def test_an_edit_of_the_recorded_head_itself_sends_the_check_back_to_the_first_event(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        timeline.verify(full=False)
        timeline.append(statement("s5"))
        assert timeline.store.verified_head()[0] == 6
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 6")
    report = verify(db)
    assert report["first_bad_seq"] == 6


def test_a_log_never_checked_gets_a_full_check_and_a_failed_check_records_nothing(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(3):
            timeline.append(statement(f"s{n}"))
        assert timeline.store.verified_head() is None  # appends alone never vouch for a chain
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 3")
    assert not verify(db)["ok"]
    with Timeline.open(db, read_only=True) as timeline:
        assert timeline.store.verified_head() is None
