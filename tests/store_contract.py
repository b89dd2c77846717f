"""The event store's contract: one test class, subclassed once per backend.

As eventsourcing's `tests/persistence.py` runs one recorder test case per backend, every store
here must pass `EventStoreContract`: idempotent append, expected-head conflicts, all-or-nothing
batches, fold order, the hash chain (the same events give the same head hash as the reference
store), retractions, checkpoint invalidation, signed heads, copying, and the database's own
refusal of UPDATE and DELETE (tested by issuing the SQL directly). `SharedStoreContract` adds
what a store that several processes open must do: concurrent writers, a writer killed
mid-import, following another writer's appends.

A backend's test class supplies `make_store` and the raw-SQL helpers below (the SQL of
tampering differs between databases; what it must achieve does not).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AUGUST_2024, event_logs

from events import registry
from events.codec import event_to_record
from events.envelope import Event
from events.kinds import (
    AreaBasis,
    EventRetracted,
    SettlementClaimed,
    SettlementStatus,
    StatementMade,
    TerritoryClaimed,
)
from events.quantity import Bound, Quantity
from timeline.api import BUNDLED_RECORDED_AT, Timeline
from timeline.errors import BadEvent, ChainBroken, ConflictError
from timeline.formats.jsonl import read_events
from timeline.integrity.verify import verify_log
from timeline.store import BATCH_SIZE, GENESIS_HASH, EventStore, LoggedRow, SeenRow, memory_store, open_store
from timeline.store.rows import record_to_row, row_hash

# Each example builds a store (schema, views, triggers): fewer examples than pure-data laws.
# The contract's tests run once per backend subclass, hence `differing_executors`; each
# example makes a store of its own, hence `function_scoped_fixture`.
_STORE_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.differing_executors, HealthCheck.too_slow]
STORE_EXAMPLES = settings(
    settings.default, max_examples=max(10, settings.default.max_examples // 8), suppress_health_check=_STORE_HEALTH
)
# The tamper test is parametrized over eight edits; a few examples of each suffice.
TAMPER_EXAMPLES = settings(
    settings.default, max_examples=max(5, settings.default.max_examples // 20), suppress_health_check=_STORE_HEALTH
)

DAY = dt.date(2024, 8, 12)
# A valid Ed25519 key and signature that belong to no head of any test log.
_ANOTHER_PUBLIC_KEY = "CruASsGiNA+veYsJQJJ6R4ngvJ19HsDOpQw3e5hBRFI="
_ANOTHER_SIGNATURE = "A" * 86 + "=="
RECORDED_AT = "2024-08-12T00:00:00+00:00"
DATASET = Path(__file__).parent.parent / "timeline" / "datasets" / "kursk-2024.jsonl"


def statement(event_id: str, summary: str = "The advance has been stopped.", **envelope: Any) -> Event:
    return Event(
        StatementMade("Valery Gerasimov", summary),
        envelope.pop("occurred_on", DAY),
        "TASS",
        event_id=event_id,
        **envelope,
    )


def retraction(event_id: str, target: str) -> Event:
    return Event(EventRetracted(target, "misattributed"), DAY, "TASS", event_id=event_id)


def reference_store(log: list[Event], recorded_at: str = RECORDED_AT) -> EventStore:
    """The same events in an in-memory SQLite store: what every backend's chain must equal."""
    store = memory_store()
    store.append(log, recorded_at=recorded_at)
    return store


class EventStoreContract:
    """What every event store must do. Not collected itself (no `Test` prefix)."""

    # What the database raises when it refuses a statement, and when a unique key is violated.
    database_error: type[Exception] = Exception
    integrity_error: type[Exception] = Exception
    # SQL fragments that differ between databases: {data_tampered}, {day_before}, {drop_delete_guard}.
    SQL: dict[str, str] = {}

    def make_store(self, tmp_path: Path) -> EventStore:
        """A new, empty store."""
        raise NotImplementedError

    def raw_sql(self, store: EventStore, *statements: str | tuple[str, list[Any]]) -> None:
        """Run statements (`?` placeholders) on a connection that bypasses the store, in one transaction."""
        raise NotImplementedError

    def query(self, store: EventStore, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a query run on a connection that bypasses the store."""
        raise NotImplementedError

    def tamper(self, store: EventStore, *statements: str | tuple[str, list[Any]]) -> None:
        """Run `statements` with the append-only guards dropped, then put the guards back, so the
        tampering itself is the only thing `verify` can find."""
        raise NotImplementedError

    def dump(self, store: EventStore) -> list[Any]:
        """Every table's rows and every schema object: equal dumps mean an unchanged log."""
        raise NotImplementedError

    def view_names(self, store: EventStore) -> set[str]:
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

    # -- the version map of a living-dataset import ----------------------------------------------

    def test_the_row_map_keeps_each_ids_latest_version_and_what_the_download_showed(self, store):
        store.append([statement(f"e{n}", occurred_on=dt.date(2024, 8, 10 + n)) for n in range(4)])
        with store.write_transaction(), store.row_map() as row_map:
            row_map.fill(
                [
                    LoggedRow("A", 5, "e0", "2024-08-10", "Ukraine", 1),
                    LoggedRow("A", 7, "e1", "2024-08-11", "Ukraine", 2),  # a later version of A
                    LoggedRow("A", 6, "e2", "2024-08-12", "Ukraine", 3),  # an older one, given after
                    LoggedRow("B", 4, "e3", "2024-08-13", "Russia", 4),
                ]
            )
            assert row_map.latest_revision() == 7
            found = row_map.logged(["A", "C", "A"])
            assert list(found) == ["A"]
            latest, cells = found["A"]
            assert (latest.revision, latest.event_id, latest.occurred_on, latest.seq, cells) == (
                7,
                "e1",
                "2024-08-11",
                2,
                None,
            )
            content = row_map.contents([latest.seq])[latest.seq]  # what it says, read when compared in full
            assert (content.source, content.date_precision) == ("TASS", "day")
            assert "Gerasimov" in content.data
            seen = SeenRow("file.csv:row 2", 7, -(2**63))  # a fingerprint is any 64-bit hash
            row_map.see([("A", seen)])
            assert row_map.seen(["A", "B"]) == {"A": seen}
            assert [row.record_id for row in row_map.unseen("2024-08-01", "2024-08-31")] == ["B"]
            assert list(row_map.unseen("2024-08-01", "2024-08-12")) == []  # B occurred after the range
        with store.write_transaction(), store.row_map() as row_map:  # each import starts empty
            assert row_map.latest_revision() is None and row_map.logged(["A"]) == {}
        assert store.count() == 4

    def test_the_cells_a_row_was_read_from_are_kept_by_its_event_across_imports(self, store):
        store.append([statement(f"e{n}", occurred_on=dt.date(2024, 8, 10 + n)) for n in range(2)])
        versions = [
            LoggedRow("A", 5, "e0", "2024-08-10", "Ukraine", 1),
            LoggedRow("B", 4, "e1", "2024-08-11", "Russia", 2),
        ]
        with store.write_transaction(), store.row_map() as row_map:
            row_map.fill(versions)
            assert {record_id: cells for record_id, (_, cells) in row_map.logged(["A", "B"]).items()} == {
                "A": None,
                "B": None,
            }
            row_map.remember([("e0", b"\x00" * 16), ("e1", b"\xff" * 16)])
        with store.write_transaction(), store.row_map() as row_map:  # kept, and replaced when read again
            row_map.fill(versions)
            assert row_map.logged(["A"])["A"][1] == b"\x00" * 16
            row_map.remember([("e0", b"\x01" * 16)])
            found = row_map.logged(["A", "B"])
            assert (found["A"][1], found["B"][1]) == (b"\x01" * 16, b"\xff" * 16)

    # -- the stored state's values --------------------------------------------------------------

    def _values_after_the_stored(self, store: EventStore, chain: list[tuple[int, int | None]], read: int) -> None:
        """Stores values (offset from the highest id, offset of its base or None) after those the
        store holds, and a version that reads the one at offset `read`."""
        top = self._highest_value_id(store)
        self.raw_sql(
            store,
            *(
                (
                    "INSERT INTO fact_values (id, digest, type, value, base_id, depth) VALUES (?, ?, 'T', ?, ?, ?)",
                    [
                        top + offset,
                        bytes([offset]) * 16,
                        b"x",
                        None if base is None else top + base,
                        int(base is not None),
                    ],
                )
                for offset, base in chain
            ),
            (
                "INSERT INTO fact_versions (key_id, valid_from, known_from, known_to, value_id) "
                "VALUES (999999, '2024-08-01', '2024-08-01', '9999-12-31', ?)",
                [top + read],
            ),
        )

    def _highest_value_id(self, store: EventStore) -> int:
        (first,) = self.query(store, "SELECT max(id) FROM fact_values")
        return int(first[0] or 0)

    def test_garbage_collection_drops_only_the_values_nothing_uses(self, store):
        store.append([statement("a")])
        top = self._highest_value_id(store)
        before = self.query(store, f"SELECT count(*) FROM fact_values WHERE id <= {top}")  # not candidates: kept
        used, base, on_base, orphan = 1, 2, 3, 4
        self._values_after_the_stored(store, [(used, None), (base, None), (on_base, base), (orphan, None)], read=used)
        with store.write_transaction():
            store.fact_tables.collect_garbage([top + used, top + orphan, top + on_base])
        left = {int(row[0]) - top for row in self.query(store, f"SELECT id FROM fact_values WHERE id > {top}")}
        # used by a version: kept; the rest dropped, with the base that only a dropped value was
        # stored against, though it was no candidate itself (else a chain's base outlives it forever)
        assert left == {used}
        assert self.query(store, f"SELECT count(*) FROM fact_values WHERE id <= {top}") == before

    def test_garbage_collection_keeps_a_chain_that_a_version_or_a_kept_value_still_reads(self, store):
        store.append([statement("a")])
        top = self._highest_value_id(store)
        # keyframe <- middle <- leaf (read by a version); keyframe <- sibling (no candidate, kept);
        # lone <- lone_leaf, neither used: both go
        keyframe, middle, leaf, sibling, lone, lone_leaf = range(1, 7)
        chain = [
            (keyframe, None),
            (middle, keyframe),
            (leaf, middle),
            (sibling, keyframe),
            (lone, None),
            (lone_leaf, lone),
        ]
        self._values_after_the_stored(store, chain, read=leaf)
        with store.write_transaction():
            store.fact_tables.collect_garbage([top + middle, top + keyframe, top + lone_leaf])
        left = {int(row[0]) - top for row in self.query(store, f"SELECT id FROM fact_values WHERE id > {top}")}
        assert left == {keyframe, middle, leaf, sibling}

    # -- appending -----------------------------------------------------------------------------

    def test_a_new_store_is_empty_and_intact(self, store):
        assert store.head() == (0, GENESIS_HASH)
        assert list(store.events()) == []
        report = verify_log(store)
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
            report = verify_log(store)
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
        with pytest.raises(self.integrity_error):
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
        assert verify_log(store).ok

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
        with pytest.raises(self.database_error, match="append-only"):
            self.raw_sql(store, sql)
        assert self.dump(store) == before
        assert verify_log(store).ok
        assert store.append([statement("c")]).head == 3

    # -- verify detects tampering --------------------------------------------------------------

    EDITS = {
        "source": "UPDATE events SET source = source || ' (edited)' WHERE seq = {k}",
        "data": "UPDATE events SET data = {data_tampered} WHERE seq = {k}",
        "occurred_on": "UPDATE events SET occurred_on = {day_before} WHERE seq = {k}",
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
            self.tamper(store, self.EDITS[edit].format(k=k, **self.SQL))
            report = verify_log(store)
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
        report = verify_log(store)
        assert not report.ok and report.first_bad_seq == 3

    def test_verify_catches_a_rewound_head(self, store):
        store.append([statement("a"), statement("b")])
        self.raw_sql(store, "UPDATE log_head SET seq = 1")
        report = verify_log(store)
        assert not report.ok and report.first_bad_seq == 2

    def test_verify_catches_an_emptied_log(self, store):
        store.append([statement("a"), statement("b")])
        self.tamper(store, "DELETE FROM events")
        report = verify_log(store)
        assert not report.ok and report.first_bad_seq == 1

    def test_verify_reports_missing_triggers(self, store):
        store.append([statement("a")])
        self.raw_sql(store, self.SQL["drop_delete_guard"])
        report = verify_log(store)
        assert not report.ok and "trigger" in report.problem

    # -- verify after a first check: every stored column, edited with the guards put back ------

    # One edit of each stored column of `events` at seq 3 of 5, and of the rows themselves; each
    # expected to be named at its seq by the plain check that follows an intact one.
    EDITS_AFTER_A_CHECK = {
        "event_id": ("UPDATE events SET event_id = event_id || '-x' WHERE seq = 3", 3),
        "kind": ("UPDATE events SET kind = 'territory.claimed' WHERE seq = 3", 3),
        "schema_version": ("UPDATE events SET schema_version = schema_version + 1 WHERE seq = 3", 3),
        "occurred_on": ("UPDATE events SET occurred_on = {day_before} WHERE seq = 3", 3),
        "reported_on": ("UPDATE events SET reported_on = {day_before} WHERE seq = 3", 3),
        "source": ("UPDATE events SET source = 'Kaluga Oblast' WHERE seq = 3", 3),
        "unverified": ("UPDATE events SET unverified = 1 - unverified WHERE seq = 3", 3),
        "note": ("UPDATE events SET note = 'added later' WHERE seq = 3", 3),
        "data": ("UPDATE events SET data = {data_tampered} WHERE seq = 3", 3),
        "date_precision": ("UPDATE events SET date_precision = 'month' WHERE seq = 3", 3),
        "recorded_at": ("UPDATE events SET recorded_at = '2000-01-01T00:00:00+00:00' WHERE seq = 3", 3),
        "prev_hash": ("UPDATE events SET prev_hash = {other_hash} WHERE seq = 3", 3),
        "hash": ("UPDATE events SET hash = {other_hash} WHERE seq = 3", 3),
        "seq": ("UPDATE events SET seq = 30 WHERE seq = 3", 3),
        "a deleted middle row": ("DELETE FROM events WHERE seq = 3", 3),
        "a deleted last row": ("DELETE FROM events WHERE seq = 5", 5),
        "swapped rows": (
            [
                "UPDATE events SET seq = 40 WHERE seq = 3",
                "UPDATE events SET seq = 3 WHERE seq = 4",
                "UPDATE events SET seq = 4 WHERE seq = 40",
            ],
            3,
        ),
    }

    def _checked_log(self, store: EventStore) -> Timeline:
        """Five events, signed, and checked once: the next check must not trust what this one read."""
        timeline = Timeline(store)
        store.append([statement(f"e{n}", note="a note" if n == 2 else None) for n in range(1, 6)])
        timeline.sign(Ed25519PrivateKey.generate())
        assert timeline.verify().ok
        return timeline

    @pytest.mark.parametrize("edit", sorted(EDITS_AFTER_A_CHECK))
    def test_verify_after_a_check_names_the_seq_of_any_edit(self, store, edit):
        timeline = self._checked_log(store)
        sql, seq = self.EDITS_AFTER_A_CHECK[edit]
        self.tamper(store, *[part.format(**self.SQL) for part in ([sql] if isinstance(sql, str) else sql)])
        report = timeline.verify()
        assert not report.ok and report.first_bad_seq == seq, report.findings
        assert timeline.verify().first_bad_seq == seq  # and the next check again: a failed check vouches for nothing

    SIGNED_HEAD_EDITS = {
        "seq": ("UPDATE signed_heads SET seq = seq - 1", 4),
        "hash": ("UPDATE signed_heads SET hash = {other_hash_text}", 5),
        "signed_at": ("UPDATE signed_heads SET signed_at = '2000-01-01T00:00:00+00:00'", 5),
        "public_key": (f"UPDATE signed_heads SET public_key = '{_ANOTHER_PUBLIC_KEY}'", 5),
        "signature": (f"UPDATE signed_heads SET signature = '{_ANOTHER_SIGNATURE}'", 5),
    }

    @pytest.mark.parametrize("edit", sorted(SIGNED_HEAD_EDITS))
    def test_verify_after_a_check_names_any_edit_of_a_signed_head(self, store, edit):
        timeline = self._checked_log(store)
        sql, seq = self.SIGNED_HEAD_EDITS[edit]
        self.tamper(store, sql.format(**self.SQL))
        report = timeline.verify()
        assert not report.ok and report.first_bad_seq == seq, report.findings
        assert "signed head" in report.problem or "signature" in report.problem

    def test_verify_reports_every_finding_an_edited_row_and_a_missing_trigger(self, store):
        timeline = self._checked_log(store)
        self.tamper(store, "UPDATE events SET source = 'Kaluga Oblast' WHERE seq = 2")
        self.raw_sql(store, self.SQL["drop_delete_guard"])
        report = timeline.verify()
        problems = [(finding.seq, finding.problem) for finding in report.findings]
        assert (2, "content does not match its hash (the event was edited)") in problems
        assert any(seq is None and "events_refuse_delete" in problem for seq, problem in problems)

    def test_verify_reports_a_trigger_altered_to_let_edits_through(self, store):
        timeline = self._checked_log(store)
        self.raw_sql(store, *self.SQL["neuter_update_guard"])
        report = timeline.verify()
        assert not report.ok and report.first_bad_seq is None
        assert any("events_refuse_update" in finding.problem for finding in report.findings), report.findings

    def test_rows_removed_at_the_end_with_the_head_rewritten_are_found_by_the_head_a_check_recorded(self, store):
        timeline = self._checked_log(store)
        rows = list(store.rows())
        self.tamper(
            store,
            "DELETE FROM events WHERE seq = 5",
            "DELETE FROM signed_heads",
            ("UPDATE log_head SET seq = 4, hash = ? WHERE id = 1", [rows[3]["hash"]]),
        )
        report = timeline.verify()  # the head the first check recorded is gone with the row
        assert not report.ok and report.first_bad_seq == 5, report.findings

    @STORE_EXAMPLES
    @given(
        texts=st.lists(
            st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")), min_size=1, max_size=4
        )
    )
    def test_the_fast_scan_spells_every_row_as_the_reference_does(self, tmp_path, texts):
        # Rows written past the envelope's checks, so any text reaches every text column: quotes,
        # backslashes, control characters, emoji. (NUL is left out: PostgreSQL text cannot hold it.)
        rows, prev = [], GENESIS_HASH
        for seq, text in enumerate(texts, start=1):
            record = {
                "event_id": f"{seq}{text}",
                "kind": "statement.made",
                "schema_version": 1,
                "occurred_on": "2024-08-12",
                "reported_on": "2024-08-12",
                "source": text,
                "note": text,
                "date_precision": "day" if seq % 2 else text,
                "data": {"speaker": text, "summary": text},
            }
            rows.append(record_to_row(record, seq, text, prev))
            prev = rows[-1]["hash"]
        with self.new_store(tmp_path) as store:
            columns = list(rows[0])
            insert = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.raw_sql(
                store,
                *[(insert, [row[name] for name in columns]) for row in rows],
                ("UPDATE log_head SET seq = ?, hash = ? WHERE id = 1", [len(rows), prev]),
            )
            segment = store.scan_chain(after_seq=0, until_seq=len(rows))
            assert segment.suspects == () and segment.rows == len(rows)
            assert segment.last == store.head()

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
        assert verify_log(store).ok
        # Read, never rewritten: the stored row still says version 1.
        assert next(iter(store.rows())) == row

    def test_a_version_1_row_and_its_current_spelling_are_the_same_event(self, store):
        self._insert_v1_row(store)
        result = store.append([self.V1_AS_CURRENT])
        assert result.appended == () and result.unchanged == 1
        result = store.append([statement("next")])
        assert result.appended[0].prev_hash == store.get("syrskyi-1000").hash
        assert verify_log(store).ok

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
        assert self.view_names(store) >= {"kind_" + kind.replace(".", "_") for kind in registry.kind_names()}
        (row,) = self.query(store, "SELECT claimant, area_km2, area_km2_bound FROM kind_territory_claimed")
        assert [str(value) for value in row] == ["Ukraine", "1000", "approx"]

    # -- the hash chain is the same on every backend -------------------------------------------

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=8))
    def test_the_same_events_give_the_same_chain_as_the_reference_store(self, tmp_path, log):
        reference = reference_store(log)
        with self.new_store(tmp_path) as store:
            store.append(log, recorded_at=RECORDED_AT)
            assert store.head() == reference.head()
            assert list(store.rows()) == list(reference.rows())
        reference.close()

    def test_the_bundled_log_has_the_bundled_head_hash(self, store):
        # Recorded at the bundled dataset's time, the Kursk log has one head hash on every store.
        with DATASET.open("rb") as stream:
            store.append(read_events(stream, DATASET.name), recorded_at=BUNDLED_RECORDED_AT)
        bundled = Timeline.bundled()
        try:
            assert store.head() == bundled.store.head()
            assert verify_log(store).ok
        finally:
            bundled.close()

    # -- fold order and retractions, through replay ----------------------------------------------

    @STORE_EXAMPLES
    @given(
        log=event_logs(min_size=1, max_size=10, window=AUGUST_2024, small_pools=True),
        as_of=st.dates(*AUGUST_2024),
        known_on=st.one_of(st.none(), st.dates(*AUGUST_2024)),
    )
    def test_replay_gives_the_reference_store_s_answers(self, tmp_path, log, as_of, known_on):
        reference = Timeline(reference_store(log))
        with self.new_store(tmp_path) as store:
            store.append(log, recorded_at=RECORDED_AT)
            rows = list(store.rows_in_fold_order(until=as_of, columns=("occurred_on", "seq")))
            assert rows == sorted(rows)  # fold order: (occurred_on, seq)
            answer = Timeline(store).state(as_of, known_on)
            expected = reference.state(as_of, known_on)
            assert answer.to_json() == expected.to_json()
            assert Timeline(store).bounds() == reference.bounds()
        reference.close()

    def test_a_retraction_hides_its_target_from_the_snapshots_that_know_of_it(self, store):
        claim = Event(
            TerritoryClaimed("Ukraine", AreaBasis.TOTAL, area_km2=Quantity(1000, Bound.APPROX)),
            DAY,
            "Oleksandr Syrskyi",
            event_id="claim",
        )
        withdrawn = Event(EventRetracted("claim", "misattributed"), DAY, "TASS", DAY + dt.timedelta(days=2), "r")
        store.append([claim, withdrawn])
        timeline = Timeline(store)
        assert "territory.claims.Ukraine" in timeline.state(DAY, known_on=DAY).facts()
        assert "territory.claims.Ukraine" not in timeline.state(DAY).facts()
        assert [(event_id, target) for event_id, target, _ in store.retractions()] == [("r", "claim")]

    # -- checkpoints: an append that lands before a checkpoint's day invalidates it --------------

    def test_a_backfill_changes_every_later_day_and_nothing_known_before_it(self, store):
        days = [DAY + dt.timedelta(days=n) for n in range(5)]
        timeline = Timeline(store)
        store.append([statement(f"s{n}", f"Day {n}.", occurred_on=day) for n, day in enumerate(days)])
        before = timeline.state(days[-1])
        # A report of day 2 that arrives last changes day 2 and every day after it, as known from day 5.
        late_known = days[4] + dt.timedelta(days=1)
        store.append([statement("late", "Backfilled.", occurred_on=days[2], reported_on=late_known)])
        # The append brought the stored state up to date in its own transaction: every day, as known
        # on any day, is read from it and is what a full replay gives.
        assert timeline.checkpoints.usable()
        for day in days:
            for known_on in (None, days[3], days[4], late_known):
                replayed = timeline.state(day, known_on, use_checkpoints=False)
                stored = timeline.state(day, known_on)
                assert stored.to_json() == replayed.to_json() and stored.events_applied == replayed.events_applied
                assert stored.folded == 0  # read, not folded, on every backend
        assert timeline.state(days[-1]).events_applied == before.events_applied + 1
        assert timeline.state(days[-1], known_on=days[4]).facts() == before.facts()
        assert timeline.state(days[-1], known_on=days[4]).events_applied == before.events_applied

    def test_a_backfilled_claim_changes_only_its_settlement_from_its_day_on(self, store):
        """The lookup of a fact's events (`fact_events`) runs on every backend."""

        def claim(event_id: str, settlement: str, day: dt.date, reported: dt.date, claimant: str = "Ukraine") -> Event:
            payload = SettlementClaimed(settlement, "Kursk Oblast", SettlementStatus.FIGHTING, claimant, None)
            return Event(payload, day, "General Staff", reported, event_id)

        days = [DAY + dt.timedelta(days=n) for n in range(4)]
        timeline = Timeline(store)
        store.append(
            [claim(f"{place}-{n}", place, day, day)
             for n, day in enumerate(days) for place in ("Sudzha", "Sudzha-2", "Korenevo")]
        )  # fmt: skip
        before = {day: timeline.state(day).facts() for day in days}
        # Russia's claim stays beside Ukraine's from its day on.
        store.append([claim("late", "Sudzha", days[1], days[3], claimant="Russia")])
        for day in days:
            after = timeline.state(day)
            assert after.folded == 0
            assert after.to_json() == timeline.state(day, use_checkpoints=False).to_json()
            changed = {path for path, fact in after.facts().items() if before[day].get(path) != fact}
            assert changed == ({"settlements.Sudzha"} if day >= days[1] else set()), day
        assert "late" in timeline.state(days[1]).facts()["settlements.Sudzha"].event_ids

    # -- signed heads ----------------------------------------------------------------------------

    def test_a_signed_head_is_kept_and_verified_with_the_trusted_key(self, store):
        key = Ed25519PrivateKey.generate()
        store.append([statement("a"), statement("b")])
        timeline = Timeline(store)
        signed = timeline.sign(key)
        assert (signed.seq, signed.hash) == store.head()
        assert timeline.sign(key) == signed  # the same head is not signed twice by one key
        store.append([statement("c")])
        report = timeline.verify(key.public_key())
        assert report.ok and report.signed_seq == 2 and report.events == 3
        assert store.signed_heads() == [signed]

    def test_verify_with_another_key_finds_nothing_to_trust(self, store):
        store.append([statement("a")])
        Timeline(store).sign(Ed25519PrivateKey.generate())
        report = Timeline(store).verify(Ed25519PrivateKey.generate().public_key())
        assert not report.ok and "nothing to trust" in report.problem

    def _rewrite_seq_3_recomputing_every_hash(self, store: EventStore, *more: str) -> None:
        """Rewrite seq 3 and recompute every hash after it, and the recorded head: a perfect forgery
        of the chain; `more` statements run with it."""
        rows = list(store.rows())
        rows[2]["source"] = "someone else"
        prev = rows[1]["hash"]
        statements: list[str | tuple[str, list[Any]]] = []
        for row in rows[2:]:
            row["prev_hash"] = prev
            row["hash"] = prev = row_hash(row)
            statements.append(
                (
                    "UPDATE events SET source = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                    [row["source"], row["prev_hash"], row["hash"], row["seq"]],
                )
            )
        statements.append(("UPDATE log_head SET hash = ? WHERE id = 1", [prev]))
        self.tamper(store, *statements, *more)

    def test_a_rewritten_log_is_found_by_the_heads_signed_in_it(self, store):
        key = Ed25519PrivateKey.generate()
        store.append([statement(f"e{n}") for n in range(1, 6)])
        Timeline(store).sign(key)  # signs seq 5
        self._rewrite_seq_3_recomputing_every_hash(store)
        for report in (verify_log(store), Timeline(store).verify(key.public_key())):
            assert not report.ok and report.first_bad_seq == 5 and "rewritten" in report.problem

    def test_a_rewritten_log_whose_signed_heads_are_removed_fails_trusted_verify_only(self, store):
        key = Ed25519PrivateKey.generate()
        store.append([statement(f"e{n}") for n in range(1, 6)])
        Timeline(store).sign(key)
        self._rewrite_seq_3_recomputing_every_hash(store, "DELETE FROM signed_heads")
        assert verify_log(store).ok  # the chain alone cannot see it
        report = Timeline(store).verify(key.public_key())
        assert not report.ok and "nothing to trust" in report.problem

    def test_a_truncated_log_is_found_at_its_end_by_a_head_signed_past_it(self, store):
        key = Ed25519PrivateKey.generate()
        store.append([statement(f"e{n}") for n in range(1, 4)])
        Timeline(store).sign(key)
        rows = list(store.rows())
        self.tamper(
            store,
            "DELETE FROM events WHERE seq = 3",
            ("UPDATE log_head SET seq = 2, hash = ? WHERE id = 1", [rows[1]["hash"]]),
        )
        for report in (verify_log(store), Timeline(store).verify(key.public_key())):
            assert not report.ok and report.first_bad_seq == 3, report.findings

    @pytest.mark.parametrize("sql", ["UPDATE signed_heads SET seq = 1", "DELETE FROM signed_heads"])
    def test_the_database_refuses_to_edit_signed_heads(self, store, sql):
        store.append([statement("a"), statement("b")])
        Timeline(store).sign(Ed25519PrivateKey.generate())
        before = self.dump(store)
        with pytest.raises(self.database_error, match="append-only"):
            self.raw_sql(store, sql)
        assert self.dump(store) == before

    def test_signing_an_empty_log_is_refused(self, store):
        with pytest.raises(Exception, match="empty"):
            Timeline(store).sign(Ed25519PrivateKey.generate())

    # -- copying ---------------------------------------------------------------------------------

    @STORE_EXAMPLES
    @given(log=event_logs(min_size=1, max_size=8))
    def test_a_copy_there_and_back_keeps_ids_seqs_times_hashes_and_signatures(self, tmp_path, log):
        key = Ed25519PrivateKey.generate()
        source = reference_store(log)
        Timeline(source).sign(key)
        with self.new_store(tmp_path) as store:
            result = store.append_rows(((row, None) for row in source.rows()), source.signed_heads())
            assert (result.copied, result.head, result.head_hash) == (len(log), *source.head())
            assert list(store.rows()) == list(source.rows()) and store.signed_heads() == source.signed_heads()
            assert Timeline(store).verify(key.public_key()).ok
            back = memory_store()
            back.append_rows(((row, None) for row in store.rows()), store.signed_heads())
            assert back.head() == source.head() and Timeline(back).verify(key.public_key()).ok
            # A second copy finds everything there already.
            again = store.append_rows(((row, None) for row in source.rows()), source.signed_heads())
            assert (again.copied, again.already_there, again.signed_heads) == (0, len(log), 0)
        source.close()

    def test_a_copy_into_another_log_is_refused_and_changes_nothing(self, store):
        store.append([statement("mine")])
        other = reference_store([statement("theirs"), statement("more")])
        before = self.dump(store)
        with pytest.raises(ConflictError, match="another log"):
            store.append_rows((row, None) for row in other.rows())
        assert self.dump(store) == before
        other.close()

    def test_a_copy_of_a_broken_chain_is_refused_and_changes_nothing(self, store):
        source = reference_store([statement("a"), statement("b")])
        rows = list(source.rows())
        rows[1] = {**rows[1], "source": "forged"}
        before = self.dump(store)
        with pytest.raises(ChainBroken) as caught:
            store.append_rows((row, None) for row in rows)
        assert caught.value.seq == 2
        assert self.dump(store) == before
        source.close()

    # -- following -------------------------------------------------------------------------------

    def test_waiting_for_an_append_times_out_or_sees_one(self, store):
        assert store.wait_for_append(0, timeout=0.1) is False
        store.append([statement("a")])
        assert store.wait_for_append(0, timeout=0.1) is True
        followed = list(Timeline(store).follow(idle_timeout=0.1))
        assert [recorded.event_id for recorded in followed] == ["a"]


def _append_pairs(target: str, writer: str, rounds: int) -> None:
    """One writer process: append `rounds` batches of two events, `<id>` then `<id>-b`."""
    store = open_store(target)
    try:
        for n in range(rounds):
            store.append([statement(f"{writer}-{n}"), statement(f"{writer}-{n}-b")])
    finally:
        store.close()


# A writer that appends its batches, says so, then waits to be killed inside its transaction.
_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from store_contract import statement
    from timeline.store import open_store

    def events():
        for n in range(3 * 50):
            yield statement(f"doomed-{{n}}")
        Path({ready!r}).write_text("written")
        time.sleep(600)

    open_store({target!r}).append(events(), batch_size=50)
    """
)


class SharedStoreContract(EventStoreContract):
    """What a store that several processes and connections open at once must do."""

    def target(self, store: EventStore) -> str:
        """What another process passes to `open_store` to reach this store."""
        raise NotImplementedError

    def test_writers_in_several_processes_never_interleave_batches_or_fork_the_chain(self, store):
        target = self.target(store)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections
        writers = [context.Process(target=_append_pairs, args=(target, f"w{n}", 25)) for n in range(4)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=120)
        assert [writer.exitcode for writer in writers] == [0, 0, 0, 0]
        ids = [r.event_id for r in store.events()]
        assert len(ids) == 4 * 25 * 2 and len(set(ids)) == len(ids)
        assert [r.seq for r in store.events()] == list(range(1, len(ids) + 1))  # no gap
        # Each batch's two events sit next to each other, whoever else was writing.
        assert all(ids[i + 1] == ids[i] + "-b" for i in range(0, len(ids), 2))
        assert verify_log(store).ok

    def test_writers_on_several_connections_in_one_process_lose_nothing(self, store):
        target = self.target(store)
        errors: list[BaseException] = []

        def write(name: str) -> None:
            try:
                _append_pairs(target, name, 20)
            except BaseException as exc:  # reported below, on the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        rows = list(store.rows())
        assert [row["seq"] for row in rows] == list(range(1, 4 * 20 * 2 + 1))
        assert all(after["prev_hash"] == before["hash"] for before, after in itertools.pairwise(rows))
        assert verify_log(store).ok

    def test_a_stale_writer_on_another_connection_conflicts(self, store):
        other = open_store(self.target(store))
        try:
            head = store.head()[0]
            other.append([statement("theirs")], expected_head=head)
            with pytest.raises(ConflictError, match=f"ends at seq {head + 1}"):
                store.append([statement("mine")], expected_head=head)
            # Without expected_head, the later writer chains onto the other's event.
            store.append([statement("mine")])
            assert [r.event_id for r in store.events()] == ["theirs", "mine"]
            assert verify_log(store).ok
        finally:
            other.close()

    def test_a_writer_killed_mid_import_leaves_nothing(self, store, tmp_path):
        store.append([statement("kept")])
        before = self.dump(store)
        ready = tmp_path / "ready"
        script = _KILLED_WRITER.format(tests=str(Path(__file__).parent), ready=str(ready), target=self.target(store))
        writer = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": os.getcwd()})
        try:
            deadline = time.monotonic() + 120
            while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ready.exists(), "the writer never got to write its batches"
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=60)
        assert writer.returncode == -signal.SIGKILL
        # The batches it wrote inside its transaction are gone with it; the log works on.
        assert self.dump(store) == before
        assert store.append([statement("after")]).head == 2
        assert [r.event_id for r in store.events()] == ["kept", "after"]
        assert verify_log(store).ok

    def test_a_follower_sees_another_writer_s_events_as_they_come(self, store):
        target = self.target(store)
        store.append([statement("first")])

        def write_later() -> None:
            other = open_store(target)  # a connection of its own, on the writer's thread
            try:
                time.sleep(0.3)
                other.append([statement("second")])
                time.sleep(0.3)
                other.append([statement("third")])
            finally:
                other.close()

        writer = threading.Thread(target=write_later)
        writer.start()
        try:
            followed = [r.event_id for r in Timeline(store).follow(max_events=3, idle_timeout=60)]
        finally:
            writer.join()
        assert followed == ["first", "second", "third"]
