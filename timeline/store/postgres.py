"""The team backend: the log in a PostgreSQL database, through psycopg 3.

The same tables as on SQLite (`events`, `log_head`, `signed_heads`, one view per kind), the same
rows and so the same hash chain. What differs is the database's own machinery:

- **One writer at a time.** Every write transaction first takes `SELECT ... FOR UPDATE` on the
  one row of `log_head`: appenders from any process or connection queue there, and each reads the
  head only once it holds the lock, so the chain never forks and no seq is skipped. A writer that
  waits longer than LOCK_TIMEOUT_S gets a ConflictError, as on SQLite.
- **Edits refused by the database.** Statement-level triggers raise on UPDATE, DELETE and
  TRUNCATE of `events` and `signed_heads`; `verify` reports one that is missing or disabled.
- **Notifications.** Every write that moves the head sends NOTIFY on NOTIFY_CHANNEL at commit,
  so `timeline log --follow` waits for news instead of polling.
- **Schema version** in the table `timeline_schema`; `postgres_schema` upgrades a store inside its first
  write transaction, as on SQLite. A database without the tables is not a timeline.

Reads stream through server-side cursors, so a full replay never holds the whole log in memory.

A long-lived process (a web service answering many queries) opens its stores from a pool
(`connection_pool(url)`, psycopg_pool) instead of connecting for each: `open(url, pool=pool)`
borrows a connection and `close()` gives it back, reset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from events import registry
from events.errors import InvalidEvent
from timeline.errors import BadEvent, ConflictError, NotATimeline, ReadOnlyTimeline
from timeline.store import layout, postgres_schema
from timeline.store.base import ALL_ROWS, EventStore, retraction_filter
from timeline.store.chain_scan import ChainSegment, Suspect
from timeline.store.query import RowQuery, column_sql, where_clause
from timeline.store.rows import COLUMNS
from timeline.store.signed import SignedHead
from timeline.store.targets import is_postgres_url, safe_label

LOCK_TIMEOUT_S = 60.0
# A best-effort write (the verified head) waits this long for the write lock, then gives up.
CACHE_WRITE_WAIT_S = 0.5
NOTIFY_CHANNEL = "timeline_appended"
STREAM_PAGE = 2_000  # rows fetched per round trip from a server-side cursor
# Serialises `timeline init` runs on one database (any constant shared by every process would do).
_CREATE_LOCK = 7_152_024

_cursor_names = itertools.count(1)


def _is_lookup(query: RowQuery) -> bool:
    """A query for a few rows, read at once rather than through a cursor."""
    if query.event_ids is not None:
        return True
    return query.after_seq is not None and query.until_seq is not None and query.until_seq - query.after_seq <= 1_000


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _sql(text: str) -> str:
    """Portable SQL (`?` placeholders) -> psycopg's (`%s`)."""
    return text.replace("%", "%%").replace("?", "%s")


def connection_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> psycopg_pool.ConnectionPool[Any]:
    """A pool of connections to `url` as the store wants them: autocommit (the store opens its own
    transactions), and reset when given back (a read-only store's setting, a follower's LISTEN)."""
    return psycopg_pool.ConnectionPool(
        url,
        kwargs={"autocommit": True},
        min_size=min_size,
        max_size=max_size,
        reset=_reset,
        open=True,
        name="timeline",
    )


def _reset(conn: psycopg.Connection[Any]) -> None:
    conn.execute("RESET ALL")
    conn.execute("UNLISTEN *")


def _connect(
    url: str, label: str, pool: psycopg_pool.ConnectionPool[Any] | None = None
) -> psycopg.Connection[tuple[Any, ...]]:
    try:
        if pool is not None:
            conn: psycopg.Connection[tuple[Any, ...]] = pool.getconn()
            return conn
        return psycopg.connect(url, autocommit=True)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise NotATimeline(f"{label}: cannot connect to PostgreSQL: {reason}") from None


class PostgresEventStore(EventStore):
    """The log in a PostgreSQL database: `create(url)`, `open(url)`."""

    def __init__(
        self,
        conn: psycopg.Connection[tuple[Any, ...]],
        url: str,
        *,
        writable: bool = True,
        pool: psycopg_pool.ConnectionPool[Any] | None = None,
    ):
        self.conn = conn
        self.pool = pool
        self.url = url
        self.label = safe_label(url)
        self.writable = writable
        self.path = None
        self._listener: psycopg.Connection[tuple[Any, ...]] | None = None
        self._upgraded = False  # this connection found the schema current once: no need to look again
        self._views: set[str] = set()

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, target: str | os.PathLike[str]) -> PostgresEventStore:
        """Create the log's tables in the database `target` names; an existing timeline is opened as it is."""
        url = _url(target)
        store = cls(_connect(url, safe_label(url)), url)
        try:
            with store.conn.transaction():
                store.conn.execute("SELECT pg_advisory_xact_lock(%s)", [_CREATE_LOCK])
                if store._version() == 0:
                    if store._exists("events") or store._exists("log_head"):
                        raise NotATimeline(
                            f"{store.label}: the database has an 'events' or 'log_head' table that is not a "
                            "timeline's; use another database (or schema)"
                        )
                    for statement in postgres_schema.CREATE:
                        store.conn.execute(statement)
                    store._migrate()
                    store._create_kind_views()
            store._check_schema()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open(
        cls,
        target: str | os.PathLike[str],
        *,
        writable: bool = True,
        pool: psycopg_pool.ConnectionPool[Any] | None = None,
    ) -> PostgresEventStore:
        """The log in the database `target` names; with `pool` (see `connection_pool`), on a
        connection borrowed from it and given back by `close()`."""
        url = _url(target)
        store = cls(_connect(url, safe_label(url), pool), url, writable=writable, pool=pool)
        try:
            if not writable:
                store.conn.execute("SET default_transaction_read_only = on")
            store._check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        if self._listener is not None and not self._listener.closed:
            self._listener.close()
        if self.pool is not None:
            if self.conn.info.transaction_status != TransactionStatus.IDLE:
                self.conn.execute("ROLLBACK")
            self.pool.putconn(self.conn)  # reset (RESET ALL) by the pool
        elif not self.conn.closed:
            self.conn.close()

    def _exists(self, table: str) -> bool:
        row = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
        return bool(row and row[0])

    def _version(self) -> int:
        if not self._exists("timeline_schema"):
            return 0
        row = self.conn.execute("SELECT version FROM timeline_schema WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def _check_schema(self) -> None:
        version = self._version()
        if version == 0 or not (self._exists("events") and self._exists("log_head")):
            raise NotATimeline(
                f"{self.label}: a PostgreSQL database, but not a timeline (no event log in it; "
                "`timeline init --db URL` creates one)"
            )
        if version > postgres_schema.CURRENT_VERSION:
            raise NotATimeline(
                f"{self.label}: written by a newer version of timeline "
                f"(PostgreSQL store schema {version}; this version reads up to {postgres_schema.CURRENT_VERSION})"
            )

    @property
    def schema_version(self) -> int:
        return self._version()

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM log_head WHERE id = 1").fetchone()
        assert row is not None  # created with the table, never deleted
        return int(row[0]), str(row[1])

    def row_values(self, query: RowQuery = ALL_ROWS) -> Iterator[tuple[Any, ...]]:
        where, params, order = where_clause(query, self._payload_sql, "strpos(data, ?) > 0")
        columns = [column_sql(column, self._payload_sql) or str(column) for column in query.columns]
        sql = f"SELECT {', '.join(columns)} FROM events" + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        if _is_lookup(query):
            return iter(self._execute(sql, params))  # a few rows: no server-side cursor to open and close
        return self._stream(sql, params)

    def count_rows(self, query: RowQuery) -> int:
        where, params, _ = where_clause(query, self._payload_sql, "strpos(data, ?) > 0")
        rows = self._execute("SELECT count(*) FROM events" + (f" WHERE {where}" if where else ""), params)
        return int(rows[0][0])

    def _stream(self, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows from a server-side cursor, a page at a time. Outside a transaction the cursor is
        WITH HOLD, so other queries can run on the connection while it is read."""
        in_transaction = self.conn.info.transaction_status != TransactionStatus.IDLE
        cursor = self.conn.cursor(name=f"timeline_rows_{next(_cursor_names)}", withhold=not in_transaction)
        cursor.itersize = STREAM_PAGE
        try:
            cursor.execute(_sql(sql), params)
            yield from cursor
        finally:
            if not self.conn.closed:
                cursor.close()

    def retractions(
        self, *, known_on: dt.date | None = None, up_to_seq: int | None = None
    ) -> Iterator[tuple[str, str, str]]:
        where, params = retraction_filter(known_on, up_to_seq)
        sql = (
            "SELECT event_id, (data::jsonb)->>'target_event_id', reported_on FROM events "
            f"WHERE {where} ORDER BY seq DESC"
        )
        return ((str(a), str(b), str(c)) for a, b, c in self._stream(sql, params))

    @staticmethod
    def _payload_sql(name: str) -> str:
        return f"((data::jsonb)->>'{name}')"

    def bounds(self) -> tuple[str | None, str | None, str | None]:
        row = self.conn.execute(
            "SELECT (SELECT min(occurred_on) FROM events), (SELECT max(occurred_on) FROM events), "
            "(SELECT max(reported_on) FROM events)"
        ).fetchone()
        assert row is not None
        return row[0], row[1], row[2]

    def first_day_of_kind(self, kind: str) -> str | None:
        row = self.conn.execute("SELECT min(occurred_on) FROM events WHERE kind = %s", [kind]).fetchone()
        return None if row is None else row[0]

    def signed_heads(self) -> list[SignedHead]:
        rows = self.conn.execute(
            f"SELECT {', '.join(layout.SIGNED_HEAD_COLUMNS)} FROM signed_heads ORDER BY position"
        ).fetchall()
        return [SignedHead(int(seq), *rest) for seq, *rest in rows]

    def guard_problems(self) -> list[str]:
        rows = self.conn.execute(postgres_schema.GUARDS_SQL).fetchall()
        found = {name: rest for name, *rest in rows}
        problems = []
        for name, (table, action, _) in postgres_schema.GUARDS.items():
            if name not in found:
                problems.append(f"append-only trigger {name} is missing: {action} on {table} is not refused")
                continue
            on_table, enabled, kind, plain, function, body = found[name]
            if enabled not in ("O", "A"):  # D: disabled; R: fires only for a replica's sessions
                problems.append(f"append-only trigger {name} is disabled: {action} on {table} is not refused")
            elif (
                on_table != table
                or kind != postgres_schema.TRIGGER_BEFORE | postgres_schema.TRIGGER_ACTIONS[action]
                or not plain
                or function != "timeline_refuse_edit"
                or body.split() != postgres_schema.REFUSE_EDIT_BODY.split()
            ):
                problems.append(
                    f"append-only trigger {name} was altered: it no longer refuses every {action} on {table}"
                )
        return problems

    def scan_chain(self, *, after_seq: int, until_seq: int) -> ChainSegment:
        """The server re-hashes every row (its `sha256` over the row's canonical JSON, spelled in
        SQL) and checks each link, and sends back only what did not hold and the range's ends."""
        rows = self.conn.execute(postgres_schema.SCAN_SQL, [after_seq, until_seq]).fetchall()
        suspects = [Suspect(int(seq), _int_or_none(b), h) for what, seq, b, h in rows if what == "row"]
        summary = {what: (seq, b, h) for what, seq, b, h in rows if what != "row"}
        count, total, _ = summary["summary"]
        first = (int(summary["first"][0]), str(summary["first"][2])) if "first" in summary else None
        last = (int(summary["last"][0]), str(summary["last"][2])) if "last" in summary else None
        return ChainSegment(after_seq, until_seq, int(count), first, last, tuple(suspects), int(total))

    def first_seq_by_kind(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT kind, min(seq) FROM events GROUP BY kind").fetchall()
        return {str(kind): int(seq) for kind, seq in rows}

    def rows_for_check(self, after_seq: int, until_seq: int) -> Iterator[dict[str, Any]]:
        rows = self._stream(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq", [after_seq, until_seq]
        )
        return (dict(zip(COLUMNS, values, strict=True)) for values in rows)

    def reopen_target(self) -> str | None:
        return self.url

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(_sql(sql), list(params))
        return list(cursor.fetchall()) if cursor.description else []

    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_sql(sql), rows)

    def has_table(self, name: str) -> bool:
        return self._exists(name)

    def cache_session(self) -> PostgresSession:
        return PostgresSession(_connect(self.url, self.label, self.pool), self.pool)

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[None]:
        if self.conn.info.transaction_status != TransactionStatus.IDLE:
            yield
            return
        with self._errors(), self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    # -- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def write_transaction(self) -> Iterator[None]:
        if not self.writable:
            raise ReadOnlyTimeline(f"{self.label}: opened read-only")
        checked_now = False
        with self._errors(), self.conn.transaction():
            self.conn.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_S * 1000)}ms'")
            # The one write lock: every writer queues on the head row, then reads the head.
            self.conn.execute("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE")
            if not self._upgraded:
                if self._version() < postgres_schema.CURRENT_VERSION:
                    self._migrate()  # an older store is upgraded by its first write, inside it
                checked_now = True
            yield
        if checked_now:  # committed: a rolled-back upgrade is looked for again next time
            self._upgraded = True

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """psycopg's errors as the engine's."""
        try:
            yield
        except pg_errors.LockNotAvailable:
            raise ConflictError(
                f"{self.label}: the log stayed locked by another writer for {LOCK_TIMEOUT_S:.0f} s"
            ) from None
        except pg_errors.ReadOnlySqlTransaction:
            raise ReadOnlyTimeline(f"{self.label}: opened read-only") from None
        except InvalidEvent as exc:
            raise BadEvent(exc.message, field=exc.field) from None
        except psycopg.OperationalError as exc:
            raise NotATimeline(f"{self.label}: {str(exc).strip()}") from None

    def _migrate(self) -> None:
        found = self._version()
        for version in range(found + 1, postgres_schema.CURRENT_VERSION + 1):
            for statement in postgres_schema.MIGRATIONS[version]:
                self.conn.execute(statement)
            self.conn.execute("UPDATE timeline_schema SET version = %s WHERE id = 1", [version])

    def _before_append(self) -> None:
        self._create_kind_views()

    def _create_kind_views(self) -> None:
        """One read-only view per kind, with the payload fields as columns, as on SQLite."""
        wanted = {layout.kind_view_name(kind): kind for kind in registry.kind_names()}
        if wanted.keys() <= self._views:
            return
        rows = self.conn.execute("SELECT viewname FROM pg_views WHERE schemaname = current_schema()").fetchall()
        self._views = {row[0] for row in rows}
        envelope = "seq, event_id, occurred_on, reported_on, source, unverified, note, date_precision"
        for name, kind in wanted.items():
            if name not in self._views:
                self.conn.execute(layout.kind_view_sql(kind, envelope, postgres_schema.jsonb_field))
                self._views.add(name)

    def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        # COPY: the fastest way into PostgreSQL, and still inside the append's transaction.
        with self.conn.cursor() as cursor, cursor.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[name] for name in COLUMNS))

    def _set_head(self, seq: int, hash_: str) -> None:
        self.conn.execute("UPDATE log_head SET seq = %s, hash = %s WHERE id = 1", [seq, hash_])
        # Delivered at commit, and only then: a follower never hears of a rolled-back write.
        self.conn.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(seq)])

    def _insert_signed_head(self, signed: SignedHead) -> None:
        columns = layout.SIGNED_HEAD_COLUMNS
        self.conn.execute(
            f"INSERT INTO signed_heads ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
            [getattr(signed, name) for name in columns],
        )

    # -- following ---------------------------------------------------------------------------

    def wait_for_append(self, after_seq: int, timeout: float | None) -> bool:
        """LISTEN on a connection of its own, then wait for a NOTIFY from a write."""
        if self._listener is None:
            self._listener = _connect(self.url, self.label)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        # Listening starts before the head is read, so an append in between is not missed.
        if self.head()[0] > after_seq:
            return True
        for _ in self._listener.notifies(timeout=timeout, stop_after=1):
            break
        return self.head()[0] > after_seq


class PostgresSession:
    """A connection of its own for best-effort writes (see `SqlSession`)."""

    shares_store_connection = False

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]], pool: psycopg_pool.ConnectionPool[Any] | None = None):
        self.conn = conn
        self.pool = pool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(_sql(sql), list(params))
        return list(cursor.fetchall()) if cursor.description else []

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_sql(sql), rows)

    def begin_write(self) -> bool:
        self.conn.execute("BEGIN")
        try:
            self.conn.execute(f"SET LOCAL lock_timeout = '{int(CACHE_WRITE_WAIT_S * 1000)}ms'")
            self.conn.execute("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE")
        except pg_errors.LockNotAvailable:
            self.conn.execute("ROLLBACK")
            return False
        return True

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.info.transaction_status != TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.rollback()
        if self.pool is not None:
            self.pool.putconn(self.conn)
        else:
            self.conn.close()


def _url(target: str | os.PathLike[str]) -> str:
    if not is_postgres_url(target):
        raise NotATimeline(f"{target}: not a postgresql:// URL")
    return str(target)


CURRENT_VERSION = postgres_schema.CURRENT_VERSION

__all__ = ["CURRENT_VERSION", "LOCK_TIMEOUT_S", "NOTIFY_CHANNEL", "PostgresEventStore", "connection_pool", "safe_label"]
