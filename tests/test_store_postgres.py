"""The PostgreSQL backend against the store contract (tests/store_contract.py), and what only it does.

Every test gets a database of its own on the session's server (see `postgres_databases` in
conftest.py): a throwaway cluster, or the server TIMELINE_TEST_POSTGRES_URL names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from postgres_server import Databases
from store_contract import DAY, SharedStoreContract, statement

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgres]')")

import timeline.store.postgres  # noqa: E402  (after the import check above)
from timeline.api import Timeline  # noqa: E402
from timeline.errors import ConflictError, NotATimeline, ReadOnlyTimeline  # noqa: E402
from timeline.integrity.verify import verify_log  # noqa: E402
from timeline.store import (  # noqa: E402
    EventStore,
    create_store,
    open_store,
)
from timeline.store.postgres import PostgresEventStore  # noqa: E402


def _portable(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class TestPostgresStore(SharedStoreContract):
    database_error = psycopg.Error
    integrity_error = psycopg.errors.UniqueViolation
    SQL: dict[str, Any] = {
        "data_tampered": """(data::jsonb || '{"tampered": 1}'::jsonb)::text""",
        "day_before": "to_char(occurred_on::date - 1, 'YYYY-MM-DD')",
        "drop_delete_guard": "DROP TRIGGER events_refuse_delete ON events",
        "other_hash": "'" + "e" * 64 + "'",
        "other_hash_text": "'" + "e" * 64 + "'",
        # The guards' function no longer raises: a statement trigger's return value is ignored.
        "neuter_update_guard": [
            "CREATE OR REPLACE FUNCTION timeline_refuse_edit() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END $$"
        ],
    }

    @pytest.fixture(autouse=True)
    def _databases(self, postgres_databases: Databases) -> Iterator[None]:
        self.databases = postgres_databases
        self.made: list[str] = []
        yield
        for url in self.made:
            self.databases.drop(url)

    def make_store(self, tmp_path: Path) -> EventStore:
        url = self.databases.new()
        self.made.append(url)
        return create_store(url)

    def target(self, store: EventStore) -> str:
        assert isinstance(store, PostgresEventStore)
        return store.url

    @contextlib.contextmanager
    def _raw(self, store: EventStore) -> Iterator[Any]:
        with psycopg.connect(self.target(store)) as conn:  # commits on success, rolls back on error
            yield conn

    def raw_sql(self, store: EventStore, *statements: str | tuple[str, list[Any]]) -> None:
        with self._raw(store) as conn:
            for statement_ in statements:
                sql, params = statement_ if isinstance(statement_, tuple) else (statement_, [])
                conn.execute(_portable(sql), params)

    def query(self, store: EventStore, sql: str) -> list[tuple[Any, ...]]:
        with self._raw(store) as conn:
            return list(conn.execute(sql).fetchall())

    def tamper(self, store: EventStore, *statements: str | tuple[str, list[Any]]) -> None:
        # What someone who holds the database can do: switch the guards off, edit, switch them on.
        self.raw_sql(
            store,
            "ALTER TABLE events DISABLE TRIGGER USER",
            "ALTER TABLE signed_heads DISABLE TRIGGER USER",
            *statements,
            "ALTER TABLE events ENABLE TRIGGER USER",
            "ALTER TABLE signed_heads ENABLE TRIGGER USER",
        )

    def dump(self, store: EventStore) -> list[Any]:
        with self._raw(store) as conn:
            dumped: list[Any] = []
            for sql in (
                "SELECT * FROM events ORDER BY seq",
                "SELECT * FROM log_head",
                "SELECT * FROM signed_heads ORDER BY position",
                "SELECT * FROM timeline_schema",
                "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname",
                "SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() ORDER BY viewname",
            ):
                dumped.append((sql, conn.execute(sql).fetchall()))
            return dumped

    def view_names(self, store: EventStore) -> set[str]:
        return {name for (name,) in self.query(store, "SELECT viewname FROM pg_views WHERE schemaname = 'public'")}

    # -- what only PostgreSQL does ---------------------------------------------------------------

    def test_truncate_is_refused_too(self, store):
        store.append([statement("a")])
        with pytest.raises(psycopg.Error, match="append-only"):
            self.raw_sql(store, "TRUNCATE events")
        assert verify_log(store).ok

    def test_verify_reports_a_disabled_guard(self, store):
        store.append([statement("a")])
        self.raw_sql(store, "ALTER TABLE events DISABLE TRIGGER events_refuse_update")
        report = verify_log(store)
        assert not report.ok and "events_refuse_update" in report.problem

    def test_a_writer_held_up_past_the_lock_timeout_gets_a_conflict(self, store, monkeypatch):
        monkeypatch.setattr(timeline.store.postgres, "LOCK_TIMEOUT_S", 0.2)
        store.append([statement("first")])
        with self._raw(store) as holder:
            holder.execute("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE")  # another writer, mid-transaction
            with pytest.raises(ConflictError, match="locked by another writer"):
                store.append([statement("blocked")])
        assert store.append([statement("after")]).head == 2
        assert [r.event_id for r in store.events()] == ["first", "after"]

    def test_a_store_opened_read_only_cannot_write(self, store):
        reader = open_store(self.target(store), writable=False)
        try:
            with pytest.raises(ReadOnlyTimeline):
                reader.append([statement("a")])
            assert reader.head()[0] == 0
        finally:
            reader.close()

    def test_an_empty_database_is_not_a_timeline_until_init(self):
        url = self.databases.new()
        self.made.append(url)
        with pytest.raises(NotATimeline, match="not a timeline"):
            open_store(url)
        create_store(url).close()
        open_store(url).close()

    def test_a_database_with_another_events_table_is_refused(self):
        url = self.databases.new()
        self.made.append(url)
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE events (id integer)")
        with pytest.raises(NotATimeline, match="not a timeline"):
            open_store(url)
        with pytest.raises(NotATimeline, match="'events'"):
            create_store(url)

    def test_a_log_from_a_newer_version_is_refused(self, store):
        self.raw_sql(store, "UPDATE timeline_schema SET version = 99")
        with pytest.raises(NotATimeline, match="newer version"):
            open_store(self.target(store))

    def test_a_server_that_cannot_be_reached_is_one_clear_error(self):
        with pytest.raises(NotATimeline, match="cannot connect"):
            open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")

    def test_the_password_stays_out_of_messages(self):
        with pytest.raises(NotATimeline) as caught:
            open_store("postgresql://someone:s3cret@127.0.0.1:1/none?connect_timeout=2")
        assert "s3cret" not in str(caught.value) and "***" in str(caught.value)

    def test_a_version_1_store_is_read_as_it_is_and_upgraded_by_its_first_write(self, store):
        store.append([statement("a")])
        self.raw_sql(
            store,
            *(
                f"DROP TABLE {table}"
                for table in (
                    "fact_versions",
                    "fact_values",
                    "fact_keys",
                    "fact_events",
                    "event_counts",
                    "knowledge_head",
                    "verified_head",
                    "row_cells",
                    "fact_values_unused",
                )
            ),
            "UPDATE timeline_schema SET version = 1",
        )
        reader = Timeline.open(self.target(store), read_only=True)
        try:
            assert not reader.checkpoints.available and reader.state(DAY).events_applied == 1
        finally:
            reader.close()
        assert self.query(store, "SELECT version FROM timeline_schema") == [(1,)]
        writer = Timeline.open(self.target(store))
        try:
            writer.append(statement("b"))
            assert writer.store.schema_version == timeline.store.postgres.CURRENT_VERSION == 10
            assert writer.checkpoints.usable() and writer.checkpoint() == writer.checkpoints.count()
            assert writer.verify().ok
        finally:
            writer.close()

    def test_a_long_lived_process_borrows_connections_from_a_pool(self, store):
        store.append([statement("a")])
        pool = timeline.store.postgres.connection_pool(self.target(store), min_size=1, max_size=2)
        try:
            for _ in range(5):  # more opens than the pool has connections: each close gives one back
                reader = Timeline.open(self.target(store), read_only=True, pool=pool)
                assert len(reader) == 1 and reader.state(DAY).events_applied == 1
                reader.close()
            # The read-only setting went with the reader: the next borrower writes.
            writer = Timeline.open(self.target(store), pool=pool)
            try:
                writer.append(statement("b"))
                assert writer.checkpoint() == writer.checkpoints.count() and writer.verify().ok
            finally:
                writer.close()
            assert pool.get_stats()["pool_max"] == 2
        finally:
            pool.close()
        assert store.head()[0] == 2
