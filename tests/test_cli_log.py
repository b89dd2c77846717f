"""The `timeline` command's log verbs: init, import, append, log, verify.

Every rejected input must exit 2 with one line on stderr naming the problem (file:line and
field where there is one) and leave the log byte-for-byte as it was.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import helpers
import pytest
import sqlite_utils
from click.testing import CliRunner, Result
from helpers import statement
from hypothesis import HealthCheck, given, settings
from strategies import AUGUST_2024, event_logs

from events.codec import event_from_record, event_to_record
from timeline.api import Timeline
from timeline.formats.jsonl import write_events
from timeline.store import layout
from timeline.store import sqlite_schema as schema
from timeline.store.rows import record_to_row

# --------------------------------------------------------------------------------------------
# Records and helpers
# --------------------------------------------------------------------------------------------

SYRSKYI_DATA = '{"claimant": "Ukraine", "area_km2": {"value": 1000, "bound": "approx"}, "basis": "total"}'


def territory(event_id: str, occurred_on: str = "2024-08-12", **data) -> dict:
    return {
        "event_id": event_id,
        "kind": "territory.claimed",
        "occurred_on": occurred_on,
        "source": "Oleksandr Syrskyi",
        "data": {"claimant": "Ukraine", "area_km2": 1000, "basis": "total", **data},
    }


def prisoners(event_id: str, count=100) -> dict:
    return {
        "event_id": event_id,
        "kind": "prisoners.captured",
        "occurred_on": "2024-08-13",
        "source": "Volodymyr Zelenskyy",
        "data": {"captor": "Ukraine", "count": count, "basis": "total"},
    }


def without(record: dict, name: str) -> dict:
    return {key: value for key, value in record.items() if key != name}


# The log every bad-input test starts from.
LOGGED = [statement("gerasimov-stopped"), territory("syrskyi-1000"), prisoners("pows-100")]


def jsonl(*records: dict | str | bytes) -> bytes:
    """JSONL bytes: dicts are dumped, str and bytes are taken as the line itself."""
    lines = []
    for record in records:
        if isinstance(record, dict):
            record = json.dumps(record, ensure_ascii=False)
        lines.append(record if isinstance(record, bytes) else record.encode("utf-8"))
    return b"".join(line + b"\n" for line in lines)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke():
    return helpers.invoke


@pytest.fixture
def logged_db(tmp_path, invoke) -> Path:
    """A closed timeline database holding LOGGED (seq 1-3)."""
    db = tmp_path / "kursk.db"
    source = tmp_path / "logged.jsonl"
    source.write_bytes(jsonl(*LOGGED))
    assert invoke("init", "--db", db).exit_code == 0
    assert invoke("import", source, "--db", db).exit_code == 0
    return db


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


def assert_rejected(result: Result, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, no traceback, naming `fragments`."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught error
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def assert_usage_error(result: Result, *fragments: str) -> None:
    """Click's own refusals (bad option values) come with a usage hint; one 'Error:' line names the problem."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def logged_ids(invoke, db: Path, *args: str) -> list[str]:
    result = invoke("log", "--db", db, "--json", *args)
    assert_ok(result)
    return [json.loads(line)["event_id"] for line in result.stdout.splitlines()]


# --------------------------------------------------------------------------------------------
# init
# --------------------------------------------------------------------------------------------


def test_init_creates_an_empty_timeline(invoke, db_path):
    result = invoke("init", "--db", db_path)
    assert_ok(result)
    assert "0 events" in result.stdout
    verified = invoke("verify", "--db", db_path)
    assert_ok(verified)
    assert verified.stdout.startswith("ok: 0 events")


def test_init_over_an_existing_timeline_leaves_it_unchanged(invoke, logged_db, fingerprint):
    before = fingerprint(logged_db)
    result = invoke("init", "--db", logged_db)
    assert_ok(result)
    assert "3 events" in result.stdout
    assert fingerprint(logged_db) == before


def test_init_refuses_a_file_that_is_not_a_timeline(invoke, tmp_path, read_bytes):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert_rejected(invoke("init", "--db", notes), "not a timeline")
    assert read_bytes(notes) == b"my notes\n"


def test_init_in_a_missing_folder_is_refused(invoke, tmp_path):
    assert_rejected(invoke("init", "--db", tmp_path / "no" / "such" / "t.db"), "does not exist")
    assert not (tmp_path / "no").exists()


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def test_import_appends_every_line_in_order(invoke, logged_db):
    assert logged_ids(invoke, logged_db) == ["gerasimov-stopped", "syrskyi-1000", "pows-100"]
    seqs = [json.loads(line)["seq"] for line in invoke("log", "--db", logged_db, "--json").stdout.splitlines()]
    assert seqs == [1, 2, 3]


def test_import_reads_stdin_when_the_file_is_a_dash(invoke, fresh_timeline, db_path):
    fresh_timeline.close()
    result = invoke("import", "-", "--db", db_path, input=jsonl(*LOGGED))
    assert_ok(result)
    assert "appended 3 events" in result.stdout and "seq 3" in result.stdout
    assert logged_ids(invoke, db_path) == [r["event_id"] for r in LOGGED]


def test_import_json_reports_appended_events_and_head(invoke, db_path, tmp_path):
    invoke("init", "--db", db_path)
    result = invoke("import", "-", "--db", db_path, "--json", input=jsonl(*LOGGED))
    assert_ok(result)
    report = json.loads(result.stdout)
    # An import reports counts, not its events: a million-line import would print a million.
    assert report == {"appended": 3, "unchanged": 0, "first_seq": 1, "head": 3}


def test_reimporting_the_same_file_changes_nothing(invoke, logged_db, tmp_path, fingerprint):
    source = tmp_path / "again.jsonl"
    source.write_bytes(jsonl(*LOGGED))
    before = fingerprint(logged_db)
    result = invoke("import", source, "--db", logged_db)
    assert_ok(result)
    assert "appended 0 events; 3 already in the log, unchanged" in result.stdout
    assert fingerprint(logged_db) == before


@settings(
    settings.default,
    max_examples=max(10, settings.default.max_examples // 8),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(log=event_logs(min_size=1, max_size=6, window=AUGUST_2024))
def test_any_valid_log_imports_and_reads_back_as_written(invoke, tmp_path, log):
    db = Path(tempfile.mkdtemp(dir=tmp_path)) / "t.db"
    text = io.StringIO()
    write_events(log, text)
    assert_ok(invoke("init", "--db", db))
    assert_ok(invoke("import", "-", "--db", db, input=text.getvalue().encode("utf-8")))
    read = [json.loads(line) for line in invoke("log", "--db", db, "--json").stdout.splitlines()]
    # As JSON on both sides: a record may hold tuples (a polygon's points), which JSON reads back as lists.
    assert [{k: v for k, v in r.items() if k not in ("seq", "recorded_at", "prev_hash", "hash")} for r in read] == [
        json.loads(json.dumps(event_to_record(e))) for e in log
    ]
    assert_ok(invoke("verify", "--db", db))


def test_the_bundled_dataset_imports_and_verifies(invoke, db_path, dataset_path):
    lines = [line for line in dataset_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    invoke("init", "--db", db_path)
    assert_ok(invoke("import", dataset_path, "--db", db_path))
    verified = invoke("verify", "--db", db_path)
    assert_ok(verified)
    assert verified.stdout.startswith(f"ok: {len(lines)} events")
    assert logged_ids(invoke, db_path) == [json.loads(line)["event_id"] for line in lines]


def test_a_bom_prefixed_file_imports(invoke, fresh_timeline, db_path, tmp_path):
    fresh_timeline.close()
    source = tmp_path / "from-an-editor.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + jsonl(*LOGGED))
    assert_ok(invoke("import", source, "--db", db_path))
    assert logged_ids(invoke, db_path) == [r["event_id"] for r in LOGGED]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(jsonl(*LOGGED).replace(b"\n", b"\r\n"), id="crlf-line-endings"),
        pytest.param(jsonl(*LOGGED).rstrip(b"\n"), id="no-final-newline"),
        pytest.param(jsonl(*LOGGED).replace(b"\n", b"\n\n  \n"), id="blank-lines-between"),
    ],
)
def test_harmless_layout_differences_import(invoke, fresh_timeline, db_path, tmp_path, content):
    fresh_timeline.close()
    source = tmp_path / "events.jsonl"
    source.write_bytes(content)
    assert_ok(invoke("import", source, "--db", db_path))
    assert logged_ids(invoke, db_path) == [r["event_id"] for r in LOGGED]


def test_error_line_numbers_count_blank_lines(invoke, logged_db, tmp_path):
    source = tmp_path / "gappy.jsonl"
    source.write_bytes(jsonl(statement("s1"), "", "   ", prisoners("bad", count=-1)))
    assert_rejected(invoke("import", source, "--db", logged_db), f"{source}:4", "data.count")


# --------------------------------------------------------------------------------------------
# append
# --------------------------------------------------------------------------------------------


def test_append_records_the_syrskyi_claim(invoke, fresh_timeline, db_path):
    fresh_timeline.close()
    result = invoke(
        "append",
        "territory.claimed",
        "--db",
        db_path,
        "--on",
        "2024-08-12",
        "--source",
        "Oleksandr Syrskyi",
        "--data",
        SYRSKYI_DATA,
    )
    assert_ok(result)
    assert result.stdout.strip() == "appended 1 event; the log ends at seq 1"
    (line,) = invoke("log", "--db", db_path, "--json").stdout.splitlines()
    record = json.loads(line)
    assert record["seq"] == 1 and record["kind"] == "territory.claimed" and record["schema_version"] == 2
    assert record["occurred_on"] == record["reported_on"] == "2024-08-12"
    assert record["source"] == "Oleksandr Syrskyi"
    assert record["data"] == {"claimant": "Ukraine", "area_km2": {"value": 1000, "bound": "approx"}, "basis": "total"}
    table = invoke("log", "--db", db_path).stdout
    assert "about 1,000 km²" in table


def test_append_takes_every_envelope_option(invoke, logged_db):
    result = invoke(
        "append",
        "statement.made",
        "--db",
        logged_db,
        "--on",
        "2024-08-09",
        "--reported-on",
        "2024-08-10",
        "--source",
        "National Anti-Terrorism Committee",
        "--id",
        "nak-ct-regime",
        "--unverified",
        "--note",
        "dated 9 or 10 August",
        "--data",
        '{"speaker": "NAK", "summary": "Counter-terrorism regime."}',
        "--json",
    )
    assert_ok(result)
    (appended,) = json.loads(result.stdout)["events"]
    assert appended["seq"] == 4 and appended["event_id"] == "nak-ct-regime"
    assert appended["reported_on"] == "2024-08-10" and appended["unverified"] is True
    assert appended["note"] == "dated 9 or 10 August"


def test_appending_an_identical_event_again_is_a_no_op(invoke, logged_db, fingerprint):
    args = (
        "append",
        "territory.claimed",
        "--db",
        logged_db,
        "--on",
        "2024-08-12",
        "--source",
        "Oleksandr Syrskyi",
        "--id",
        "syrskyi-1000",
        "--data",
        '{"claimant": "Ukraine", "area_km2": 1000, "basis": "total"}',
    )
    before = fingerprint(logged_db)
    result = invoke(*args)
    assert_ok(result)
    assert "1 already in the log, unchanged" in result.stdout
    assert fingerprint(logged_db) == before


def test_expect_head_that_matches_appends(invoke, logged_db):
    result = invoke("import", "-", "--db", logged_db, "--expect-head", "3", input=jsonl(statement("next")))
    assert_ok(result)
    assert "seq 4" in result.stdout


def test_import_with_an_expect_head_the_log_has_passed_changes_nothing(invoke, logged_db, tmp_path, fingerprint):
    # Another writer appended after this one read seq 2: the import is refused whole.
    source = tmp_path / "late.jsonl"
    source.write_bytes(jsonl(statement("late-1"), statement("late-2")))
    before = fingerprint(logged_db)
    line = assert_rejected(invoke("import", source, "--db", logged_db, "--expect-head", "2"))
    assert line == (
        f"Error: {logged_db}: expected the log to end at seq 2, but it ends at seq 3 "
        "(another writer appended first; re-read and retry)"
    )
    assert fingerprint(logged_db) == before


# --------------------------------------------------------------------------------------------
# log
# --------------------------------------------------------------------------------------------


def test_log_filters_by_kind(invoke, logged_db):
    assert logged_ids(invoke, logged_db, "--kind", "territory.claimed") == ["syrskyi-1000"]
    assert logged_ids(invoke, logged_db, "--kind", "emergency.lifted") == []


@pytest.mark.parametrize(
    "window, expected",
    [
        (("--from", "2024-08-12"), ["syrskyi-1000", "pows-100"]),
        (("--to", "2024-08-12"), ["gerasimov-stopped", "syrskyi-1000"]),
        (("--from", "2024-08-12", "--to", "2024-08-12"), ["syrskyi-1000"]),  # both ends inclusive
        (("--from", "2024-08-14"), []),
    ],
)
def test_log_filters_by_occurred_on(invoke, logged_db, window, expected):
    assert logged_ids(invoke, logged_db, *window) == expected


def test_log_combines_kind_and_dates(invoke, logged_db):
    assert logged_ids(invoke, logged_db, "--kind", "statement.made", "--from", "2024-08-12") == []
    assert logged_ids(invoke, logged_db, "--kind", "prisoners.captured", "--to", "2024-08-31") == ["pows-100"]


def test_log_json_lines_carry_position_and_chain(invoke, logged_db):
    records = [json.loads(line) for line in invoke("log", "--db", logged_db, "--json").stdout.splitlines()]
    assert records[0]["prev_hash"] == "0" * 64
    assert all(after["prev_hash"] == before["hash"] for before, after in itertools.pairwise(records))
    assert all(record["recorded_at"] for record in records)


def test_log_table_has_a_header_and_one_row_per_event(invoke, logged_db):
    lines = invoke("log", "--db", logged_db).stdout.splitlines()
    assert lines[0].split() == ["seq", "occurred", "reported", "kind", "what"]
    assert len(lines) == 2 + len(LOGGED)


def test_log_piped_into_head_stops_quietly(tmp_path):
    # `timeline log | head -1` in a real shell: head leaves after one line and the pipe breaks
    # under the writer. That is not an error: exit 0 and nothing on stderr.
    db = tmp_path / "long.db"
    with Timeline.init(db) as timeline:
        # Far more than a pipe holds (64 KiB), so the writer is still writing when head leaves.
        timeline.store.append([event_from_record(statement(f"s-{n}", summary="x" * 200)) for n in range(3_000)])
    script = '"$PYTHON" -m timeline.cli log --db "$DB" 2>"$ERR" | head -1; echo "${PIPESTATUS[0]}"'
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "PYTHON": sys.executable, "DB": str(db), "ERR": str(tmp_path / "stderr.txt")},
        capture_output=True,
        text=True,
        check=True,
    )
    first_line, status = result.stdout.splitlines()
    assert first_line.split() == ["seq", "occurred", "reported", "kind", "what"]
    assert status == "0"
    assert (tmp_path / "stderr.txt").read_text() == ""


def test_log_of_nothing_says_so(invoke, logged_db):
    assert invoke("log", "--db", logged_db, "--from", "2030-01-01").stdout.strip() == "(no events)"


def test_log_without_a_database_reads_the_bundled_dataset(invoke, dataset_path):
    result = invoke("log", "--json")
    assert_ok(result)
    expected = [
        json.loads(line)["event_id"] for line in dataset_path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assert [json.loads(line)["event_id"] for line in result.stdout.splitlines()] == expected


def test_timeline_db_names_the_database(invoke, logged_db):
    env = {"TIMELINE_DB": str(logged_db)}
    assert_ok(
        invoke(
            "append",
            "statement.made",
            "--on",
            "2024-08-20",
            "--source",
            "TASS",
            "--id",
            "via-env",
            "--data",
            '{"speaker": "V", "summary": "S"}',
            env=env,
        )
    )
    result = invoke("log", "--json", env=env)
    assert [json.loads(line)["event_id"] for line in result.stdout.splitlines()][-1] == "via-env"
    assert invoke("verify", env=env).stdout.startswith("ok: 4 events")


def test_db_option_wins_over_timeline_db(invoke, logged_db, tmp_path):
    env = {"TIMELINE_DB": str(tmp_path / "missing.db")}
    assert logged_ids(invoke, logged_db) == [
        json.loads(line)["event_id"] for line in invoke("log", "--db", logged_db, "--json", env=env).stdout.splitlines()
    ]


def test_a_timeline_db_that_does_not_exist_is_an_error_not_the_bundled_log(invoke, tmp_path):
    assert_rejected(invoke("log", env={"TIMELINE_DB": str(tmp_path / "missing.db")}), "missing.db", "no such file")


# --------------------------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_log(invoke, logged_db):
    result = invoke("verify", "--db", logged_db)
    assert_ok(result)
    assert result.stdout.startswith("ok: 3 events; head hash ")
    assert "every row linked to the one before and re-hashed" in result.stdout


def _tamper(db: Path, sql: str) -> None:
    """Edit the log behind the engine's back: drop the guards, edit, put the guards back."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql)
        for _, create in triggers:
            conn.execute(create)
        conn.commit()


@pytest.mark.parametrize(
    "sql, bad_seq",
    [
        ("UPDATE events SET source = 'RIA Novosti' WHERE seq = 2", 2),
        ("UPDATE events SET data = replace(data, '1000', '1500') WHERE seq = 2", 2),
        ("DELETE FROM events WHERE seq = 1", 1),
        ("DELETE FROM events WHERE seq = 3", 3),  # truncation
    ],
    ids=["edit-source", "edit-figure", "delete-first", "truncate-last"],
)
def test_verify_fails_naming_the_tampered_seq(invoke, logged_db, sql, bad_seq):
    _tamper(logged_db, sql)
    result = invoke("verify", "--db", logged_db)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"FAILED: seq {bad_seq}: ")
    as_json = invoke("verify", "--db", logged_db, "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["first_bad_seq"] == bad_seq


def _append_row_from_a_newer_version(db: Path) -> None:
    """A well-chained row of a kind this version does not know, as a newer version would write it."""
    record = {
        "event_id": "future-1",
        "kind": "future.unknown_kind",
        "schema_version": 1,
        "occurred_on": "2024-08-20",
        "reported_on": "2024-08-20",
        "source": "S",
        "data": {"side": "Russia", "count": 10},
    }
    with contextlib.closing(sqlite3.connect(db)) as conn:
        seq, head_hash = conn.execute("SELECT seq, hash FROM log_head").fetchone()
        row = record_to_row(record, seq + 1, "2024-08-20T00:00:00+00:00", head_hash)
        stored = {name: bytes.fromhex(value) if name in layout.HASH_COLUMNS else value for name, value in row.items()}
        conn.execute(
            f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(stored.values())
        )
        conn.execute("UPDATE log_head SET seq = ?, hash = ?", [row["seq"], row["hash"]])
        conn.commit()


def test_verify_flags_an_event_this_version_cannot_read(invoke, logged_db):
    _append_row_from_a_newer_version(logged_db)
    result = invoke("verify", "--db", logged_db)
    assert result.exit_code == 1
    assert result.stderr.startswith("FAILED: seq 4: ") and "future.unknown_kind" in result.stderr


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_log_refuses_cleanly_an_event_this_version_cannot_read(invoke, logged_db, as_json):
    _append_row_from_a_newer_version(logged_db)
    # A kind added by a newer version: refused with one line, not a traceback.
    result = invoke("log", "--db", logged_db, *(["--json"] if as_json else []))
    assert result.exit_code == 2, repr(result.exception)
    assert isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: ") and "future.unknown_kind" in errors[0]


def test_verify_of_the_bundled_log_passes(invoke):
    result = invoke("verify")
    assert_ok(result)
    assert result.stdout.startswith("ok: ")


# --------------------------------------------------------------------------------------------
# Bad input changes nothing
# --------------------------------------------------------------------------------------------


def test_the_fingerprint_sees_an_append(invoke, logged_db, fingerprint):
    # Guards the checks below: "unchanged" only means something if a change would show.
    before = fingerprint(logged_db)
    assert_ok(invoke("import", "-", "--db", logged_db, input=jsonl(statement("one-more"))))
    after = fingerprint(logged_db)
    assert after.db_sha256 != before.db_sha256 and after.dump != before.dump


def test_the_fingerprint_sees_a_change_the_dump_cannot(logged_db, fingerprint):
    # The store's schema version lives in the file header, which iterdump() leaves out.
    before = fingerprint(logged_db)
    with contextlib.closing(sqlite3.connect(logged_db)) as conn:
        conn.execute("PRAGMA user_version = 7")
    after = fingerprint(logged_db)
    assert after.dump == before.dump and after != before


# A bad third line among good ones: the good lines before and after it must not be written.
BAD_LINES = [
    pytest.param('{"kind": "statement.made", "occurred_on": ', ["not valid JSON"], id="malformed-json"),
    pytest.param(
        {**statement("x"), "kind": "territory.lost"}, ["kind", "unknown kind 'territory.lost'"], id="unknown-kind"
    ),
    pytest.param(
        {**territory("x"), "data": {"area_km2": 1000, "basis": "total"}},
        ["data.claimant", "required field missing"],
        id="missing-field",
    ),
    pytest.param(without(statement("x"), "source"), ["source", "required field missing"], id="missing-envelope-field"),
    pytest.param(territory("x", area_km2="1000"), ["data.area_km2", "not a string"], id="mistyped-field"),
    pytest.param({**statement("x"), "unverified": "yes"}, ["unverified"], id="mistyped-flag"),
    pytest.param(
        {**statement("x"), "occurred_on": "2024-02-30"},
        ["occurred_on", "2024-02-30", "not a real calendar day"],
        id="impossible-date",
    ),
    pytest.param(
        {**statement("x"), "reported_on": "2024-08-01"}, ["reported_on", "before"], id="reported-before-occurred"
    ),
    pytest.param(prisoners("x", count=-5), ["data.count", "negative"], id="negative-count"),
    pytest.param(
        '{"kind": "territory.claimed", "occurred_on": "2024-08-12", "source": "S", "data": {"claimant": "U", "basis": "total", "area_km2": NaN}}',
        ["NaN"],
        id="nan",
    ),
    pytest.param({**statement("x"), "seq": 7}, ["seq", "unknown field"], id="unknown-envelope-field"),
    pytest.param(territory("x", colour="red"), ["data.colour", "unknown field"], id="unknown-payload-field"),
    pytest.param("[1, 2, 3]", ["JSON object"], id="not-an-object"),
    pytest.param("[" * 100_000 + "]" * 100_000, ["nested too deeply"], id="deeply-nested"),
    pytest.param(json.dumps({**statement("x"), "note": "x" * (1 << 20)}), ["longer than"], id="line-over-1-MiB"),
    pytest.param(b'{"kind": "statement.made", "source": "\xff\xfe"}', ["not valid UTF-8"], id="invalid-utf8"),
    pytest.param({**statement("x"), "data": {"speaker": "V", "summary": "   "}}, ["summary", "empty"], id="blank-text"),
    pytest.param(
        {
            "event_id": "r",
            "kind": "event.retracted",
            "occurred_on": "2024-08-14",
            "source": "S",
            "data": {"target_event_id": "no-such-event", "reason": "r"},
        },
        ["data.target_event_id", "no-such-event"],
        id="retract-unknown",
    ),
    pytest.param(
        statement("good-1", summary="Same id as line 1, other content."),
        ["good-1", "different content"],
        id="id-reused-in-file",
    ),
    pytest.param(
        territory("syrskyi-1000", area_km2=1200), ["syrskyi-1000", "different content"], id="id-reused-from-log"
    ),
]


@pytest.mark.parametrize("bad, fragments", BAD_LINES)
def test_a_bad_line_in_the_middle_of_an_import_changes_nothing(
    invoke, logged_db, tmp_path, fingerprint, bad, fragments
):
    source = tmp_path / "batch.jsonl"
    source.write_bytes(jsonl(statement("good-1"), statement("good-2"), bad, statement("good-4")))
    before = fingerprint(logged_db)
    assert_rejected(invoke("import", source, "--db", logged_db), f"{source}:3", *fragments)
    assert fingerprint(logged_db) == before


@pytest.mark.parametrize("bad, fragments", BAD_LINES)
def test_a_bad_line_on_stdin_changes_nothing(invoke, logged_db, fingerprint, bad, fragments):
    before = fingerprint(logged_db)
    result = invoke("import", "-", "--db", logged_db, input=jsonl(statement("good-1"), statement("good-2"), bad))
    assert_rejected(result, "<stdin>:3", *fragments)
    assert fingerprint(logged_db) == before


def test_a_lone_surrogate_in_an_import_is_refused_cleanly(invoke, logged_db, fingerprint):
    before = fingerprint(logged_db)
    bad = '{"kind": "statement.made", "occurred_on": "2024-08-12", "source": "\\ud800", "data": {"speaker": "V", "summary": "S"}}'
    result = invoke("import", "-", "--db", logged_db, input=jsonl(statement("good-1"), bad))
    assert fingerprint(logged_db) == before
    assert_rejected(result, "<stdin>:2", "source")


@pytest.fixture
def store_v1_db(tmp_path) -> Path:
    """A log in the first store layout (schema 1), as the first release wrote it, holding LOGGED.

    Its rows go in by plain SQL: any write through EventStore upgrades the store first."""
    db = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        schema.create_version_1(sqlite_utils.Database(conn))
        prev_hash = layout.GENESIS_HASH
        for seq, record in enumerate(LOGGED, start=1):
            row = record_to_row(event_to_record(event_from_record(record)), seq, "2024-08-14T00:00:00+00:00", prev_hash)
            columns = [name for name in row if name in layout.EVENT_COLUMNS]  # the columns version 1 has
            conn.execute(
                f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [row[name] for name in columns],
            )
            prev_hash = row["hash"]
        conn.execute("UPDATE log_head SET seq = ?, hash = ? WHERE id = 1", [len(LOGGED), prev_hash])
        conn.commit()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'checkpoints'").fetchall()
    return db


def test_an_old_store_layout_is_read_without_being_changed(invoke, store_v1_db, fingerprint):
    before = fingerprint(store_v1_db)
    assert logged_ids(invoke, store_v1_db) == [r["event_id"] for r in LOGGED]
    assert_ok(invoke("verify", "--db", store_v1_db))
    assert fingerprint(store_v1_db) == before


def test_a_rejected_import_into_an_old_store_layout_changes_nothing(invoke, store_v1_db, fingerprint):
    # The upgrade to the current schema happens inside the first write's transaction, so it is
    # rolled back with the rejected import.
    before = fingerprint(store_v1_db)
    assert_rejected(invoke("import", "-", "--db", store_v1_db, input=jsonl(statement("good-1"), "{bad")), "<stdin>:2")
    assert fingerprint(store_v1_db) == before


def test_an_old_store_layout_answers_queries_without_being_changed(invoke, store_v1_db, fingerprint):
    before = fingerprint(store_v1_db)
    state = invoke("state", "--db", store_v1_db, "--as-of", "2024-08-13", "--json")
    assert_ok(state)
    snapshot = json.loads(state.stdout)
    assert snapshot["events_applied"] == 3
    (area,) = snapshot["territory"]["claims"]["Ukraine"]["area_km2"]
    assert area["figure"] == {"value": 1000, "bound": "exact"}
    assert snapshot["prisoners"]["Ukraine"]["event_ids"] == ["pows-100"]
    diff = invoke("diff", "2024-08-12", "2024-08-13", "--db", store_v1_db)
    assert_ok(diff)
    assert diff.stdout.splitlines()[:3] == [
        "From 2024-08-12 (day 6) to 2024-08-13 (day 7), everything known: 1 change, 1 event",
        "  + prisoners.Ukraine: held by Ukraine: total: 100 (Volodymyr Zelenskyy, 2024-08-13)",
        "      because: pows-100",
    ]
    why = invoke("why", "territory.claims.Ukraine", "--db", store_v1_db)
    assert_ok(why)
    assert "  seq 2  2024-08-12  territory.claimed  syrskyi-1000" in why.stdout.splitlines()
    days = invoke("days", "--db", store_v1_db, "--json")
    assert_ok(days)
    assert [day["events"] for day in json.loads(days.stdout) if day["events"]] == [[r["event_id"]] for r in LOGGED]
    assert fingerprint(store_v1_db) == before


def test_the_first_write_to_an_old_store_upgrades_it(invoke, store_v1_db):
    assert_ok(invoke("import", "-", "--db", store_v1_db, input=jsonl(statement("good-1"))))
    with Timeline.open(store_v1_db, read_only=True) as timeline:
        assert timeline.store.schema_version == schema.CURRENT_VERSION
        assert timeline.checkpoints.available
        assert [recorded.event_id for recorded in timeline.events()] == [*(r["event_id"] for r in LOGGED), "good-1"]
        assert timeline.verify().ok


def test_the_stored_state_of_an_old_store_is_built_by_upgrading_it(invoke, store_v1_db):
    # The store must be upgraded first, or there is no table to hold the state.
    answer = invoke("state", "--db", store_v1_db, "--json").stdout
    result = invoke("checkpoint", "--db", store_v1_db)
    assert_ok(result)
    with Timeline.open(store_v1_db, read_only=True) as timeline:
        assert timeline.store.schema_version == schema.CURRENT_VERSION
        versions = timeline.checkpoints.count()
        assert versions > 0 and timeline.checkpoints.usable()
    assert result.stdout == f"rebuilt the stored state: {versions} fact versions\n"
    assert invoke("state", "--db", store_v1_db, "--json").stdout == answer
    assert invoke("verify", "--db", store_v1_db).stdout.startswith("ok: 3 events")


def test_a_bad_line_after_the_first_batch_changes_nothing(invoke, logged_db, tmp_path, fingerprint):
    # More lines than one write batch (2,000): the first batch is written inside the
    # transaction before the bad line is read, and must be rolled back with it.
    good = [statement(f"bulk-{n}") for n in range(2_300)]
    source = tmp_path / "bulk.jsonl"
    source.write_bytes(jsonl(*good[:2_100], prisoners("bad", count=-1), *good[2_100:]))
    before = fingerprint(logged_db)
    assert_rejected(invoke("import", source, "--db", logged_db), f"{source}:2101", "data.count")
    assert fingerprint(logged_db) == before


@pytest.mark.parametrize(
    "content, fragments",
    [
        pytest.param(b"", ["no events"], id="empty-file"),
        pytest.param(b"\n   \n\t\n", ["no events"], id="only-blank-lines"),
        pytest.param(b"\xef\xbb\xbf", ["no events"], id="only-a-bom"),
    ],
)
def test_an_import_with_no_events_is_refused(invoke, logged_db, tmp_path, fingerprint, content, fragments):
    source = tmp_path / "nothing.jsonl"
    source.write_bytes(content)
    before = fingerprint(logged_db)
    assert_rejected(invoke("import", source, "--db", logged_db), str(source), *fragments)
    assert fingerprint(logged_db) == before


def test_importing_a_missing_file_is_refused(invoke, logged_db, tmp_path, fingerprint):
    before = fingerprint(logged_db)
    assert_rejected(invoke("import", tmp_path / "missing.jsonl", "--db", logged_db), "missing.jsonl", "cannot read")
    assert fingerprint(logged_db) == before


APPEND = ("append", "territory.claimed", "--on", "2024-08-12", "--source", "Oleksandr Syrskyi")


@pytest.mark.parametrize(
    "extra, fragments",
    [
        pytest.param(["--data", "{not json"], ["--data", "not valid JSON"], id="data-not-json"),
        pytest.param(["--data", "[1]"], ["data", "expected an object"], id="data-not-an-object"),
        pytest.param(
            ["--data", '{"area_km2": 1000, "basis": "total"}'],
            ["data.claimant", "required field missing"],
            id="missing-field",
        ),
        pytest.param(
            ["--data", '{"claimant": "Ukraine", "area_km2": true, "basis": "total"}'],
            ["data.area_km2"],
            id="mistyped-field",
        ),
        pytest.param(
            ["--data", '{"claimant": "Ukraine", "area_km2": -3, "basis": "total"}'],
            ["data.area_km2", "negative"],
            id="negative-area",
        ),
        pytest.param(["--data", SYRSKYI_DATA, "--id", "not an id"], ["event_id"], id="bad-id"),
        pytest.param(
            ["--data", SYRSKYI_DATA, "--reported-on", "2024-08-11"],
            ["reported_on", "before"],
            id="reported-before-occurred",
        ),
        pytest.param(
            ["--data", SYRSKYI_DATA, "--id", "syrskyi-1000"], ["syrskyi-1000", "different content"], id="conflicting-id"
        ),
        pytest.param(["--data", SYRSKYI_DATA, "--expect-head", "2"], ["seq 2", "seq 3"], id="stale-head"),
    ],
)
def test_a_bad_append_changes_nothing(invoke, logged_db, fingerprint, extra, fragments):
    before = fingerprint(logged_db)
    assert_rejected(invoke(*APPEND, "--db", logged_db, *extra), *fragments)
    assert fingerprint(logged_db) == before


def test_an_append_of_an_unknown_kind_changes_nothing(invoke, logged_db, fingerprint):
    before = fingerprint(logged_db)
    assert_rejected(
        invoke(
            "append", "territory.lost", "--db", logged_db, "--on", "2024-08-12", "--source", "S", "--data", SYRSKYI_DATA
        ),
        "kind",
        "territory.lost",
    )
    assert fingerprint(logged_db) == before


def test_an_impossible_day_on_the_command_line_changes_nothing(invoke, logged_db, fingerprint):
    before = fingerprint(logged_db)
    result = invoke(
        "append", "territory.claimed", "--db", logged_db, "--on", "2024-02-30", "--source", "S", "--data", SYRSKYI_DATA
    )
    assert_usage_error(result, "--on", "2024-02-30", "not a real calendar day")
    assert fingerprint(logged_db) == before


def test_from_after_to_is_refused(invoke, logged_db):
    assert_rejected(
        invoke("log", "--db", logged_db, "--from", "2024-08-20", "--to", "2024-08-10"), "2024-08-20", "2024-08-10"
    )


def test_an_unknown_kind_filter_is_refused(invoke, logged_db):
    assert_rejected(invoke("log", "--db", logged_db, "--kind", "territory.lost"), "--kind", "territory.lost")


@pytest.mark.parametrize("command", ["import", "append"])
def test_writing_without_a_database_is_refused(invoke, command, tmp_path, monkeypatch):
    # With no --db and no TIMELINE_DB the bundled log is read: it must not be written,
    # and nothing may be created in the working directory instead.
    monkeypatch.chdir(tmp_path)
    Path("events.jsonl").write_bytes(jsonl(statement("a")))
    args = ["import", "events.jsonl"] if command == "import" else [*APPEND, "--data", SYRSKYI_DATA]
    assert_rejected(invoke(*args), "read-only", "--db")
    assert os.listdir(tmp_path) == ["events.jsonl"]


@pytest.mark.parametrize(
    "args",
    [
        ["log"],
        ["verify"],
        ["import", "EVENTS_FILE"],
        [
            "append",
            "statement.made",
            "--on",
            "2024-08-12",
            "--source",
            "S",
            "--data",
            '{"speaker": "V", "summary": "S"}',
        ],
    ],
    ids=lambda args: args[0],
)
class TestNotATimeline:
    """Every command refuses a database path that holds no timeline, and leaves it untouched."""

    def run(self, invoke, args, db, tmp_path):
        events = tmp_path / "events.jsonl"
        events.write_bytes(jsonl(statement("a")))
        return invoke(*[str(events) if arg == "EVENTS_FILE" else arg for arg in args], "--db", db)

    def test_a_missing_path_is_refused_and_not_created(self, invoke, tmp_path, args):
        db = tmp_path / "missing.db"
        assert_rejected(self.run(invoke, args, db, tmp_path), "missing.db", "no such file")
        assert not db.exists()

    def test_a_text_file_is_refused_and_left_alone(self, invoke, tmp_path, read_bytes, args):
        db = tmp_path / "notes.txt"
        db.write_text("not a database\n")
        assert_rejected(self.run(invoke, args, db, tmp_path), "notes.txt", "not a timeline")
        assert read_bytes(db) == b"not a database\n"
        assert not Path(f"{db}-wal").exists()

    def test_an_sqlite_database_without_an_event_log_is_refused_and_left_alone(
        self, invoke, tmp_path, fingerprint, args
    ):
        db = tmp_path / "other.db"
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("CREATE TABLE things (a)")
            conn.execute("INSERT INTO things VALUES (1)")
            conn.commit()
        before = fingerprint(db)
        assert_rejected(self.run(invoke, args, db, tmp_path), "other.db", "not a timeline")
        assert fingerprint(db) == before

    def test_a_directory_is_refused(self, invoke, tmp_path, args):
        assert_rejected(self.run(invoke, args, tmp_path, tmp_path), "directory")
