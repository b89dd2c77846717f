"""The embedded backend: the log in one SQLite file, written through sqlite-utils.

Every append runs in one `BEGIN IMMEDIATE` transaction, so concurrent writers queue on
SQLite's lock (busy timeout) and never interleave a batch or fork the hash chain. Each row
carries `prev_hash` and `hash` (SHA-256 over its canonical JSON), and the table `log_head`
holds the last seq and hash, so `verify` notices an edit, an insertion, a deletion or a
swap anywhere, the tail included. Triggers make SQLite itself refuse UPDATE and DELETE.

Since schema 5 the two hashes are stored as 32-byte blobs (a fifth of a row less than hex): a
storage detail of this backend. Every read gives them back as the same lowercase hex, so hashes
in the API, exports, `verify`, signed heads and copies are those of every other backend.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import operator
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from events.errors import InvalidEvent
from timeline.errors import BadEvent, ConflictError, NotATimeline, ReadOnlyTimeline
from timeline.store import layout
from timeline.store import sqlite_schema as schema
from timeline.store.base import ALL_ROWS, BATCH_SIZE, EventStore, retraction_filter
from timeline.store.chain_scan import ChainSegment, scan_failed, segment_of
from timeline.store.query import Column, RowQuery, column_sql, where_clause
from timeline.store.results import AppendResult
from timeline.store.rows import COLUMNS
from timeline.store.signed import SignedHead

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["BATCH_SIZE", "BUSY_TIMEOUT_S", "GENESIS_HASH", "AppendResult", "SQLiteEventStore"]

GENESIS_HASH = layout.GENESIS_HASH
BUSY_TIMEOUT_S = 60.0
# A best-effort write (the verified head) waits this long for the write lock, then gives up.
CACHE_WRITE_WAIT_S = 0.5

_INSERT_SQL = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class SQLiteEventStore(EventStore):
    """The log in an SQLite file (`create(path)`, `open(path)`) or in memory (`in_memory()`)."""

    def __init__(self, conn: sqlite3.Connection, label: str, *, writable: bool = True, path: Path | None = None):
        # Reads go straight to the connection; sqlite-utils, whose import is a third of a
        # command's start-up (~40-90 ms), is imported for schema work only (`db`).
        self.conn = conn
        conn.execute("PRAGMA recursive_triggers = on")  # as sqlite-utils sets it, whichever opens first
        self.label = label
        self.writable = writable
        self.path = path  # None for an in-memory store

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection through sqlite-utils, for creating and upgrading the schema."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> SQLiteEventStore:
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
        store = cls(conn, str(path), path=path)
        try:
            store.db.execute("PRAGMA journal_mode=WAL")
            store._create_schema()
        except sqlite3.Error as exc:
            raise NotATimeline(f"{path}: cannot create: {exc}") from None
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, writable: bool = True) -> SQLiteEventStore:
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
            store = cls(conn, str(path), writable=writable, path=path)
            store._check_schema()
        except (sqlite3.DatabaseError, NotATimeline) as exc:
            if conn is not None:
                conn.close()  # a refused file is not held open
            if isinstance(exc, NotATimeline):
                raise
            raise NotATimeline(f"{path}: not a timeline database ({exc})") from None
        return store

    @classmethod
    def in_memory(cls, label: str = ":memory:") -> SQLiteEventStore:
        store = cls(sqlite3.connect(":memory:"), label)
        store._create_schema()
        return store

    def close(self) -> None:
        self.conn.close()

    def _check_schema(self) -> None:
        version = schema.version_of(self.conn)
        if version == 0 or not schema.has_event_log(self.conn):
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
        return schema.version_of(self.conn)

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        seq, hash_ = self.conn.execute("SELECT seq, hash FROM log_head WHERE id = 1").fetchone()
        return seq, hash_

    def row_values(self, query: RowQuery = ALL_ROWS) -> Iterator[tuple[Any, ...]]:
        """Stream rows as tuples of the query's columns (replay's hot path: no dict per row)."""
        where, params, order = where_clause(query, self._payload_sql, "instr(data, ?) > 0")
        sql = f"SELECT {', '.join(self._column_sql(query.columns))} FROM events"
        if where:
            sql += f" WHERE {where}"
        return iter(self.conn.execute(f"{sql} ORDER BY {order}", params))

    def count_rows(self, query: RowQuery) -> int:
        where, params, _ = where_clause(query, self._payload_sql, "instr(data, ?) > 0")
        sql = "SELECT count(*) FROM events" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, params).fetchone()[0])

    def _column_sql(self, columns: tuple[Column, ...]) -> list[str]:
        """Column names, with a column an older store lacks read as its default (a store opened
        read-only is never migrated), the hashes (blobs since version 5) read as hex, and payload
        fields read from the JSON."""
        if schema.version_of(self.conn) >= 5:
            # A hash written as text (by hand, or a tool that wrote hex) reads as what it says.
            return [
                column_sql(name, self._payload_sql)
                or (
                    f"CASE WHEN typeof({name}) = 'blob' THEN lower(hex({name})) ELSE {name} END AS {name}"
                    if name in layout.HASH_COLUMNS
                    else str(name)
                )
                for name in columns
            ]
        present = self.db["events"].columns_dict
        return [
            column_sql(name, self._payload_sql)
            or (
                str(name)
                if name in present or name not in layout.LATER_COLUMNS
                else f"'{layout.LATER_COLUMNS[str(name)]}' AS {name}"
            )
            for name in columns
        ]

    def retractions(
        self, *, known_on: dt.date | None = None, up_to_seq: int | None = None
    ) -> Iterator[tuple[str, str, str]]:
        where, params = retraction_filter(known_on, up_to_seq)
        return iter(
            self.conn.execute(
                "SELECT event_id, json_extract(data, '$.target_event_id'), reported_on FROM events "
                f"WHERE {where} ORDER BY seq DESC",
                params,
            )
        )

    @staticmethod
    def _payload_sql(name: str) -> str:
        return f"json_extract(data, '$.{name}')"

    def bounds(self) -> tuple[str | None, str | None, str | None]:
        """Each an index lookup; the last report day comes from the event counts when they are up
        to date (they hold every event's report day: the log has no index on reported_on), else
        from a scan."""
        first, last = self.conn.execute(
            "SELECT (SELECT min(occurred_on) FROM events), (SELECT max(occurred_on) FROM events)"
        ).fetchone()
        tables = self.fact_tables
        last_reported = None
        if last is not None and tables.available() and tables.head() == self.count():
            last_reported = tables.last_known()
        if last_reported is None:
            last_reported = self.conn.execute("SELECT max(reported_on) FROM events").fetchone()[0]
        return first, last, last_reported

    def first_day_of_kind(self, kind: str) -> str | None:
        found: str | None = self.conn.execute("SELECT min(occurred_on) FROM events WHERE kind = ?", [kind]).fetchone()[
            0
        ]
        return found

    def signed_heads(self) -> list[SignedHead]:
        if not self.has_table("signed_heads"):
            return []  # an older store opened read-only: nothing was ever signed in it
        rows = self.conn.execute(f"SELECT {', '.join(layout.SIGNED_HEAD_COLUMNS)} FROM signed_heads ORDER BY rowid")
        return [SignedHead(*row) for row in rows]

    def guard_problems(self) -> list[str]:
        found = dict(self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
        problems = []
        for name, (table, action) in schema.guards(self.schema_version).items():
            if name not in found:
                problems.append(f"append-only trigger {name} is missing: {action} on {table} is not refused")
            elif not schema.refuses(found[name], name, table, action):
                problems.append(
                    f"append-only trigger {name} was altered: it no longer refuses every {action} on {table}"
                )
        return problems

    def first_seq_by_kind(self) -> dict[str, int]:
        # Covered by the (kind, occurred_on) index, which holds each row's seq: no row is read.
        return dict(self.conn.execute("SELECT kind, min(seq) FROM events GROUP BY kind").fetchall())

    def rows_for_check(self, after_seq: int, until_seq: int) -> Iterator[dict[str, Any]]:
        # Text that is not UTF-8 (only an edit writes it) is read with its bad bytes kept as
        # surrogates: the row then fails its hash instead of stopping the read.
        saved = self.conn.text_factory
        self.conn.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
        try:
            rows = self.conn.execute(
                f"SELECT {', '.join(self._column_sql(COLUMNS))} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                [after_seq, until_seq],
            ).fetchall()
        finally:
            self.conn.text_factory = saved
        return (dict(zip(COLUMNS, values, strict=True)) for values in rows)

    def reopen_target(self) -> str | None:
        return None if self.path is None else str(self.path)

    def scan_chain(self, *, after_seq: int, until_seq: int) -> ChainSegment:
        """SQLite spells each row's canonical JSON itself (`json_object` escapes as the engine's
        JSON encoder does) and Python hashes it: re-serialising in Python was two thirds of a check.
        A row the database cannot spell (a value edited into a blob) is left to the reference check."""
        sql = (
            f"SELECT seq, prev_hash, hash, CAST({_CANONICAL_JSON_SQL} AS BLOB) FROM events "
            "WHERE seq > ? AND seq <= ? ORDER BY seq"
        )
        try:
            cursor = self.conn.execute(sql, [after_seq, until_seq])
            return segment_of(after_seq, until_seq, _hashed_rows(cursor))
        except sqlite3.OperationalError as exc:
            return scan_failed(self, after_seq, until_seq, exc)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, list(params)).fetchall())

    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.executemany(sql, rows)

    def has_table(self, name: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])
        return found.fetchone() is not None

    def _can_record_verified(self) -> bool:
        if self.path is None:
            return self.writable  # in memory: its one connection records it
        return os.access(self.path, os.W_OK)

    def cache_session(self) -> SQLiteSession:
        if self.path is None:
            return SQLiteSession(self.conn, shared=True)
        return SQLiteSession(sqlite3.connect(self.path, timeout=CACHE_WRITE_WAIT_S, isolation_level=None), shared=False)

    # -- writing -----------------------------------------------------------------------------

    def _before_append(self) -> None:
        schema.create_kind_views(self.conn)  # a kind added since the store was made gets its view

    def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        # executemany rather than sqlite-utils' insert_all: the rows are already exactly the
        # table's columns, and insert_all's per-value checks were 30% of an import's profile.
        self.conn.executemany(_INSERT_SQL, [_stored(row) for row in rows])

    def _set_head(self, seq: int, hash_: str) -> None:
        self.conn.execute("UPDATE log_head SET seq = ?, hash = ? WHERE id = 1", [seq, hash_])

    def _insert_signed_head(self, signed: SignedHead) -> None:
        columns = layout.SIGNED_HEAD_COLUMNS
        self.conn.execute(
            f"INSERT INTO signed_heads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [getattr(signed, name) for name in columns],
        )

    class _Transaction:
        def __init__(self, store: SQLiteEventStore):
            self.store = store

        def __enter__(self) -> None:
            try:
                # IMMEDIATE takes the write lock now, waiting up to the busy timeout for it.
                self.store.conn.execute("BEGIN IMMEDIATE")
                # An older store is upgraded by its first write, inside that write's transaction:
                # a rejected append leaves the file exactly as it was, old schema included.
                if 0 < schema.version_of(self.store.conn) < schema.CURRENT_VERSION:
                    schema.migrate(self.store.db)
            except sqlite3.OperationalError as exc:
                self.store.conn.rollback()
                raise _operational_error(self.store.label, exc) from None

        def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            conn = self.store.conn
            if exc_type is None:
                try:
                    conn.execute("COMMIT")
                    return
                except sqlite3.OperationalError as commit_exc:
                    conn.rollback()
                    raise _operational_error(self.store.label, commit_exc) from None
            conn.rollback()
            if isinstance(exc, sqlite3.OperationalError):
                raise _operational_error(self.store.label, exc) from None
            if isinstance(exc, InvalidEvent):
                raise BadEvent(exc.message, field=exc.field) from None

    def write_transaction(self) -> SQLiteEventStore._Transaction:
        """One `BEGIN IMMEDIATE` transaction, committed on success and rolled back on any error;
        an older store is upgraded inside it."""
        return SQLiteEventStore._Transaction(self)

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[None]:
        """One consistent view of the log for several queries (WAL: writers go on meanwhile)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.rollback()


class SQLiteSession:
    """A connection for best-effort writes (see `SqlSession`)."""

    def __init__(self, conn: sqlite3.Connection, *, shared: bool):
        self.conn = conn
        self.shares_store_connection = shared

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, list(params)).fetchall()

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.executemany(sql, rows)

    def begin_write(self) -> bool:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False  # another writer holds the lock past the connection's short timeout
        return True

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.rollback()

    def close(self) -> None:
        if not self.shares_store_connection:
            self.conn.close()


_HASH_POSITIONS = tuple(COLUMNS.index(name) for name in layout.HASH_COLUMNS)


def _canonical_json_sql() -> str:
    """SQL spelling a row's hashed columns as `rows.row_hash` does: keys sorted, a later column
    left out where it holds the value older rows read as, and the hashes as lowercase hex."""
    names = sorted(name for name in COLUMNS if name != "hash")

    def value(name: str) -> str:
        if name in layout.HASH_COLUMNS:
            return f"CASE WHEN typeof({name}) = 'blob' THEN lower(hex({name})) ELSE {name} END"
        return name

    def spelled(present: set[str]) -> str:
        kept = [name for name in names if name not in layout.LATER_COLUMNS or name in present]
        return "json_object(" + ", ".join(f"'{name}', {value(name)}" for name in kept) + ")"

    later = sorted(layout.LATER_COLUMNS)
    cases = []
    for flags in itertools.product((True, False), repeat=len(later)):
        present = {name for name, flag in zip(later, flags, strict=True) if flag}
        condition = " AND ".join(
            f"{name} IS NOT '{layout.LATER_COLUMNS[name]}'"
            if name in present
            else f"{name} IS '{layout.LATER_COLUMNS[name]}'"
            for name in later
        )
        cases.append(f"WHEN {condition} THEN {spelled(present)}")
    return "CASE " + " ".join(cases) + " END" if cases else spelled(set())


_CANONICAL_JSON_SQL = _canonical_json_sql()


def _hashed_rows(cursor: sqlite3.Cursor) -> Iterator[tuple[int, Any, Any, bool]]:
    """(seq, prev_hash, hash, whether the content matches the hash) of each row: the hashes as
    stored (32 bytes, or hex text written by another tool), compared as the store reads them."""
    sha256 = hashlib.sha256
    while rows := cursor.fetchmany(5_000):
        for seq, prev_hash, hash_, material in rows:
            digest = sha256(material).digest() if material is not None else None
            if type(hash_) is bytes:
                yield seq, prev_hash, hash_, digest == hash_
            else:
                yield seq, prev_hash, hash_, digest is not None and digest.hex() == hash_


_ROW_VALUES = operator.itemgetter(*COLUMNS)


def _stored(row: dict[str, Any]) -> list[Any]:
    """A row's values as the table stores them: the hashes as bytes."""
    values = list(_ROW_VALUES(row))
    for position in _HASH_POSITIONS:
        values[position] = bytes.fromhex(values[position])
    return values


def _operational_error(label: str, exc: sqlite3.OperationalError) -> Exception:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return ConflictError(f"{label}: the log stayed locked by another writer for {BUSY_TIMEOUT_S:.0f} s")
    if "readonly" in message:
        return ReadOnlyTimeline(f"{label}: the database is read-only")
    return NotATimeline(f"{label}: {message}")
