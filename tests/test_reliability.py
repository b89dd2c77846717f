"""The log under attack: concurrent writer processes, killed imports, and tampering with the file.

Each test drives real OS processes or raw SQL, the way a second program, a crash or a hand
with a SQLite shell would, and then asks the log to prove it is whole.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import helpers
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AUGUST_2024, event_logs

from events.codec import event_from_record
from timeline.api import Timeline
from timeline.cli import cli
from timeline.errors import ConflictError
from timeline.store import open_store

REPO = Path(__file__).resolve().parent.parent
needs_fork_and_kill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def statement_line(event_id: str, day: int = 12) -> str:
    return json.dumps(helpers.statement(event_id, f"2024-08-{day:02d}"))


def write_jsonl(path: Path, prefix: str, count: int) -> Path:
    path.write_text(
        "".join(statement_line(f"{prefix}-{n:06d}", 1 + n % 28) + "\n" for n in range(count)), encoding="utf-8"
    )
    return path


def timeline_command(*args: str, **options) -> subprocess.Popen:
    """`timeline ...` as its own OS process, as a user's shell would run it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TIMELINE_DB", None)
    return subprocess.Popen([sys.executable, "-m", "timeline.cli", *args], env=env, cwd=REPO, text=True, **options)


def logged_column(db: Path, column: str) -> list:
    """One column of the log in seq order, read with plain sqlite3 as any other program would."""
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute(f"SELECT {column} FROM events ORDER BY seq")]
    finally:
        conn.close()


def logged_ids(db: Path) -> list[str]:
    return logged_column(db, "event_id")


def verify_exit_code(db: Path) -> int:
    return CliRunner().invoke(cli, ["verify", "--db", str(db)]).exit_code


# -- concurrent writers ----------------------------------------------------------------------


def test_importers_and_appenders_in_separate_processes_lose_nothing_and_fork_nothing(tmp_path):
    db = tmp_path / "shared.db"
    Timeline.init(db).close()
    imports = [write_jsonl(tmp_path / f"import-{n}.jsonl", f"import{n}", 2_500) for n in range(2)]
    appenders_script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from timeline import Timeline\n"
        "with Timeline.open(sys.argv[2]) as tl:\n"
        "    for n in range(40):\n"
        "        tl.append(kind='statement.made', occurred_on='2024-08-15', source='Wire', event_id=f'{sys.argv[3]}-{n}',\n"
        "                  data={'speaker': 'S', 'summary': 'One of many.'})\n"
    )
    processes = [timeline_command("import", str(path), "--db", str(db), stdout=subprocess.DEVNULL) for path in imports]
    processes += [
        subprocess.Popen([sys.executable, "-c", appenders_script, str(REPO), str(db), f"append{n}"]) for n in range(2)
    ]
    assert [process.wait(timeout=180) for process in processes] == [0, 0, 0, 0]

    ids = logged_ids(db)
    assert len(ids) == len(set(ids)) == 2 * 2_500 + 2 * 40
    assert logged_column(db, "seq") == list(range(1, len(ids) + 1))
    # An import is one transaction: its events occupy one unbroken run of seq.
    for n in range(2):
        positions = [i for i, event_id in enumerate(ids) if event_id.startswith(f"import{n}-")]
        assert positions == list(range(positions[0], positions[0] + 2_500))
    assert verify_exit_code(db) == 0


def _race_with_expected_head(db: str, writer: int, barrier, results) -> None:
    """One racer: read the head, wait for the others to read it too, then append expecting it."""
    store = open_store(db)
    try:
        head = store.count()
        barrier.wait(timeout=30)
        try:
            store.append([event_from_record(json.loads(statement_line(f"racer-{writer}")))], expected_head=head)
            results.put("won")
        except ConflictError as exc:
            results.put(f"conflict: {exc}")
    finally:
        store.close()


def test_writers_naming_the_same_expected_head_one_wins_the_others_conflict_cleanly(tmp_path):
    db = tmp_path / "race.db"
    Timeline.init(db).close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    racers = [context.Process(target=_race_with_expected_head, args=(str(db), n, barrier, results)) for n in range(4)]
    for racer in racers:
        racer.start()
    outcomes = sorted(results.get(timeout=60) for _ in racers)
    for racer in racers:
        racer.join(timeout=30)
    assert outcomes.count("won") == 1
    assert all(
        outcome.startswith("conflict: ") and "expected the log to end at seq 0" in outcome
        for outcome in outcomes
        if outcome != "won"
    )
    assert len(logged_ids(db)) == 1
    assert verify_exit_code(db) == 0


def test_a_cli_writer_that_loses_the_race_gets_a_one_line_conflict(tmp_path):
    db = tmp_path / "race.db"
    Timeline.init(db).close()
    other = timeline_command("import", "-", "--db", str(db), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    other.communicate(statement_line("theirs") + "\n", timeout=60)
    assert other.returncode == 0
    result = CliRunner().invoke(
        cli,
        [
            "append",
            "statement.made",
            "--db",
            str(db),
            "--on",
            "2024-08-12",
            "--source",
            "Wire",
            "--data",
            '{"speaker": "S", "summary": "Mine."}',
            "--expect-head",
            "0",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "expected the log to end at seq 0" in result.stderr
    assert logged_ids(db) == ["theirs"]


# -- crashes ---------------------------------------------------------------------------------


@needs_fork_and_kill
def test_an_import_killed_at_random_moments_leaves_all_of_it_or_none(tmp_path):
    db = tmp_path / "crash.db"
    Timeline.init(db).close()
    rng = random.Random(20240806)
    count = 6_000
    started = time.perf_counter()
    probe = timeline_command(
        "import", str(write_jsonl(tmp_path / "probe.jsonl", "probe", count)), "--db", str(db), stdout=subprocess.DEVNULL
    )
    assert probe.wait(timeout=120) == 0
    full_run = time.perf_counter() - started
    before = len(logged_ids(db))
    outcomes = set()
    trials = int(os.environ.get("CRASH_TRIALS", "12"))
    for trial in range(trials):
        source = write_jsonl(tmp_path / f"trial-{trial}.jsonl", f"trial{trial}", count)
        importer = timeline_command(
            "import", str(source), "--db", str(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2 * full_run, 1.1 * full_run))
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=30)
        ids = logged_ids(db)
        imported = sum(1 for event_id in ids if event_id.startswith(f"trial{trial}-"))
        assert imported in (0, count), f"trial {trial}: a killed import left {imported} of {count} events"
        assert len(ids) == before + imported
        before = len(ids)
        outcomes.add(imported == count)
        assert verify_exit_code(db) == 0
    assert False in outcomes, "no kill landed inside an import: the trials proved nothing"
    # The log takes writes again after every crash: no lock is left behind.
    assert (
        timeline_command(
            "import",
            str(write_jsonl(tmp_path / "after.jsonl", "after", 10)),
            "--db",
            str(db),
            stdout=subprocess.DEVNULL,
        ).wait(timeout=60)
        == 0
    )
    assert verify_exit_code(db) == 0


_BETWEEN_BATCHES = """
import sys, time
sys.path.insert(0, sys.argv[1])
from timeline import Timeline

def first_batch_written(count):
    print("batch", count, flush=True)
    time.sleep(60)  # the parent kills us here, between two batches of one import

with Timeline.open(sys.argv[2]) as timeline:
    timeline.import_jsonl(sys.argv[3], progress=first_batch_written)
"""


@needs_fork_and_kill
def test_a_crash_between_two_batches_of_one_import_leaves_none_of_it(tmp_path):
    db = tmp_path / "batches.db"
    timeline = Timeline.init(db)
    timeline.append(
        kind="statement.made",
        occurred_on="2024-08-12",
        source="Wire",
        event_id="kept",
        data={"speaker": "S", "summary": "Before the crash."},
    )
    timeline.close()
    source = write_jsonl(tmp_path / "two-batches.jsonl", "lost", 3_000)  # one batch is 2,000 events
    importer = subprocess.Popen(
        [sys.executable, "-c", _BETWEEN_BATCHES, str(REPO), str(db), str(source)], stdout=subprocess.PIPE, text=True
    )
    assert importer.stdout.readline().split() == ["batch", "2000"]
    # The first batch is in the WAL file, uncommitted, when the process dies.
    importer.send_signal(signal.SIGKILL)
    importer.wait(timeout=30)
    assert logged_ids(db) == ["kept"]
    assert verify_exit_code(db) == 0


# -- tampering -------------------------------------------------------------------------------

TAMPERABLE_COLUMNS = (
    "event_id",
    "kind",
    "schema_version",
    "occurred_on",
    "reported_on",
    "source",
    "unverified",
    "note",
    "data",
    "recorded_at",
    "prev_hash",
    "hash",
    "date_precision",
)


@st.composite
def tamperings(draw, size: int):
    """One edit of the kind a hand with a SQLite shell could make, and the first seq it breaks."""
    action = draw(st.sampled_from(["edit", "delete", "insert", "swap", "renumber"]))
    k = draw(st.integers(1, size))
    if action == "edit":
        return action, {"k": k, "column": draw(st.sampled_from(TAMPERABLE_COLUMNS))}, k
    if action == "delete":
        return action, {"k": k}, k
    if action == "insert":
        # A copy of row k under a new id, placed after the last row or in a gap past it.
        gap = draw(st.integers(1, 3))
        return action, {"k": k, "seq": size + gap}, size + 1
    if action == "swap":
        other = draw(st.integers(1, size).filter(lambda j: j != k)) if size > 1 else None
        if other is None:
            return "edit", {"k": k, "column": "data"}, k
        return action, {"k": min(k, other), "j": max(k, other)}, min(k, other)
    # renumber: move row k to a seq past the end
    return action, {"k": k, "seq": size + draw(st.integers(1, 3))}, k


def apply_tampering(db: Path, action: str, args: dict) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER events_refuse_update")
        conn.execute("DROP TRIGGER events_refuse_delete")
        k = args["k"]
        if action == "edit":
            column = args["column"]
            value = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", [k]).fetchone()[0]
            if isinstance(value, int):
                changed = value + 1
            elif value is None:
                changed = "added later"
            elif column == "event_id":
                changed = value + "-edited"  # unique: changing a character could give another row's id
            elif column == "data":
                changed = json.dumps({**json.loads(value), "tampered": True})
            elif isinstance(value, bytes):  # a hash, stored as bytes
                changed = value[:-1] + bytes([value[-1] ^ 1])
            else:
                changed = value[:-1] + ("0" if value[-1] != "0" else "1")
            conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", [changed, k])
        elif action == "delete":
            conn.execute("DELETE FROM events WHERE seq = ?", [k])
        elif action == "insert":
            columns = [row[1] for row in conn.execute("PRAGMA table_info(events)")]
            row = dict(zip(columns, conn.execute("SELECT * FROM events WHERE seq = ?", [k]).fetchone(), strict=True))
            row.update(seq=args["seq"], event_id=row["event_id"] + "-copy")
            conn.execute(
                f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
        elif action == "swap":
            columns = list(TAMPERABLE_COLUMNS)
            rows = {
                seq: conn.execute(f"SELECT {', '.join(columns)} FROM events WHERE seq = ?", [seq]).fetchone()
                for seq in (k, args["j"])
            }
            conn.execute("UPDATE events SET event_id = event_id || '-moving' WHERE seq IN (?, ?)", [k, args["j"]])
            for seq, other in ((k, args["j"]), (args["j"], k)):
                conn.execute(
                    f"UPDATE events SET {', '.join(c + ' = ?' for c in columns)} WHERE seq = ?", [*rows[other], seq]
                )
        elif action == "renumber":
            conn.execute("UPDATE events SET seq = ? WHERE seq = ?", [args["seq"], k])
        conn.commit()
    finally:
        conn.close()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(log=event_logs(min_size=1, max_size=8, window=AUGUST_2024, small_pools=True), data=st.data())
def test_verify_finds_any_single_tampering_and_names_the_first_bad_seq(tmp_path_factory, log, data):
    db = tmp_path_factory.mktemp("tamper") / "log.db"
    with Timeline.init(db) as timeline:
        timeline.store.append(log)
    action, args, first_bad = data.draw(tamperings(len(log)), label="tampering")
    apply_tampering(db, action, args)
    result = CliRunner().invoke(cli, ["verify", "--db", str(db), "--json"])
    assert result.exit_code == 1, (action, args)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["first_bad_seq"] == first_bad, (action, args, report["problem"])
    text = CliRunner().invoke(cli, ["verify", "--db", str(db)])
    assert text.exit_code == 1 and f"seq {first_bad}:" in text.stderr


def test_a_damaged_file_that_fails_under_a_query_is_named_in_one_line(tmp_path, dataset_path):
    """A file that still opens (its schema is intact) but whose event pages are garbage: `log`
    fails while reading them, in one line, with no traceback."""
    path = tmp_path / "kursk.db"
    with Timeline.init(path) as timeline:
        timeline.import_jsonl(dataset_path)
    with sqlite3.connect(path) as conn:
        pages = [
            page for (page,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'")
        ]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data, rng = bytearray(path.read_bytes()), random.Random(7)
    for page in pages:
        data[(page - 1) * page_size : page * page_size] = rng.randbytes(page_size)
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["log", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr == "Error: the database failed: database disk image is malformed\n"


def test_a_postgresql_database_that_fails_under_a_query_is_named_in_one_line(postgres_url, dataset_path):
    """A role that may open the log but not read its events: the server's refusal, in one line."""
    import urllib.parse

    import psycopg

    with Timeline.init(postgres_url) as timeline:
        timeline.import_jsonl(dataset_path)
    parts = urllib.parse.urlsplit(postgres_url)
    reader = "reader_" + parts.path.strip("/")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {reader} LOGIN")
        admin.execute(f"GRANT SELECT ON log_head, timeline_schema, knowledge_head TO {reader}")
    netloc = reader + "@" + parts.netloc.rsplit("@", 1)[-1]  # the test server trusts local roles
    reader_url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    try:
        result = CliRunner().invoke(cli, ["log", "--db", reader_url], catch_exceptions=False)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {reader}")
            admin.execute(f"DROP ROLE {reader}")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "permission denied" in result.stderr


def test_an_edit_that_leaves_an_infinite_number_in_a_row_is_named_by_verify(tmp_path, dataset_path):
    """Canonical JSON has no spelling for infinity, so no append writes one; an edit that does
    is reported at its seq, not a traceback."""
    path = tmp_path / "kursk.db"
    with Timeline.init(path) as timeline:
        timeline.import_jsonl(dataset_path)
    with sqlite3.connect(path) as conn:
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("UPDATE events SET unverified = 9e999 WHERE seq = 5")
    conn.close()
    result = CliRunner().invoke(cli, ["verify", "--full", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "seq 5: content does not match its hash" in result.output + result.stderr
