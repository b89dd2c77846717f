"""The SQLite backend against the store contract (tests/store_contract.py), and what only it does."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from store_contract import DAY, STORE_EXAMPLES, EventStoreContract, SharedStoreContract, statement
from strategies import AUGUST_2024, event_logs, events

import timeline.store.sqlite
from events import registry
from events.quantity import Bound, Quantity
from timeline.api import Timeline
from timeline.errors import BadEvent, ConflictError, NotATimeline, ReadOnlyTimeline
from timeline.integrity.verify import verify_log
from timeline.store import EventStore, create_store, layout, memory_store, open_store
from timeline.store import sqlite_schema as schema
from timeline.store.rows import COLUMNS


class SQLiteContract:
    """The contract's raw-SQL helpers, for an SQLite store."""

    database_error = sqlite3.DatabaseError
    integrity_error = sqlite3.IntegrityError
    SQL: dict[str, Any] = {
        "data_tampered": "json_set(data, '$.tampered', 1)",
        "day_before": "date(occurred_on, '-1 day')",
        "drop_delete_guard": "DROP TRIGGER events_refuse_delete",
        "other_hash": "X'" + "ee" * 32 + "'",
        "other_hash_text": "'" + "e" * 64 + "'",
        # Still named as the guard, but only an UPDATE of `note` is refused.
        "neuter_update_guard": [
            "DROP TRIGGER events_refuse_update",
            "CREATE TRIGGER events_refuse_update BEFORE UPDATE OF note ON events "
            "BEGIN SELECT RAISE(ABORT, 'the events of the log are append-only: UPDATE refused'); END",
        ],
    }

    def raw_connection(self, store: Any) -> tuple[sqlite3.Connection, bool]:
        raise NotImplementedError

    def raw_sql(self, store: Any, *statements: str | tuple[str, list[Any]]) -> None:
        conn, own = self.raw_connection(store)
        try:
            for statement_ in statements:
                sql, params = statement_ if isinstance(statement_, tuple) else (statement_, [])
                conn.execute(sql, params)
            conn.commit()
        except sqlite3.Error:
            conn.rollback()  # a shared connection must not be left inside a failed transaction
            raise
        finally:
            if own:
                conn.close()

    def query(self, store: Any, sql: str) -> list[tuple[Any, ...]]:
        return list(store.db.execute(sql).fetchall())

    def tamper(self, store: Any, *statements: str | tuple[str, list[Any]]) -> None:
        triggers = store.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        assert triggers
        self.raw_sql(
            store, *[f"DROP TRIGGER {name}" for name, _ in triggers], *statements, *[sql for _, sql in triggers]
        )

    def dump(self, store: Any) -> list[str]:
        return list(store.db.conn.iterdump())

    def view_names(self, store: Any) -> set[str]:
        return {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}


class TestSQLiteFileStore(SQLiteContract, SharedStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return create_store(tmp_path / "timeline.db")

    def raw_connection(self, store: Any) -> tuple[sqlite3.Connection, bool]:
        return sqlite3.connect(store.label), True

    def target(self, store: EventStore) -> str:
        return store.label

    def test_the_log_survives_reopening(self, db_path):
        store = create_store(db_path)
        store.append([statement("a"), statement("b")])
        store.close()
        reopened = open_store(db_path)
        try:
            assert [r.event_id for r in reopened.events()] == ["a", "b"]
            assert verify_log(reopened).ok
        finally:
            reopened.close()

    def test_the_database_is_in_wal_mode(self, store):
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_creating_over_an_existing_timeline_opens_it_unchanged(self, db_path, fingerprint):
        store = create_store(db_path)
        store.append([statement("a")])
        store.close()
        before = fingerprint(db_path)
        create_store(db_path).close()
        assert fingerprint(db_path) == before

    def test_a_read_only_store_refuses_to_append(self, db_path, fingerprint):
        create_store(db_path).close()
        before = fingerprint(db_path)
        store = open_store(db_path, writable=False)
        try:
            with pytest.raises(ReadOnlyTimeline):
                store.append([statement("a")])
        finally:
            store.close()
        assert fingerprint(db_path) == before

    def test_a_lock_held_past_the_busy_timeout_is_a_conflict(self, db_path, monkeypatch):
        # Writers queue on SQLite's lock for BUSY_TIMEOUT_S; one that waits it out gets a
        # ConflictError (exit 2) and writes nothing. The wait is cut from 60 s for the test.
        monkeypatch.setattr(timeline.store.sqlite, "BUSY_TIMEOUT_S", 0.05)
        store = create_store(db_path)
        store.append([statement("first")])
        holder = sqlite3.connect(db_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another writer, in the middle of its transaction
            with pytest.raises(ConflictError, match="locked by another writer"):
                store.append([statement("blocked")])
            holder.execute("ROLLBACK")
            assert store.head()[0] == 1
            # Once the lock is free the same store writes again, chained onto the last event.
            store.append([statement("after")])
            assert [r.event_id for r in store.events()] == ["first", "after"]
            assert verify_log(store).ok
        finally:
            holder.close()
            store.close()

    def test_opening_a_missing_path_fails_without_creating_it(self, tmp_path):
        path = tmp_path / "nothing-here.db"
        with pytest.raises(NotATimeline, match="no such file"):
            open_store(path)
        assert not path.exists()

    def test_a_text_file_is_not_a_timeline_and_is_left_alone(self, tmp_path, read_bytes):
        path = tmp_path / "notes.db"
        path.write_text("these are my notes\n")
        with pytest.raises(NotATimeline):
            open_store(path)
        with pytest.raises(NotATimeline):
            create_store(path)
        assert read_bytes(path) == b"these are my notes\n"

    def test_an_sqlite_database_without_an_event_log_is_not_a_timeline(self, tmp_path):
        path = tmp_path / "other.db"
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE things (a)")
            conn.commit()
        with pytest.raises(NotATimeline, match="not a timeline"):
            open_store(path)

    def test_a_log_from_a_newer_version_is_refused(self, db_path):
        create_store(db_path).close()
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            conn.execute("PRAGMA user_version = 99")
        with pytest.raises(NotATimeline, match="newer version"):
            open_store(db_path)

    def test_a_directory_is_not_a_timeline(self, tmp_path):
        with pytest.raises(NotATimeline, match="directory"):
            open_store(tmp_path)


class TestInMemoryStore(SQLiteContract, EventStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return memory_store()

    def raw_connection(self, store: Any) -> tuple[sqlite3.Connection, bool]:
        return store.db.conn, False


class TestTimelineWrites:
    """The Python API's write methods keep the store's promises and name bad fields."""

    def test_append_accepts_fields_as_keywords(self, fresh_timeline):
        result = fresh_timeline.append(
            kind="territory.claimed",
            occurred_on=DAY,
            source="Oleksandr Syrskyi",
            data={"claimant": "Ukraine", "area_km2": {"value": 1000, "bound": "approx"}, "basis": "total"},
        )
        assert result.appended[0].event.payload.area_km2 == Quantity(1000, Bound.APPROX)
        assert len(fresh_timeline) == 1

    def test_append_of_a_bad_record_names_the_field(self, fresh_timeline):
        with pytest.raises(BadEvent) as caught:
            fresh_timeline.append(
                kind="prisoners.captured",
                occurred_on="2024-08-12",
                source="S",
                data={"captor": "Ukraine", "count": -1, "basis": "total"},
            )
        assert caught.value.field in ("data.count", "data.count.value")
        assert len(fresh_timeline) == 0

    def test_the_bundled_log_is_read_only(self):
        bundled = Timeline.bundled()
        try:
            assert len(bundled) > 0 and bundled.verify().ok
            with pytest.raises(ReadOnlyTimeline):
                bundled.append(statement("a"))
        finally:
            bundled.close()

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=6))
    def test_exported_log_reimports_as_a_no_op(self, log):
        source = Timeline(memory_store())
        source.store.append(log)
        exported = io.StringIO()
        assert source.export("jsonl", exported) == len(log)
        target = Timeline(memory_store())
        first = target.import_jsonl(io.BytesIO(exported.getvalue().encode("utf-8")))
        again = target.import_jsonl(io.BytesIO(exported.getvalue().encode("utf-8")))
        assert first.count == len(log) and first.appended == ()  # an import keeps counts, not events
        assert [r.event for r in target.events()] == log
        assert again.appended == () and again.unchanged == len(log)

    @STORE_EXAMPLES
    @given(event=events(window=AUGUST_2024, kinds=tuple(k for k in registry.kind_names() if k != "event.retracted")))
    def test_a_recorded_event_exposes_its_envelope(self, event):
        store = memory_store()
        (recorded,) = store.append([event]).appended
        assert (recorded.event_id, recorded.kind, recorded.payload) == (event.event_id, event.kind, event.payload)
        assert (recorded.occurred_on, recorded.reported_on) == (event.occurred_on, event.reported_on)


def test_a_schema_8_store_gets_the_index_a_walk_over_days_reads_alone(tmp_path):
    """Fails if the upgrade keeps the index of valid days alone: each version a walk over days
    reads would then be looked up in the table (12 of the 20 s of `days` at a million rows)."""
    path = tmp_path / "v8.db"

    def displaced(day: str, count: int) -> dict[str, Any]:
        data = {"region": "Kursk Oblast", "count": {"value": count}, "basis": "total"}
        return {"kind": "civilians.displaced", "occurred_on": day, "source": "S", "data": data}

    Timeline.init(path).append(displaced("2024-08-10", 100))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX idx_fact_versions_valid_from")
        conn.execute("CREATE INDEX idx_fact_versions_valid_from ON fact_versions (valid_from)")
        conn.execute("DROP TABLE fact_values_unused")  # schema 10's
        conn.execute("PRAGMA user_version = 8")
    writer = Timeline.open(path)
    try:
        writer.append(displaced("2024-08-11", 200))
        assert writer.store.schema_version == schema.CURRENT_VERSION == 10
        columns = [row[2] for row in writer.store.db.execute("PRAGMA index_info(idx_fact_versions_valid_from)")]
        assert columns == ["valid_from", "key_id", "known_from", "known_to", "value_id"]
        walk = list(writer.store.fact_tables.stream_changes("9999-12-31", "9999-12-31"))
        assert len(walk) == 2  # one fact, set on each day
        plan = writer.store.db.execute(
            "EXPLAIN QUERY PLAN SELECT valid_from, key_id, value_id FROM fact_versions WHERE valid_from > ? "
            "AND valid_from <= ? AND known_from <= ? AND known_to > ? ORDER BY valid_from, key_id LIMIT 5",
            ["", "9", "9", "9"],
        ).fetchall()
        assert "COVERING INDEX idx_fact_versions_valid_from" in str(plan)
    finally:
        writer.close()


def _schema_4_copy(source: EventStore, path: Path) -> None:
    """A store as schema 4 wrote it (signed heads, hashes as hex text), holding `source`'s rows and signed heads."""
    db = sqlite_utils.Database(sqlite3.connect(path))
    with db.conn:
        schema.create_version_1(db)
        for version in (2, 3, 4):
            schema.MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version}")
        names = list(COLUMNS)
        for row in source.rows():
            db.execute(
                f"INSERT INTO events ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[name] for name in names],
            )
        db.execute("UPDATE log_head SET seq = ?, hash = ? WHERE id = 1", list(source.head()))
        for signed in source.signed_heads():
            columns = layout.SIGNED_HEAD_COLUMNS
            db.execute(
                f"INSERT INTO signed_heads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [getattr(signed, name) for name in columns],
            )
    db.close()


def test_a_schema_4_store_with_signed_heads_is_read_as_it_is_and_its_first_write_keeps_every_hash(tmp_path):
    """Schema 5 stores hashes as blobs: the upgrade must keep every hash, the head and the signed heads."""
    key = Ed25519PrivateKey.generate()
    source = Timeline(memory_store())
    source.append(statement("a"))
    source.append(statement("b", occurred_on=DAY.replace(day=DAY.day + 1)))
    signed = source.sign(key)
    path = tmp_path / "v4.db"
    _schema_4_copy(source.store, path)
    rows_before = list(source.store.rows())

    reader = Timeline.open(path, read_only=True)
    try:
        assert reader.store.schema_version == 4
        assert list(reader.store.rows()) == rows_before  # hex text read as it is
        assert reader.verify(key.public_key()).ok
        assert not reader.checkpoints.usable() and reader.state(DAY).events_applied == 1
    finally:
        reader.close()

    writer = Timeline.open(path)
    try:
        writer.append(statement("c"))
        assert writer.store.schema_version == schema.CURRENT_VERSION == 10
        assert list(writer.store.rows())[:2] == rows_before  # every hash kept, read back as hex
        assert writer.store.signed_heads() == [signed]
        assert writer.checkpoints.usable()
        assert writer.state(DAY).to_json() == writer.state(DAY, use_checkpoints=False).to_json()
        report = writer.verify(key.public_key(), decode=True)
        assert report.ok and report.signed_seq == signed.seq
        stored = writer.store.db.execute("SELECT typeof(hash), typeof(prev_hash) FROM events").fetchall()
        assert set(stored) == {("blob", "blob")}
    finally:
        writer.close()
