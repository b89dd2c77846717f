"""Every command works the same on both stores: the same log answers the same on SQLite and PostgreSQL.

The Kursk log is imported into an SQLite file and copied (`timeline copy`) into a PostgreSQL
database, so both hold the very same rows; then each command runs on both and their outputs are
compared, the store's own name aside.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from acled_samples import row, write_csv
from helpers import invoke as run
from helpers import ok

DATASET = Path(__file__).parent.parent / "timeline" / "datasets" / "kursk-2024.jsonl"


@pytest.fixture
def both(tmp_path: Path, postgres_url: str) -> tuple[str, str]:
    """(an SQLite file, a PostgreSQL URL) holding the same Kursk log, row for row."""
    sqlite = str(tmp_path / "kursk.db")
    ok("init", "--db", sqlite)
    ok("import", DATASET, "--db", sqlite)
    assert "copied 47 events" in ok("copy", sqlite, postgres_url)
    return sqlite, postgres_url


def same(both: tuple[str, str], *args: object) -> str:
    """The command's output on both stores, which must be equal (the store's name replaced)."""
    sqlite, postgres = both
    outputs = [ok(*args, "--db", db).replace(db, "DB") for db in (sqlite, postgres)]
    assert outputs[0] == outputs[1], args
    return outputs[0]


QUERIES = [
    ("state", "--as-of", "2024-08-16", "--json"),
    ("state", "--as-of", "2024-08-16", "--known-on", "2024-08-12", "--json"),
    ("state", "--day", "10"),
    ("diff", "2024-08-10", "2024-08-20", "--json"),
    ("diff", "2024-08-10", "2024-08-20", "--known-on", "2024-08-14"),
    ("why", "settlements.Sudzha", "--as-of", "2024-08-16", "--json"),
    ("days", "--json"),
    ("days", "--known-on", "2024-08-15"),
    ("log",),
    ("log", "--json", "--kind", "border.crossed"),
    ("verify",),
    ("verify", "--json"),
    ("export",),
    ("export", "--format", "cloudevents"),
    ("export", "--format", "csv", "--as-of", "2024-08-16"),
    ("export", "--format", "geojson", "--as-of", "2024-08-16"),
    ("export", "--format", "timelinejs", "--known-on", "2024-08-14"),
]


@pytest.mark.parametrize("args", QUERIES, ids=lambda args: " ".join(args))
def test_each_query_answers_the_same_on_both_stores(both, args):
    output = same(both, *args)
    assert output.strip()


def test_the_answers_stay_the_same_with_checkpoints_and_after_a_backfill(both):
    sqlite, postgres = both
    before = same(both, "state", "--as-of", "2024-08-20", "--json")
    for db in (sqlite, postgres):
        ok("checkpoint", "--db", db)
    assert same(both, "state", "--as-of", "2024-08-20", "--json") == before
    event = json.dumps({"summary": "Backfilled report.", "speaker": "Valery Gerasimov"})
    for db in (sqlite, postgres):
        ok(
            "append",
            "statement.made",
            "--on",
            "2024-08-09",
            "--source",
            "TASS",
            "--data",
            event,
            "--id",
            "late",
            "--db",
            db,
        )
    after = json.loads(same(both, "state", "--as-of", "2024-08-20", "--json"))
    # The checkpoints of 2024-08-09 onwards were invalidated: the backfilled event is counted.
    expected = json.loads(before)
    expected["events_applied"] += 1
    assert after == expected
    same(both, "days", "--json")
    assert "dropped" in ok("checkpoint", "--clear", "--db", postgres)


def test_append_import_and_expect_head_behave_the_same(both, tmp_path):
    event = json.dumps({"summary": "The advance has been stopped.", "speaker": "Valery Gerasimov"})
    for db in both:
        appended = json.loads(
            ok(
                "append",
                "statement.made",
                "--on",
                "2024-08-25",
                "--source",
                "TASS",
                "--data",
                event,
                "--json",
                "--db",
                db,
            )
        )
        assert appended["head"] == 48
        stale = run(
            "append",
            "statement.made",
            "--on",
            "2024-08-25",
            "--source",
            "TASS",
            "--data",
            event,
            "--expect-head",
            "47",
            "--db",
            db,
        )
        assert stale.exit_code == 2 and "expected the log to end at seq 47" in stale.stderr
        reimported = ok("import", DATASET, "--db", db)
        assert "appended 0 events; 47 already in the log" in reimported
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"kind": "statement.made"}\n')
        refused = run("import", bad, "--db", db)
        assert refused.exit_code == 2 and "bad.jsonl:1" in refused.stderr
        assert json.loads(ok("verify", "--json", "--db", db))["events"] == 48


def test_cloudevents_and_acled_imports_work_on_both(both, tmp_path):
    sqlite = both[0]
    exported = tmp_path / "events.cloudevents.jsonl"
    ok("export", "--format", "cloudevents", "-o", exported, "--db", sqlite)
    acled = write_csv(tmp_path / "acled.csv", [row("UKR1", dt.date(2024, 8, 20))])
    for db in both:
        assert "appended 0 events; 47 already in the log" in ok(
            "import", exported, "--format", "cloudevents", "--db", db
        )
    imported = same(both, "import", acled, "--format", "acled")
    assert "1 new" in imported
    assert "incident" in same(both, "state", "--json")


def test_an_acled_refresh_counts_and_appends_alike_on_both(both, tmp_path):
    # The version map lives in temporary tables of each database: the same downloads give the
    # same counts and the same history on both.
    days = [dt.date(2024, 8, 10) + dt.timedelta(days=n) for n in range(6)]
    first = write_csv(tmp_path / "first.csv", [row(f"UKR{n}", day) for n, day in enumerate(days)])
    later = [row(f"UKR{n}", day) for n, day in enumerate(days) if n != 2]  # UKR2 dropped
    later[0] = row("UKR0", days[0], revised=dt.date(2024, 8, 25), fatalities="7")
    later.append(row("UKR9", dt.date(2024, 8, 14)))
    second = write_csv(tmp_path / "second.csv", later)
    assert "6 new" in same(both, "import", first, "--format", "acled")
    counts = json.loads(same(both, "import", second, "--format", "acled", "--json"))
    assert (counts["new"], counts["updated"], counts["removed"], counts["unchanged"]) == (1, 1, 1, 4)
    assert "0 new, 0 updated, 0 removed, 6 unchanged" in same(both, "import", second, "--format", "acled")
    now = json.loads(same(both, "state", "--as-of", "2024-08-20", "--json"))
    before = json.loads(same(both, "state", "--as-of", "2024-08-20", "--known-on", "2024-08-24", "--json"))
    # Known on the 24th: the six rows and UKR9 (reported on the 14th); since the 25th, UKR2 is
    # gone and UKR0 is its revised version.
    assert before["events_applied"] - now["events_applied"] == 1
    repeated = write_csv(tmp_path / "repeated.csv", [*later, row("UKR1", days[1], fatalities="3")])
    for db in both:
        refused = run("import", repeated, "--format", "acled", "--db", db)
        assert refused.exit_code == 2 and "UKR1 with timestamp" in refused.output and "row 3" in refused.output


def test_sign_verify_trust_and_a_published_copy_on_both(both, tmp_path):
    sqlite, postgres = both
    key = tmp_path / "newsroom.key"
    ok("keygen", "--out", key)
    signed = json.loads(ok("sign", "--key", key, "--json", "--db", postgres))
    assert signed["seq"] == 47
    # The signature travels with a copy back to SQLite, and with the export.
    ok("copy", postgres, sqlite)
    for db in both:
        verified = json.loads(ok("verify", "--trust", f"{key}.pub", "--json", "--db", db))
        assert verified["ok"] and verified["signed_seq"] == 47
    published = tmp_path / "published.jsonl"
    ok("export", "-o", published, "--db", postgres)
    assert '"signed_heads"' in published.read_text().splitlines()[-1]
    assert "seq 47" in ok("verify", published, "--trust", f"{key}.pub")
    replica = tmp_path / "replica.db"
    ok("init", "--db", replica)
    ok("import", published, "--db", replica)
    assert json.loads(ok("verify", "--trust", f"{key}.pub", "--json", "--db", replica))["signed_seq"] == 47


def test_copy_resumes_and_refuses_another_log(both, tmp_path):
    sqlite, postgres = both
    event = json.dumps({"summary": "More.", "speaker": "Valery Gerasimov"})
    ok("append", "statement.made", "--on", "2024-08-25", "--source", "TASS", "--data", event, "--db", sqlite)
    resumed = ok("copy", sqlite, postgres)
    assert "copied 1 event" in resumed and "47 already there" in resumed
    other = tmp_path / "other.db"
    ok("init", "--db", other)
    ok("append", "statement.made", "--on", "2024-08-25", "--source", "TASS", "--data", event, "--db", other)
    refused = run("copy", other, postgres)
    assert refused.exit_code == 2 and "another log" in refused.stderr


def test_follow_stops_after_max_events_or_a_quiet_timeout(both):
    for db in both:
        lines = ok("log", "--follow", "--max-events", "3", "--json", "--db", db).splitlines()
        assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]
        quiet = ok("log", "--follow", "--timeout", "0.2", "--from", "2024-08-24", "--json", "--db", db).splitlines()
        assert [json.loads(line)["seq"] for line in quiet] == [47]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_follow_prints_events_as_another_writer_appends_and_stops_on_ctrl_c(both, backend):
    db = both[0] if backend == "sqlite" else both[1]
    follower = subprocess.Popen(
        [sys.executable, "-m", "timeline.cli", "log", "--follow", "--json", "--kind", "statement.made", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        event = json.dumps({"summary": "Reported live.", "speaker": "Valery Gerasimov"})
        time.sleep(1.0)  # the follower has printed the log so far and waits (no timing is asserted)
        ok(
            "append",
            "statement.made",
            "--on",
            "2024-08-25",
            "--source",
            "TASS",
            "--data",
            event,
            "--id",
            "live",
            "--db",
            db,
        )
        deadline = time.monotonic() + 60
        seen = []
        while time.monotonic() < deadline:
            line = follower.stdout.readline()
            seen.append(json.loads(line)["event_id"])
            if seen[-1] == "live":
                break
        assert seen[-1] == "live"
        follower.send_signal(signal.SIGINT)
        _, errors = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0 and "Traceback" not in errors
