"""The append-only event log: one SQLite file, written through sqlite-utils.

Every append runs in one `BEGIN IMMEDIATE` transaction, so concurrent writers queue on
SQLite's lock (busy timeout) and never interleave a batch or fork the hash chain. Each row
carries `prev_hash` and `hash` (SHA-256 over its canonical JSON), and the table `log_head`
holds the last seq and hash, so `verify` notices an edit, an insertion, a deletion or a
swap anywhere, the tail included. Triggers make SQLite itself refuse UPDATE and DELETE.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import operator
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import sqlite_utils

from events.codec import CheckedRecord, event_to_record
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from timeline import schema
from timeline.checkpoint_store import CheckpointStore
from timeline.errors import BadEvent, ConflictError, NotATimeline, ReadOnlyTimeline
from timeline.rows import COLUMNS, REPLAY_COLUMNS, decode_row, record_to_row
from timeline.verify import VerifyReport, verify_chain

GENESIS_HASH = schema.GENESIS_HASH
RETRACTION = "event.retracted"
BUSY_TIMEOUT_S = 60.0
BATCH_SIZE = 2_000

_INSERT_SQL = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


@attrs.frozen
class AppendResult:
    appended: tuple[RecordedEvent, ...]  # empty when the caller asked not to keep them (imports)
    unchanged: int  # events already in the log with identical content
    head: int
    count: int = attrs.field()  # how many were appended
    first_seq: int | None = None

    @count.default
    def _count(self) -> int:
        return len(self.appended)


class EventStore:
    """The log. Open with `EventStore.create(path)`, `EventStore.open(path)` or `EventStore.in_memory()`."""

    def __init__(self, db: sqlite_utils.Database, label: str, *, writable: bool = True, path: Path | None = None):
        self.db = db
        self.label = label
        self.writable = writable
        self.path = path  # None for an in-memory store
        self._checkpoint_tables: CheckpointStore | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> EventStore:
        """Create a new log at `path`; an existing timeline is opened as it is."""
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            return cls.open(path)
        if path.is_dir():
            raise NotATimeline(f"{path}: is a directory")
        if not path.parent.is_dir():
            raise NotATimeline(f"{path}: folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise NotATimeline(f"{path}: cannot create: {exc}") from None
        store = cls(sqlite_utils.Database(conn), str(path), path=path)
        try:
            store.db.execute("PRAGMA journal_mode=WAL")
            store._create_schema()
        except sqlite3.Error as exc:
            raise NotATimeline(f"{path}: cannot create: {exc}") from None
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, writable: bool = True) -> EventStore:
        path = Path(path)
        if not path.exists():
            raise NotATimeline(f"{path}: no such file (create it with `timeline init`)")
        if path.is_dir():
            raise NotATimeline(f"{path}: is a directory, not a timeline database")
        if writable and not os.access(path, os.W_OK):
            raise ReadOnlyTimeline(f"{path}: file is read-only")
        mode = "rw" if writable else "ro"
        conn = None
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S)
            store = cls(sqlite_utils.Database(conn), str(path), writable=writable, path=path)
            store._check_schema()
        except (sqlite3.DatabaseError, NotATimeline) as exc:
            if conn is not None:
                conn.close()  # a refused file is not held open
            if isinstance(exc, NotATimeline):
                raise
            raise NotATimeline(f"{path}: not a timeline database ({exc})") from None
        return store

    @classmethod
    def in_memory(cls, label: str = ":memory:") -> EventStore:
        store = cls(sqlite_utils.Database(memory=True), label)
        store._create_schema()
        return store

    def close(self) -> None:
        self.db.close()

    def _check_schema(self) -> None:
        version = schema.version_of(self.db)
        if version == 0 or not schema.has_event_log(self.db):
            raise NotATimeline(f"{self.label}: an SQLite database, but not a timeline (no event log in it)")
        if version > schema.CURRENT_VERSION:
            raise NotATimeline(
                f"{self.label}: written by a newer version of timeline "
                f"(store schema {version}; this version reads up to {schema.CURRENT_VERSION})"
            )

    def _create_schema(self) -> None:
        with self.write_transaction():
            schema.create(self.db)

    @property
    def schema_version(self) -> int:
        return schema.version_of(self.db)

    @property
    def checkpoint_tables(self) -> CheckpointStore:
        """The checkpoint tables (schema 4), written only inside this store's write transactions."""
        if self._checkpoint_tables is None:
            self._checkpoint_tables = CheckpointStore(self.db.conn)
        return self._checkpoint_tables

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        seq, hash_ = self.db.execute("SELECT seq, hash FROM log_head WHERE id = 1").fetchone()
        return seq, hash_

    def count(self) -> int:
        return self.head()[0]

    def rows(self, where: str = "", params: Iterable[Any] = (), order: str = "seq") -> Iterator[dict[str, Any]]:
        """Stream rows as dicts; nothing is held in memory beyond the cursor's page."""
        for values in self.row_values(where, params, order):
            yield dict(zip(COLUMNS, values, strict=True))

    def row_values(
        self, where: str = "", params: Iterable[Any] = (), order: str = "seq", columns: tuple[str, ...] = COLUMNS
    ) -> Iterator[tuple[Any, ...]]:
        """Stream rows as tuples of `columns` (replay's hot path: no dict per row)."""
        sql = f"SELECT {', '.join(self._column_sql(columns))} FROM events"
        if where:
            sql += f" WHERE {where}"
        return iter(self.db.execute(f"{sql} ORDER BY {order}", list(params)))

    def _column_sql(self, columns: tuple[str, ...]) -> list[str]:
        """Column names, with a column an older store lacks read as its default (a store opened
        read-only is never migrated), and the hashes (blobs since version 4) read as hex."""
        if schema.version_of(self.db) >= 4:
            # A hash written as text (by hand, or a tool that wrote hex) reads as what it says.
            return [
                f"CASE WHEN typeof({name}) = 'blob' THEN lower(hex({name})) ELSE {name} END AS {name}"
                if name in schema.HASH_COLUMNS
                else name
                for name in columns
            ]
        present = self.db["events"].columns_dict
        return [
            name if name in present or name not in schema.LATER_COLUMNS else f"'{schema.LATER_COLUMNS[name]}' AS {name}"
            for name in columns
        ]

    def events(
        self,
        *,
        kind: str | None = None,
        occurred_from: dt.date | None = None,
        occurred_to: dt.date | None = None,
    ) -> Iterator[RecordedEvent]:
        """The log in append order, optionally narrowed by kind and by occurred_on."""
        clauses, params = [], []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if occurred_from is not None:
            clauses.append("occurred_on >= ?")
            params.append(occurred_from.isoformat())
        if occurred_to is not None:
            clauses.append("occurred_on <= ?")
            params.append(occurred_to.isoformat())
        for row in self.rows(" AND ".join(clauses), params):
            # Rows were validated on the way in and are covered by the hash chain (verify re-checks).
            yield decode_row(row, trusted=True)

    def get(self, event_id: str) -> RecordedEvent | None:
        for row in self.rows("event_id = ?", [event_id]):
            return decode_row(row)
        return None

    def rows_in_fold_order(
        self,
        *,
        until: dt.date | str,
        after: dt.date | str | None = None,
        known_on: dt.date | None = None,
        columns: tuple[str, ...] = REPLAY_COLUMNS,
    ) -> Iterator[tuple[Any, ...]]:
        """Rows with after < occurred_on <= until and reported_on <= known_on, in fold order
        (occurred_on, seq), streamed."""
        if known_on is not None and known_on.isoformat() < str(until):
            until = known_on  # nothing reported by then occurred later: read no further
        clauses, params = ["occurred_on <= ?"], [str(until)]
        if after is not None:
            clauses.append("occurred_on > ?")
            params.append(str(after))
        if known_on is not None:
            clauses.append("reported_on <= ?")
            params.append(known_on.isoformat())
        return self.row_values(" AND ".join(clauses), params, order="occurred_on, seq", columns=columns)

    def retractions(
        self, *, known_on: dt.date | None = None, up_to_seq: int | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """(event_id, target_event_id, reported_on) of the retractions, newest first."""
        where, params = "kind = 'event.retracted'", list[Any]()
        if known_on is not None:
            where += " AND reported_on <= ?"
            params.append(known_on.isoformat())
        if up_to_seq is not None:
            where += " AND seq <= ?"
            params.append(up_to_seq)
        return iter(
            self.db.execute(
                "SELECT event_id, json_extract(data, '$.target_event_id'), reported_on FROM events "
                f"WHERE {where} ORDER BY seq DESC",
                params,
            )
        )

    def kinds_and_days(self, event_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """event_id -> (kind, occurred_on) of those ids in the log."""
        found: dict[str, tuple[str, str]] = {}
        ids = list(event_ids)
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows = self.db.execute(
                f"SELECT event_id, kind, occurred_on FROM events WHERE event_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((event_id, (kind, day)) for event_id, kind, day in rows)
        return found

    def bounds(self) -> tuple[str | None, str | None, str | None, str | None]:
        """(first occurred_on, last occurred_on, last reported_on, first border crossing), each an
        index lookup; the last report day comes from the last checkpoint when they are up to date
        (its knowledge day is the latest report of the whole log), else from a scan."""
        row = self.db.execute(
            "SELECT (SELECT min(occurred_on) FROM events), (SELECT max(occurred_on) FROM events), "
            "(SELECT min(occurred_on) FROM events WHERE kind = 'border.crossed')"
        ).fetchone()
        tables = self.checkpoint_tables
        last_reported = None
        if row[1] is not None and tables.available() and tables.head() == self.count():
            latest = tables.nearest(row[1])
            if latest is not None and latest.as_of == row[1]:
                last_reported = latest.knowledge_day
        if last_reported is None:
            last_reported = self.db.execute("SELECT max(reported_on) FROM events").fetchone()[0]
        return row[0], row[1], last_reported, row[2]

    def count_in_fold_order(
        self,
        *,
        after: dt.date,
        until: dt.date,
        known_on: dt.date | None = None,
        among: Iterable[str] | None = None,
    ) -> int:
        """How many rows `rows_in_fold_order` would give (only those of the ids `among`, if given)."""
        where, params = "occurred_on > ? AND occurred_on <= ?", [after.isoformat(), until.isoformat()]
        if known_on is not None:
            where += " AND reported_on <= ?"
            params.append(known_on.isoformat())
        if among is None:
            return int(self.db.execute(f"SELECT count(*) FROM events WHERE {where}", params).fetchone()[0])
        ids, total = list(among), 0
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            sql = f"SELECT count(*) FROM events WHERE {where} AND event_id IN ({', '.join('?' * len(chunk))})"
            total += int(self.db.execute(sql, [*params, *chunk]).fetchone()[0])
        return total

    # -- writing -----------------------------------------------------------------------------

    def append(
        self,
        items: Iterable[Event | CheckedRecord | tuple[Event | CheckedRecord, str | None]],
        *,
        expected_head: int | None = None,
        batch_size: int = BATCH_SIZE,
        on_batch: Any = None,
        keep_events: bool = True,
        recorded_at: str | None = None,
    ) -> AppendResult:
        """Append events in one transaction: all of them, or (on any error) none.

        `items` are events, or (event, where) pairs whose `where` ("file:line") names the
        input in errors. With `expected_head`, the append fails with ConflictError unless the
        log's last seq is still that value (optimistic concurrency). An event whose id is
        already logged with identical content is skipped; with other content it is a conflict.
        `on_batch(n)` is called after each batch is written (progress). With `keep_events=False`
        the result holds counts only, so a million-line import does not hold a million events.
        `recorded_at` replaces the wall-clock time (a bundled dataset keeps one, so its hashes are stable).
        """
        if not self.writable:
            raise ReadOnlyTimeline(f"{self.label}: opened read-only")
        appended: list[RecordedEvent] = []
        unchanged = count = 0
        first_seq: int | None = None
        earliest_day: str | None = None
        retracted: list[str] = []
        with self.write_transaction():
            seq, prev_hash = self.head()
            head_before, prev_hash_before = seq, prev_hash
            if expected_head is not None and expected_head != seq:
                raise ConflictError(
                    f"{self.label}: expected the log to end at seq {expected_head}, but it ends at seq {seq} "
                    "(another writer appended first; re-read and retry)"
                )
            schema.create_kind_views(self.db)  # a kind added since the store was made gets its view
            recorded_at = recorded_at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            pairs = (item if isinstance(item, tuple) else (item, None) for item in items)
            while batch := list(itertools.islice(pairs, batch_size)):
                rows = []
                records = [
                    (item if isinstance(item, CheckedRecord) else event_to_record(item), item, where)
                    for item, where in batch
                ]
                known = self._existing_records([record["event_id"] for record, _, _ in records])
                for record, event, where in records:
                    event_id = record["event_id"]
                    if event_id in known:
                        if known[event_id] != record:
                            raise ConflictError(
                                _where(where) + f"event_id {event_id!r} is already in the log with different content"
                            )
                        unchanged += 1
                        continue
                    if record["kind"] == RETRACTION:
                        self._check_retraction_target(event_id, record["data"]["target_event_id"], known, where)
                        retracted.append(event_id)
                    seq += 1
                    day = record["occurred_on"]
                    earliest_day = day if earliest_day is None else min(earliest_day, day)
                    row = record_to_row(record, seq, recorded_at, prev_hash)
                    prev_hash = row["hash"]
                    known[event_id] = record
                    rows.append(row)
                    count += 1
                    first_seq = first_seq or seq
                    if keep_events:
                        full = event.event() if isinstance(event, CheckedRecord) else event
                        appended.append(RecordedEvent(full, seq, recorded_at, row["prev_hash"], row["hash"]))
                # executemany rather than sqlite-utils' insert_all: the rows are already exactly the
                # table's columns, and insert_all's per-value checks were 30% of an import's profile.
                self.db.conn.executemany(_INSERT_SQL, [_stored(row) for row in rows])
                self.db.execute("UPDATE log_head SET seq = ?, hash = ? WHERE id = 1", [seq, prev_hash])
                if on_batch is not None:
                    on_batch(len(batch))
            if earliest_day is not None:
                # The checkpoints are brought up to date in the append's own transaction, so no
                # reader ever sees the log and its checkpoints disagree.
                from timeline.checkpoints import refresh  # the maintenance folds projectors: imported when needed

                refresh(self, earliest_day, head_before=head_before, retractions=retracted)
                self._extend_verified_head(head_before, prev_hash_before, seq, prev_hash)
        return AppendResult(tuple(appended), unchanged, seq, count, first_seq)

    def _extend_verified_head(self, head_before: int, hash_before: str, head: int, hash_: str) -> None:
        """An append that continues a chain `verify` found intact up to its start extends that
        head to its own end: it wrote and validated every row in between, in this transaction.
        A chain never checked stays unchecked until `verify` runs."""
        if self.verified_head() == (head_before, hash_before):
            self.db.execute("INSERT OR REPLACE INTO verified_head (id, seq, hash) VALUES (1, ?, ?)", [head, hash_])

    def _existing_records(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored records (as the current schema version) of those ids already logged."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(event_ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = event_ids[start : start + 500]
            for row in self.rows(f"event_id IN ({', '.join('?' * len(chunk))})", chunk):
                found[row["event_id"]] = event_to_record(decode_row(row).event)
        return found

    def _check_retraction_target(self, event_id: str, target: str, known: dict[str, Any], where: str | None) -> None:
        if target == event_id:
            raise BadEvent("an event cannot retract itself", where=where, field="data.target_event_id")
        if target not in known and self.get(target) is None:
            raise BadEvent(f"no event {target!r} in the log to retract", where=where, field="data.target_event_id")

    class _Transaction:
        def __init__(self, store: EventStore):
            self.store = store

        def __enter__(self) -> None:
            try:
                # IMMEDIATE takes the write lock now, waiting up to the busy timeout for it.
                self.store.db.execute("BEGIN IMMEDIATE")
                # An older store is upgraded by its first write, inside that write's transaction:
                # a rejected append leaves the file exactly as it was, old schema included.
                if 0 < schema.version_of(self.store.db) < schema.CURRENT_VERSION:
                    schema.migrate(self.store.db)
            except sqlite3.OperationalError as exc:
                self.store.db.rollback()
                raise _operational_error(self.store.label, exc) from None

        def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            db = self.store.db
            if exc_type is None:
                try:
                    db.execute("COMMIT")
                    return
                except sqlite3.OperationalError as commit_exc:
                    db.rollback()
                    raise _operational_error(self.store.label, commit_exc) from None
            db.rollback()
            if isinstance(exc, sqlite3.OperationalError):
                raise _operational_error(self.store.label, exc) from None
            if isinstance(exc, InvalidEvent):
                raise BadEvent(exc.message, field=exc.field) from None

    def write_transaction(self) -> EventStore._Transaction:
        """One `BEGIN IMMEDIATE` transaction, committed on success and rolled back on any error;
        an older store is upgraded inside it."""
        return EventStore._Transaction(self)

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[None]:
        """One consistent view of the log for several queries (WAL: writers go on meanwhile)."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.rollback()

    # -- checking ----------------------------------------------------------------------------

    def verify(self, *, full: bool = True) -> VerifyReport:
        """Walk the chain from the first event; report the first seq that does not hold.

        With `full=False`, start after the head the last intact walk recorded (see
        `record_verified`), checking that its row still holds the hash it had.
        """
        since = None if full else self.verified_head()
        return verify_chain(self, since=since)

    def hash_links(self, *, until_seq: int) -> Iterator[tuple[int, str, str]]:
        """(seq, prev_hash, hash) of the rows up to `until_seq`, in seq order: the chain's links alone."""
        return self.row_values("seq <= ?", [until_seq], columns=("seq", "prev_hash", "hash"))

    def verified_head(self) -> tuple[int, str] | None:
        if not self.checkpoint_tables.available():  # schema 4 added both tables
            return None
        row = self.db.execute("SELECT seq, hash FROM verified_head WHERE id = 1").fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def record_verified(self, report: VerifyReport) -> bool:
        """Remember an intact chain's head for the next incremental `verify`; a best effort through a
        connection of its own (a read-only handle can record it), skipped when the file cannot be
        written or another writer holds it. Returns whether it was recorded."""
        if not report.ok or self.path is None or not os.access(self.path, os.W_OK):
            return False
        if not self.checkpoint_tables.available():  # older than schema 4: nowhere to record it
            return False
        try:
            conn = sqlite3.connect(self.path, timeout=0.5)
        except sqlite3.Error:
            return False
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR REPLACE INTO verified_head (id, seq, hash) VALUES (1, ?, ?)",
                [report.events, report.head_hash],
            )
            conn.execute("COMMIT")
            return True
        except sqlite3.Error:
            return False
        finally:
            conn.close()


_HASH_POSITIONS = tuple(COLUMNS.index(name) for name in schema.HASH_COLUMNS)
_ROW_VALUES = operator.itemgetter(*COLUMNS)


def _stored(row: dict[str, Any]) -> list[Any]:
    """A row's values as the table stores them: the hashes as bytes."""
    values = list(_ROW_VALUES(row))
    for position in _HASH_POSITIONS:
        values[position] = bytes.fromhex(values[position])
    return values


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""


def _operational_error(label: str, exc: sqlite3.OperationalError) -> Exception:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return ConflictError(f"{label}: the log stayed locked by another writer for {BUSY_TIMEOUT_S:.0f} s")
    if "readonly" in message:
        return ReadOnlyTimeline(f"{label}: the database is read-only")
    return NotATimeline(f"{label}: {message}")
