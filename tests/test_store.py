"""The event store's contract, run against every backend.

`EventStoreContract` holds the tests; a backend subclasses it and supplies `make_store` (a
new, empty store) and `raw_connection` (a sqlite3 connection that bypasses the store, for
tampering). A PostgreSQL store later is one more subclass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import multiprocessing
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AUGUST_2024, event_logs, events

import timeline.store
from events import registry
from events.codec import event_to_record
from events.envelope import Event
from events.kinds import AreaBasis, EventRetracted, StatementMade, TerritoryClaimed
from events.quantity import Bound, Quantity
from timeline.api import Timeline
from timeline.errors import BadEvent, ConflictError, NotATimeline, ReadOnlyTimeline
from timeline.rows import record_to_row, row_hash
from timeline.store import BATCH_SIZE, GENESIS_HASH, EventStore

# Each example builds a store (schema, views, triggers): fewer examples than pure-data laws.
# The contract's tests run once per backend subclass, hence `differing_executors`; each
# example makes a store of its own under tmp_path, hence `function_scoped_fixture`.
_STORE_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.differing_executors, HealthCheck.too_slow]
STORE_EXAMPLES = settings(
    settings.default, max_examples=max(10, settings.default.max_examples // 8), suppress_health_check=_STORE_HEALTH
)
# The tamper test is parametrized over eight edits; a few examples of each suffice.
TAMPER_EXAMPLES = settings(
    settings.default, max_examples=max(5, settings.default.max_examples // 20), suppress_health_check=_STORE_HEALTH
)

DAY = dt.date(2024, 8, 12)


def statement(event_id: str, summary: str = "The advance has been stopped.", **envelope) -> Event:
    return Event(
        StatementMade("Valery Gerasimov", summary),
        envelope.pop("occurred_on", DAY),
        "TASS",
        event_id=event_id,
        **envelope,
    )


def retraction(event_id: str, target: str) -> Event:
    return Event(EventRetracted(target, "misattributed"), DAY, "TASS", event_id=event_id)


class EventStoreContract:
    """What every event store must do. Not collected itself (no `Test` prefix)."""

    def make_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    def raw_connection(self, store: EventStore) -> tuple[sqlite3.Connection, bool]:
        """A connection that bypasses the store, and whether the caller must close it."""
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[EventStore]:
        store = self.make_store(tmp_path)
        yield store
        store.close()

    @contextlib.contextmanager
    def new_store(self, tmp_path: Path) -> Iterator[EventStore]:
        """A store of its own for one hypothesis example."""
        store = self.make_store(Path(tempfile.mkdtemp(dir=tmp_path)))
        try:
            yield store
        finally:
            store.close()

    def raw_sql(self, store: EventStore, *statements: str | tuple[str, list]) -> None:
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

    def tamper(self, store: EventStore, *statements: str | tuple[str, list]) -> None:
        """Run `statements` with the append-only triggers dropped, then put the triggers back,
        so the tampering itself is the only thing `verify` can find."""
        triggers = store.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        ).fetchall()
        assert triggers
        self.raw_sql(
            store, *[f"DROP TRIGGER {name}" for name, _ in triggers], *statements, *[sql for _, sql in triggers]
        )

    @staticmethod
    def dump(store: EventStore) -> list[str]:
        """Every table, index, view and trigger, as SQL: equal dumps mean an unchanged log."""
        return list(store.db.conn.iterdump())

    # -- appending -----------------------------------------------------------------------------

    def test_a_new_store_is_empty_and_intact(self, store):
        assert store.head() == (0, GENESIS_HASH)
        assert list(store.events()) == []
        report = store.verify()
        assert report.ok and report.events == 0 and report.head_hash == GENESIS_HASH

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=8), data=st.data())
    def test_appends_get_seq_1_to_n_in_order_and_read_back_equal(self, tmp_path, log, data):
        split = data.draw(st.integers(0, len(log)), label="split")
        with self.new_store(tmp_path) as store:
            first = store.append(log[:split])
            second = store.append(log[split:])
            assert [r.seq for r in first.appended + second.appended] == list(range(1, len(log) + 1))
            assert second.head == len(log) and store.head()[0] == len(log)
            recorded = list(store.events())
            assert [r.event for r in recorded] == log
            assert [r.seq for r in recorded] == list(range(1, len(log) + 1))
            assert list(first.appended + second.appended) == recorded
            report = store.verify()
            assert report.ok and report.events == len(log) and report.head_hash == recorded[-1].hash

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=6))
    def test_each_row_is_chained_to_the_one_before(self, tmp_path, log):
        with self.new_store(tmp_path) as store:
            store.append(log)
            rows = list(store.rows())
            assert rows[0]["prev_hash"] == GENESIS_HASH
            for before, after in itertools.pairwise(rows):
                assert after["prev_hash"] == before["hash"]
            assert all(row_hash(row) == row["hash"] for row in rows)
            assert store.head() == (len(rows), rows[-1]["hash"])

    def test_get_finds_an_event_by_id(self, store):
        store.append([statement("a"), statement("b")])
        assert store.get("b").seq == 2 and store.get("b").event == statement("b")
        assert store.get("missing") is None

    def test_the_database_refuses_a_second_row_with_the_same_event_id(self, store):
        store.append([statement("a")])
        row = record_to_row(event_to_record(statement("a")), 2, "2024-08-12T00:00:00+00:00", store.head()[1])
        with pytest.raises(sqlite3.IntegrityError):
            self.raw_sql(
                store,
                (f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())),
            )

    # -- idempotency and conflicts -------------------------------------------------------------

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=6))
    def test_reappending_identical_events_is_a_counted_no_op(self, tmp_path, log):
        with self.new_store(tmp_path) as store:
            store.append(log)
            before = self.dump(store)
            result = store.append(log)
            assert result.appended == () and result.unchanged == len(log) and result.head == len(log)
            assert self.dump(store) == before

    def test_identical_event_twice_in_one_batch_is_written_once(self, store):
        result = store.append([statement("a"), statement("a")])
        assert len(result.appended) == 1 and result.unchanged == 1
        assert store.head()[0] == 1

    @pytest.mark.parametrize(
        "change",
        [
            {"source": "RIA Novosti"},
            {"occurred_on": DAY - dt.timedelta(days=1)},
            {"reported_on": DAY + dt.timedelta(days=1)},
            {"unverified": True},
            {"note": "a caveat"},
            {"payload": StatementMade("Valery Gerasimov", "Another summary.")},
        ],
        ids=lambda change: next(iter(change)),
    )
    def test_same_id_with_different_content_conflicts_and_changes_nothing(self, store, change):
        original = statement("k24-claim")
        store.append([original, statement("other")])
        before = self.dump(store)
        with pytest.raises(ConflictError, match="k24-claim"):
            store.append([statement("new-1"), attrs.evolve(original, **change), statement("new-2")])
        assert self.dump(store) == before

    def test_same_id_with_different_content_inside_one_batch_conflicts(self, store):
        with pytest.raises(ConflictError):
            store.append([statement("a"), statement("a", summary="Something else.")])
        assert store.head() == (0, GENESIS_HASH)

    # -- optimistic concurrency ----------------------------------------------------------------

    def test_expected_head_that_matches_appends(self, store):
        assert store.append([statement("a")], expected_head=0).head == 1
        assert store.append([statement("b")], expected_head=1).head == 2

    @pytest.mark.parametrize("stale", [0, 1, 3])
    def test_expected_head_that_does_not_match_conflicts_and_writes_nothing(self, store, stale):
        store.append([statement("a"), statement("b")])
        before = self.dump(store)
        with pytest.raises(ConflictError, match="seq 2"):
            store.append([statement("c")], expected_head=stale)
        assert self.dump(store) == before

    # -- all or nothing ------------------------------------------------------------------------

    @staticmethod
    def _bad_items(kind: str) -> Iterator:
        yield statement("good-1")
        yield statement("good-2")
        if kind == "conflict":
            yield statement("already-logged", summary="Different content.")
        elif kind == "unknown retraction":
            yield retraction("bad-retraction", "no-such-event")
        else:  # an input error raised while reading, as read_events does for a bad line
            raise BadEvent("not valid JSON", where="input.jsonl:3")
        yield statement("good-3")

    @pytest.mark.parametrize("batch_size", [1, 2, BATCH_SIZE])
    @pytest.mark.parametrize("kind", ["conflict", "unknown retraction", "input error"])
    def test_a_bad_event_in_the_middle_leaves_the_log_unchanged(self, store, kind, batch_size):
        # batch_size 1 and 2 put good events in earlier batches than the bad one: still all or nothing.
        store.append([statement("already-logged")])
        before = self.dump(store)
        with pytest.raises((BadEvent, ConflictError)):
            store.append(self._bad_items(kind), batch_size=batch_size)
        assert self.dump(store) == before
        assert [r.event_id for r in store.events()] == ["already-logged"]
        # ... and the store still works afterwards.
        assert store.append([statement("after")]).head == 2

    # -- retractions ---------------------------------------------------------------------------

    def test_retracting_an_unknown_event_is_refused(self, store):
        store.append([statement("a")])
        before = self.dump(store)
        with pytest.raises(BadEvent) as caught:
            store.append([retraction("r", "no-such-event")])
        assert caught.value.field == "data.target_event_id"
        assert self.dump(store) == before

    def test_an_event_cannot_retract_itself(self, store):
        with pytest.raises(BadEvent) as caught:
            store.append([retraction("r", "r")])
        assert caught.value.field == "data.target_event_id"
        assert store.head()[0] == 0

    def test_retracting_a_logged_event_or_one_earlier_in_the_batch_is_accepted(self, store):
        store.append([statement("a")])
        result = store.append([retraction("ra", "a"), statement("b"), retraction("rb", "b")])
        assert [r.event_id for r in result.appended] == ["ra", "b", "rb"]
        assert store.verify().ok

    def test_retracting_an_event_later_in_the_same_batch_is_refused(self, store):
        with pytest.raises(BadEvent):
            store.append([retraction("r", "b"), statement("b")])
        assert store.head()[0] == 0

    # -- the database refuses edits ------------------------------------------------------------

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE events SET source = 'someone else' WHERE seq = 1",
            "UPDATE events SET seq = seq + 10",
            "DELETE FROM events WHERE seq = 2",
            "DELETE FROM events",
        ],
    )
    def test_raw_update_and_delete_are_refused_by_triggers(self, store, sql):
        store.append([statement("a"), statement("b")])
        before = self.dump(store)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            self.raw_sql(store, sql)
        assert self.dump(store) == before
        assert store.verify().ok
        assert store.append([statement("c")]).head == 3

    # -- verify detects tampering --------------------------------------------------------------

    EDITS = {
        "source": "UPDATE events SET source = source || ' (edited)' WHERE seq = {k}",
        "data": "UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE seq = {k}",
        "occurred_on": "UPDATE events SET occurred_on = date(occurred_on, '-1 day') WHERE seq = {k}",
        "unverified": "UPDATE events SET unverified = 1 - unverified WHERE seq = {k}",
        "recorded_at": "UPDATE events SET recorded_at = '2000-01-01T00:00:00+00:00' WHERE seq = {k}",
        "hash": "UPDATE events SET hash = '" + "f" * 64 + "' WHERE seq = {k}",
        "prev_hash": "UPDATE events SET prev_hash = '" + "e" * 64 + "' WHERE seq = {k}",
        "deleted": "DELETE FROM events WHERE seq = {k}",
    }

    @TAMPER_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=5, window=AUGUST_2024), data=st.data())
    @pytest.mark.parametrize("edit", sorted(EDITS))
    def test_verify_names_the_first_tampered_seq(self, tmp_path, edit, log, data):
        # Deleting the last row is a truncation: the recorded head then names the missing seq.
        k = data.draw(st.integers(1, len(log)), label="k")
        with self.new_store(tmp_path) as store:
            store.append(log)
            self.tamper(store, self.EDITS[edit].format(k=k))
            report = store.verify()
            assert not report.ok
            assert report.first_bad_seq == k, report.problem

    def test_verify_catches_a_row_inserted_after_the_last(self, store):
        store.append([statement("a"), statement("b")])
        seq, head_hash = store.head()
        # A well-formed row, chained to the head: only the recorded head gives it away.
        row = record_to_row(event_to_record(statement("forged")), seq + 1, "2024-08-12T00:00:00+00:00", head_hash)
        self.tamper(
            store, (f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        )
        report = store.verify()
        assert not report.ok and report.first_bad_seq == 3

    def test_verify_catches_a_rewound_head(self, store):
        store.append([statement("a"), statement("b")])
        self.raw_sql(store, "UPDATE log_head SET seq = 1")
        report = store.verify()
        assert not report.ok and report.first_bad_seq == 2

    def test_verify_catches_an_emptied_log(self, store):
        store.append([statement("a"), statement("b")])
        self.tamper(store, "DELETE FROM events")
        report = store.verify()
        assert not report.ok and report.first_bad_seq == 1

    def test_verify_reports_missing_triggers(self, store):
        store.append([statement("a")])
        self.raw_sql(store, "DROP TRIGGER events_refuse_delete")
        report = store.verify()
        assert not report.ok and "trigger" in report.problem

    # -- old schema versions -------------------------------------------------------------------

    V1_RECORD = {
        "event_id": "syrskyi-1000",
        "kind": "territory.claimed",
        "schema_version": 1,
        "occurred_on": "2024-08-12",
        "reported_on": "2024-08-12",
        "source": "Oleksandr Syrskyi",
        "data": {"claimant": "Ukraine", "area_km2": 1000, "approximate": True},
    }
    V1_AS_CURRENT = Event(
        TerritoryClaimed("Ukraine", AreaBasis.TOTAL, area_km2=Quantity(1000, Bound.APPROX)),
        DAY,
        "Oleksandr Syrskyi",
        event_id="syrskyi-1000",
    )

    def _insert_v1_row(self, store: EventStore) -> dict:
        row = record_to_row(self.V1_RECORD, 1, "2024-08-12T09:00:00+00:00", GENESIS_HASH)
        self.raw_sql(
            store,
            (f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())),
            ("UPDATE log_head SET seq = 1, hash = ? WHERE id = 1", [row["hash"]]),
        )
        return row

    def test_a_version_1_row_is_upcast_on_read_and_verifies(self, store):
        row = self._insert_v1_row(store)
        (recorded,) = store.events()
        assert recorded.event == self.V1_AS_CURRENT
        assert recorded.event.schema_version == 2
        assert store.verify().ok
        # Read, never rewritten: the stored row still says version 1.
        assert next(iter(store.rows())) == row

    def test_a_version_1_row_and_its_current_spelling_are_the_same_event(self, store):
        self._insert_v1_row(store)
        result = store.append([self.V1_AS_CURRENT])
        assert result.appended == () and result.unchanged == 1
        result = store.append([statement("next")])
        assert result.appended[0].prev_hash == store.get("syrskyi-1000").hash
        assert store.verify().ok

    # -- reading -------------------------------------------------------------------------------

    @STORE_EXAMPLES
    @given(
        log=event_logs(min_size=0, max_size=8, window=AUGUST_2024, small_pools=True),
        kind=st.one_of(st.none(), st.sampled_from(registry.kind_names())),
        start=st.one_of(st.none(), st.dates(*AUGUST_2024)),
        end=st.one_of(st.none(), st.dates(*AUGUST_2024)),
    )
    def test_event_filters_match_a_plain_filter_of_the_log(self, tmp_path, log, kind, start, end):
        with self.new_store(tmp_path) as store:
            store.append(log)
            expected = [
                e
                for e in log
                if (kind is None or e.kind == kind)
                and (start is None or e.occurred_on >= start)
                and (end is None or e.occurred_on <= end)
            ]
            got = [r.event for r in store.events(kind=kind, occurred_from=start, occurred_to=end)]
            assert got == expected

    def test_each_kind_has_a_browsable_view(self, store):
        store.append([self.V1_AS_CURRENT])
        views = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        assert views >= {"kind_" + kind.replace(".", "_") for kind in registry.kind_names()}
        row = store.db.execute("SELECT claimant, area_km2, area_km2_bound FROM kind_territory_claimed").fetchone()
        assert row == ("Ukraine", 1000, "approx")


def _append_pairs(path: str, writer: str, rounds: int) -> None:
    """One writer process: append `rounds` batches of two events, `<id>` then `<id>-b`."""
    store = EventStore.open(path)
    try:
        for n in range(rounds):
            store.append([statement(f"{writer}-{n}"), statement(f"{writer}-{n}-b")])
    finally:
        store.close()


class TestSQLiteFileStore(EventStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return EventStore.create(tmp_path / "timeline.db")

    def raw_connection(self, store: EventStore) -> tuple[sqlite3.Connection, bool]:
        return sqlite3.connect(store.label), True

    def test_the_log_survives_reopening(self, db_path):
        store = EventStore.create(db_path)
        store.append([statement("a"), statement("b")])
        store.close()
        reopened = EventStore.open(db_path)
        try:
            assert [r.event_id for r in reopened.events()] == ["a", "b"]
            assert reopened.verify().ok
        finally:
            reopened.close()

    def test_the_database_is_in_wal_mode(self, store):
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_creating_over_an_existing_timeline_opens_it_unchanged(self, db_path, fingerprint):
        store = EventStore.create(db_path)
        store.append([statement("a")])
        store.close()
        before = fingerprint(db_path)
        EventStore.create(db_path).close()
        assert fingerprint(db_path) == before

    def test_a_read_only_store_refuses_to_append(self, db_path, fingerprint):
        EventStore.create(db_path).close()
        before = fingerprint(db_path)
        store = EventStore.open(db_path, writable=False)
        try:
            with pytest.raises(ReadOnlyTimeline):
                store.append([statement("a")])
        finally:
            store.close()
        assert fingerprint(db_path) == before

    def test_a_stale_writer_on_another_connection_conflicts(self, db_path):
        first, second = EventStore.create(db_path), EventStore.open(db_path)
        try:
            head = first.head()[0]
            second.append([statement("theirs")], expected_head=head)
            with pytest.raises(ConflictError):
                first.append([statement("mine")], expected_head=head)
            # Without expected_head, the later writer chains onto the other's event.
            first.append([statement("mine")])
            assert [r.event_id for r in first.events()] == ["theirs", "mine"]
            assert first.verify().ok
        finally:
            first.close()
            second.close()

    def test_a_lock_held_past_the_busy_timeout_is_a_conflict(self, db_path, monkeypatch):
        # Writers queue on SQLite's lock for BUSY_TIMEOUT_S; one that waits it out gets a
        # ConflictError (exit 2) and writes nothing. The wait is cut from 60 s for the test.
        monkeypatch.setattr(timeline.store, "BUSY_TIMEOUT_S", 0.05)
        store = EventStore.create(db_path)
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
            assert store.verify().ok
        finally:
            holder.close()
            store.close()

    def test_writers_in_several_processes_never_interleave_batches_or_fork_the_chain(self, db_path):
        EventStore.create(db_path).close()
        writers = [multiprocessing.Process(target=_append_pairs, args=(str(db_path), f"w{n}", 25)) for n in range(4)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)
        assert [writer.exitcode for writer in writers] == [0, 0, 0, 0]
        store = EventStore.open(db_path)
        try:
            ids = [r.event_id for r in store.events()]
            assert len(ids) == 4 * 25 * 2
            # Each batch's two events sit next to each other, whoever else was writing.
            assert all(ids[i + 1] == ids[i] + "-b" for i in range(0, len(ids), 2))
            assert store.verify().ok
        finally:
            store.close()

    def test_opening_a_missing_path_fails_without_creating_it(self, tmp_path):
        path = tmp_path / "nothing-here.db"
        with pytest.raises(NotATimeline, match="no such file"):
            EventStore.open(path)
        assert not path.exists()

    def test_a_text_file_is_not_a_timeline_and_is_left_alone(self, tmp_path, read_bytes):
        path = tmp_path / "notes.db"
        path.write_text("these are my notes\n")
        with pytest.raises(NotATimeline):
            EventStore.open(path)
        with pytest.raises(NotATimeline):
            EventStore.create(path)
        assert read_bytes(path) == b"these are my notes\n"

    def test_an_sqlite_database_without_an_event_log_is_not_a_timeline(self, tmp_path):
        path = tmp_path / "other.db"
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE things (a)")
            conn.commit()
        with pytest.raises(NotATimeline, match="not a timeline"):
            EventStore.open(path)

    def test_a_log_from_a_newer_version_is_refused(self, db_path):
        EventStore.create(db_path).close()
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            conn.execute("PRAGMA user_version = 99")
        with pytest.raises(NotATimeline, match="newer version"):
            EventStore.open(db_path)

    def test_a_directory_is_not_a_timeline(self, tmp_path):
        with pytest.raises(NotATimeline, match="directory"):
            EventStore.open(tmp_path)


class TestInMemoryStore(EventStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return EventStore.in_memory()

    def raw_connection(self, store: EventStore) -> tuple[sqlite3.Connection, bool]:
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
        source = Timeline(EventStore.in_memory())
        source.store.append(log)
        exported = io.StringIO()
        assert source.export_jsonl(exported) == len(log)
        target = Timeline(EventStore.in_memory())
        first = target.import_jsonl(io.BytesIO(exported.getvalue().encode("utf-8")))
        again = target.import_jsonl(io.BytesIO(exported.getvalue().encode("utf-8")))
        assert first.count == len(log) and first.appended == ()  # an import keeps counts, not events
        assert [r.event for r in target.events()] == log
        assert again.appended == () and again.unchanged == len(log)

    @STORE_EXAMPLES
    @given(event=events(window=AUGUST_2024, kinds=tuple(k for k in registry.kind_names() if k != "event.retracted")))
    def test_a_recorded_event_exposes_its_envelope(self, event):
        store = EventStore.in_memory()
        (recorded,) = store.append([event]).appended
        assert (recorded.event_id, recorded.kind, recorded.payload) == (event.event_id, event.kind, event.payload)
        assert (recorded.occurred_on, recorded.reported_on) == (event.occurred_on, event.reported_on)
