"""Plain `timeline verify` finds an edit made after a first check, through each database's own tool
(Python's sqlite3 module; `psql`), with the append-only triggers dropped and put back: the case
where an incremental check answered "ok". The store contract holds the full matrix of columns;
this is what a user runs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers import invoke as run

DATASET = Path(__file__).parent.parent / "timeline" / "datasets" / "kursk-2024.jsonl"

# The edits of seq 5, each once passed by the default check.
EDITS = {
    "data": "UPDATE events SET data = replace(data, 'Kursk Oblast', 'Kaluga Oblast') WHERE seq = 5",
    "source": "UPDATE events SET source = 'someone else' WHERE seq = 5",
    "occurred_on": "UPDATE events SET occurred_on = '2024-08-05' WHERE seq = 5",
    "reported_on": "UPDATE events SET reported_on = '2024-09-05' WHERE seq = 5",
    "kind": "UPDATE events SET kind = 'statement.made' WHERE seq = 5",
    "note": "UPDATE events SET note = 'edited' WHERE seq = 5",
    "unverified": "UPDATE events SET unverified = 1 - unverified WHERE seq = 5",
}


def checked_copy(db: str) -> None:
    """The bundled log in `db`, verified once (so the check records the head it found intact)."""
    for args in (("init", "--db", db), ("import", DATASET, "--db", db), ("verify", "--db", db)):
        result = run(*args)
        assert result.exit_code == 0, result.output


def assert_found_at_seq_5(db: str) -> None:
    result = run("verify", "--db", db)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("FAILED: seq 5: "), result.stderr
    report = json.loads(run("verify", "--db", db, "--json").stdout)
    assert report["ok"] is False and report["first_bad_seq"] == 5


def edit_sqlite(db: Path, sql: str) -> None:
    """Drop the four guards, edit, create them again from their own SQL."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        assert len(triggers) == 4
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql)
        for _, create in triggers:
            conn.execute(create)
        conn.commit()


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edit_after_a_check_is_found_on_sqlite(tmp_path, column):
    db = tmp_path / "kursk.db"
    checked_copy(str(db))
    edit_sqlite(db, EDITS[column])
    assert_found_at_seq_5(str(db))


def test_a_trigger_left_dropped_and_the_edit_are_both_reported(tmp_path):
    db = tmp_path / "kursk.db"
    checked_copy(str(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TRIGGER events_refuse_update")
        conn.execute(EDITS["data"])
        conn.commit()
    result = run("verify", "--db", db)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("FAILED: seq 5: content does not match its hash")
    assert any("events_refuse_update is missing" in line for line in lines[1:]), lines


def test_a_trigger_made_harmless_is_reported_as_altered(tmp_path):
    db = tmp_path / "kursk.db"
    checked_copy(str(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TRIGGER events_refuse_delete")
        conn.execute(
            "CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        conn.commit()
    result = run("verify", "--db", db)
    assert result.exit_code == 1 and "events_refuse_delete was altered" in result.stderr


# -- PostgreSQL, through psql -------------------------------------------------------------------


@pytest.fixture
def psql(postgres_url: str) -> str:
    found = shutil.which("psql")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: no psql client (apt-get install postgresql-client)")
        pytest.skip("no psql client (apt-get install postgresql-client)")
    return found


def edit_postgres(psql: str, url: str, *statements: str) -> None:
    script = "\n".join(["BEGIN;", *[f"{sql};" for sql in statements], "COMMIT;"])
    completed = subprocess.run(
        [psql, url, "-v", "ON_ERROR_STOP=1", "-q"], input=script, text=True, capture_output=True, check=False
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("column", ["data", "source", "unverified"])
def test_an_edit_after_a_check_is_found_on_postgres(postgres_url, psql, column):
    checked_copy(postgres_url)
    edit_postgres(
        psql,
        postgres_url,
        "DROP TRIGGER events_refuse_update ON events",
        EDITS[column],
        "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events FOR EACH STATEMENT "
        "EXECUTE FUNCTION timeline_refuse_edit('the events of the log')",
    )
    assert_found_at_seq_5(postgres_url)


@pytest.mark.parametrize(
    "statement, problem",
    [
        ("ALTER TABLE events DISABLE TRIGGER events_refuse_update", "events_refuse_update is disabled"),
        ("ALTER TABLE events ENABLE REPLICA TRIGGER events_refuse_delete", "events_refuse_delete is disabled"),
        ("DROP TRIGGER signed_heads_refuse_truncate ON signed_heads", "signed_heads_refuse_truncate is missing"),
    ],
    ids=["disabled", "replica-only", "dropped"],
)
def test_a_guard_switched_off_on_postgres_is_reported(postgres_url, psql, statement, problem):
    checked_copy(postgres_url)
    edit_postgres(psql, postgres_url, statement)
    result = run("verify", "--db", postgres_url)
    assert result.exit_code == 1 and problem in result.stderr, result.stderr
