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


def test_an_incremental_check_reads_only_what_is_new_and_a_full_one_everything(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        first = timeline.verify(full=False)
        assert first.ok and first.checked_from == 1
        for n in range(5, 8):
            timeline.append(statement(f"s{n}"))
        second = timeline.verify(full=False)
        assert second.ok and second.checked_from == 6 and second.events == 8
        timeline.append(statement("s8"))
        timeline.append(statement("s9"))
    # An edit after the recorded head is found by the quick check.
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 9")
    assert verify(db)["first_bad_seq"] == 9
    assert verify(db, "--full")["first_bad_seq"] == 9


def test_an_edit_before_the_recorded_head_is_left_to_the_full_check(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
    assert verify(db)["ok"]
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 2")
    assert verify(db)["ok"]  # the quick check starts after seq 5
    assert verify(db, "--full")["first_bad_seq"] == 2


def test_an_edit_of_the_recorded_head_itself_sends_the_check_back_to_the_first_event(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        timeline.verify(full=False)
        timeline.append(statement("s5"))
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 5")
    assert verify(db)["first_bad_seq"] == 5


def test_a_failed_check_records_nothing(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(3):
            timeline.append(statement(f"s{n}"))
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 3")
    assert not verify(db)["ok"]
    with Timeline.open(db, read_only=True) as timeline:
        assert timeline.store.verified_head() is None
