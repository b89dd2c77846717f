"""`verify` re-hashes every row every time; `verify --quick` re-hashes only the rows after the head
the last intact check recorded, reads the links of the rest, and says what it did not read."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import helpers
from click.testing import CliRunner

from timeline.api import Timeline
from timeline.cli import cli


def statement(event_id: str, day: int = 12) -> dict:
    return helpers.statement(event_id, f"2024-08-{day:02d}")


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


def test_a_quick_check_re_hashes_only_what_is_new_and_a_plain_check_everything(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        first = timeline.verify(quick=True)
        assert first.ok and first.quick_from is None  # nothing checked before: every row re-hashed
        for n in range(5, 8):
            timeline.append(statement(f"s{n}"))  # each append continues the checked chain, and vouches for it
        second = timeline.verify(quick=True)
        assert second.ok and second.quick_from == 9 and second.events == 8
        assert timeline.verify().quick_from is None


def test_the_issue_s_edit_made_after_a_check_is_found_by_the_plain_check(tmp_path):
    # Verified once, then an edit with the triggers dropped and put back: every later plain check finds it.
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
    assert verify(db)["ok"]
    with Timeline.open(db) as timeline:
        timeline.append(statement("s5"))  # continues the checked chain: the head moves with it
        assert timeline.store.verified_head()[0] == 6
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 2")
    for _ in range(2):
        report = verify(db)
        assert not report["ok"] and report["first_bad_seq"] == 2
        assert "content does not match its hash" in report["problem"]


def test_a_quick_check_says_what_it_did_not_read(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
    assert verify(db)["ok"]
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 2")
    quick = CliRunner().invoke(cli, ["verify", "--db", str(db), "--quick"])
    assert quick.exit_code == 0  # the edit lies in what the quick check leaves unread, and it says so
    assert "seq 1 to 5 were not re-hashed" in quick.stdout and "without --quick" in quick.stdout
    assert verify(db, "--quick")["content_checked_from"] == 6
    assert verify(db)["first_bad_seq"] == 2


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
    assert verify(db, "--quick")["first_bad_seq"] == 2  # the links of every row are read every time


def test_an_edit_of_the_recorded_head_itself_sends_the_quick_check_back_to_the_first_event(tmp_path):
    db = tmp_path / "log.db"
    with Timeline.init(db) as timeline:
        for n in range(5):
            timeline.append(statement(f"s{n}"))
        timeline.verify()
        timeline.append(statement("s5"))
        assert timeline.store.verified_head()[0] == 6
    tamper(db, "UPDATE events SET source = 'edited' WHERE seq = 6")
    report = verify(db, "--quick")
    assert report["first_bad_seq"] == 6 and report["content_checked_from"] == 1


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
