"""What every event store promises, written once; a backend supplies only its SQL and its locking.

The log is a table `events` (one row per event: `store.rows` lays it out and hashes it) and a
one-row table `log_head` holding the last seq and hash. `EventStore` holds what does not depend on
the database: reads by typed query (`store.query.RowQuery`, never SQL text from above), appends and
copies (`store.writing`: idempotency, conflicts, retraction targets, the hash chain, all or
nothing), signed heads, and the write hooks a caller registers (the checkpoints' upkeep, called
inside every write's transaction). A backend implements the abstract methods below: how to run a
query, insert rows, move the head, hold the one write lock, and which guards make its database
refuse UPDATE and DELETE. The store imports nothing above it.

`tests/store_contract.py` is the same promise as a test class, run against every backend.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from events.codec import CheckedRecord
from events.envelope import Event, RecordedEvent
from timeline.errors import ReadOnlyTimeline
from timeline.store import layout, writing
from timeline.store.chain_scan import ChainSegment
from timeline.store.fact_tables import FactTables
from timeline.store.query import EVENT_ID_CHUNK, RETRACTION, Column, Mentions, RowQuery
from timeline.store.results import AppendResult, CopyResult, Write, WriteObserver
from timeline.store.row_map import RowMap
from timeline.store.rows import COLUMNS, REPLAY_COLUMNS, decode_row, decode_values
from timeline.store.signed import SignedHead

GENESIS_HASH = layout.GENESIS_HASH
BATCH_SIZE = writing.BATCH_SIZE
# How often a follower of a store without notifications looks for new events.
POLL_INTERVAL_S = 0.25
ALL_ROWS = RowQuery()

# Called when a write starts, inside its transaction: the observer it returns is told the write's
# rows, batch by batch, and its end.
WriteHook = Callable[["EventStore"], WriteObserver]


class SqlSession(Protocol):
    """A connection of its own for a best-effort write beside the log (the head `verify` last
    found intact), in portable SQL (`?` placeholders)."""

    # True when the session is the store's own connection (an in-memory store has no other).
    shares_store_connection: bool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns (none for most writes)."""

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    def begin_write(self) -> bool:
        """Begin a transaction holding the log's write lock, waiting only briefly for it; False
        (and no transaction) when another writer holds it: a cache write can be skipped."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class EventStore(abc.ABC):
    """The log. `timeline.store.open_store(target)` and `create_store(target)` take a file path
    (SQLite) or a `postgresql://` URL; `memory_store()` is an SQLite log that lives in memory."""

    label: str
    writable: bool
    path: Path | None = None  # the database file, for a store that is one (exports refuse to overwrite it)
    _fact_tables: FactTables | None = None
    _write_hooks: tuple[WriteHook, ...] = ()

    @classmethod
    @abc.abstractmethod
    def create(cls, target: str | os.PathLike[str]) -> EventStore:
        """Create a new log at `target`; an existing timeline is opened as it is."""

    @classmethod
    @abc.abstractmethod
    def open(cls, target: str | os.PathLike[str], *, writable: bool = True) -> EventStore:
        """The log at `target`; refused with NotATimeline when it is not one."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def schema_version(self) -> int: ...

    # -- what a backend supplies: reading ----------------------------------------------------

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """The last seq and its hash ((0, GENESIS_HASH) for an empty log)."""

    @abc.abstractmethod
    def row_values(self, query: RowQuery = ALL_ROWS) -> Iterator[tuple[Any, ...]]:
        """Stream the rows a query names, as tuples of its columns, in its order."""

    @abc.abstractmethod
    def count_rows(self, query: RowQuery) -> int:
        """How many rows `row_values(query)` would give."""

    @abc.abstractmethod
    def retractions(
        self, *, known_on: dt.date | None = None, up_to_seq: int | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """(event_id, target_event_id, reported_on) of the retractions, newest first."""

    @abc.abstractmethod
    def bounds(self) -> tuple[str | None, str | None, str | None]:
        """(first occurred_on, last occurred_on, last reported_on)."""

    @abc.abstractmethod
    def first_day_of_kind(self, kind: str) -> str | None:
        """The first occurred_on of an event of `kind` (an index lookup)."""

    @abc.abstractmethod
    def signed_heads(self) -> list[SignedHead]:
        """Every signed head, in the order they were recorded."""

    @abc.abstractmethod
    def guard_problems(self) -> list[str]:
        """What is wrong with the database's own refusals of UPDATE and DELETE (triggers): each
        missing, disabled or altered one, in a sentence naming it; empty when all are in place."""

    @abc.abstractmethod
    def first_seq_by_kind(self) -> dict[str, int]:
        """Each kind in the log, with the seq of its first event."""

    @abc.abstractmethod
    def scan_chain(self, *, after_seq: int, until_seq: int) -> ChainSegment:
        """Read every row with after_seq < seq <= until_seq: re-hash its content, check it follows
        the row before (`segment_of`). A fast path of the reference `rows.row_hash`: a backend may
        flag more rows than the reference would (they are judged again), never fewer."""

    @abc.abstractmethod
    def rows_for_check(self, after_seq: int, until_seq: int) -> Iterator[dict[str, Any]]:
        """Rows as dicts in seq order, every column as stored, read so that no edited value (text
        that is not UTF-8, say) stops the read: what the reference check judges."""

    def reopen_target(self) -> str | None:
        """What another process may open to read this log (its path or URL); None when only this
        connection can reach it (in memory)."""
        return None

    @abc.abstractmethod
    def read_transaction(self) -> contextlib.AbstractContextManager[None]:
        """One consistent view of the log for several queries; writers go on meanwhile."""

    @abc.abstractmethod
    def write_transaction(self) -> contextlib.AbstractContextManager[None]:
        """The one write lock of the log and a transaction: committed on success, rolled back on
        any error (a backend's own errors become ConflictError, NotATimeline...). An older store
        is upgraded inside it. Writers from any process or connection queue on this lock."""

    @abc.abstractmethod
    def has_table(self, name: str) -> bool: ...

    # -- what a backend supplies to the store's own modules (portable SQL, `?` placeholders) ----

    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement on the store's own connection; inside `write_transaction` it may write."""

    @abc.abstractmethod
    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement for each of `rows`, on the store's own connection."""

    @abc.abstractmethod
    def cache_session(self) -> SqlSession:
        """A session for a best-effort write that must not wait long for the log's lock (the
        verified head): a connection of its own, except for a store that has only one (in memory)."""

    # -- what a backend supplies: writing (inside write_transaction) --------------------------

    @abc.abstractmethod
    def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert complete rows (every column of COLUMNS) into `events`."""

    @abc.abstractmethod
    def _set_head(self, seq: int, hash_: str) -> None: ...

    @abc.abstractmethod
    def _insert_signed_head(self, signed: SignedHead) -> None: ...

    @abc.abstractmethod
    def _before_append(self) -> None:
        """Anything a backend does once per write before its rows (SQLite: views of new kinds)."""

    def _can_record_verified(self) -> bool:
        """Whether `record_verified` may try to write (SQLite: a file that can be written)."""
        return True

    # -- following ---------------------------------------------------------------------------

    def wait_for_append(self, after_seq: int, timeout: float | None) -> bool:
        """Block until the log ends past `after_seq` or `timeout` seconds pass; True if it grew.

        This default polls the head; a backend with notifications (PostgreSQL) waits for one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.head()[0] <= after_seq:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            pause = POLL_INTERVAL_S if deadline is None else min(POLL_INTERVAL_S, deadline - time.monotonic())
            time.sleep(max(pause, 0.0))
        return True

    # -- reading (shared) --------------------------------------------------------------------

    def count(self) -> int:
        return self.head()[0]

    @property
    def fact_tables(self) -> FactTables:
        """The stored state on both axes, written only inside this store's write transactions."""
        if self._fact_tables is None:
            self._fact_tables = FactTables(self)
        return self._fact_tables

    @contextlib.contextmanager
    def row_map(self) -> Iterator[RowMap]:
        """The version map of one living-dataset import, in temporary tables: used inside the
        import's write transaction, dropped when it ends (a failed write rolls them back)."""
        self._check_writable()
        row_map = RowMap(self)
        yield row_map
        row_map.close()  # not on an error: a PostgreSQL transaction that failed takes no statement

    def rows(self, query: RowQuery = ALL_ROWS) -> Iterator[dict[str, Any]]:
        """Stream whole rows as dicts (every column); nothing is held beyond the cursor's page."""
        for values in self.row_values(attrs.evolve(query, columns=COLUMNS)):
            yield dict(zip(COLUMNS, values, strict=True))

    def events(
        self,
        *,
        kind: str | None = None,
        occurred_from: dt.date | None = None,
        occurred_to: dt.date | None = None,
        after_seq: int | None = None,
        until_seq: int | None = None,
    ) -> Iterator[RecordedEvent]:
        """The log in append order, optionally narrowed by kind, occurred_on and position."""
        query = RowQuery(
            kinds=None if kind is None else frozenset([kind]),
            occurred_from=None if occurred_from is None else occurred_from.isoformat(),
            occurred_until=None if occurred_to is None else occurred_to.isoformat(),
            after_seq=after_seq,
            until_seq=until_seq,
        )
        for values in self.row_values(query):
            # Rows were validated on the way in and are covered by the hash chain (verify re-checks).
            yield decode_values(values, trusted=True)

    def has_event(self, event_id: str) -> bool:
        return bool(self.lookup_ids([event_id], columns=("seq",)))

    def get(self, event_id: str) -> RecordedEvent | None:
        for values in self.lookup_ids([event_id]):
            return decode_row(dict(zip(COLUMNS, values, strict=True)))
        return None

    def rows_in_fold_order(
        self,
        *,
        until: dt.date | str,
        after: dt.date | str | None = None,
        known_on: dt.date | None = None,
        columns: tuple[Column, ...] = REPLAY_COLUMNS,
        kinds: Collection[str] | None = None,
        mentioning: Mentions | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Rows with after < occurred_on <= until and reported_on <= known_on (and of `kinds`, and
        `mentioning`, if given), in fold order (occurred_on, seq), streamed."""
        if known_on is not None and known_on.isoformat() < str(until):
            until = known_on  # nothing reported by then occurred later: read no further
        return self.row_values(
            RowQuery(
                columns=columns,
                occurred_until=str(until),
                occurred_after=None if after is None else str(after),
                known_on=None if known_on is None else known_on.isoformat(),
                kinds=None if kinds is None else frozenset(kinds),
                mentioning=mentioning,
                order="fold",
            )
        )

    def lookup_ids(self, event_ids: Iterable[str], columns: tuple[Column, ...] = COLUMNS) -> list[tuple[Any, ...]]:
        """The rows (as `columns`) of those ids in the log, in no particular order."""
        ids, rows = list(event_ids), list[tuple[Any, ...]]()
        for start in range(0, len(ids), EVENT_ID_CHUNK):
            rows += self.row_values(RowQuery(columns=columns, event_ids=tuple(ids[start : start + EVENT_ID_CHUNK])))
        return rows

    def kinds_and_days(self, event_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """event_id -> (kind, occurred_on) of those ids in the log."""
        rows = self.lookup_ids(event_ids, columns=("event_id", "kind", "occurred_on"))
        return {event_id: (kind, day) for event_id, kind, day in rows}

    def count_in_fold_order(
        self,
        *,
        after: dt.date,
        until: dt.date,
        known_on: dt.date | None = None,
        among: Iterable[str] | None = None,
    ) -> int:
        """How many rows `rows_in_fold_order` would give (only those of the ids `among`, if given)."""
        query = RowQuery(
            occurred_after=after.isoformat(),
            occurred_until=until.isoformat(),
            known_on=None if known_on is None else known_on.isoformat(),
        )
        if among is None:
            return self.count_rows(query)
        ids = list(among)
        return sum(
            self.count_rows(attrs.evolve(query, event_ids=tuple(ids[start : start + EVENT_ID_CHUNK])))
            for start in range(0, len(ids), EVENT_ID_CHUNK)
        )

    # -- writing (shared) --------------------------------------------------------------------

    def append(
        self,
        items: Iterable[Event | CheckedRecord | tuple[Event | CheckedRecord, str | None]],
        *,
        expected_head: int | None = None,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[int], object] | None = None,
        keep_events: bool = True,
        recorded_at: str | None = None,
    ) -> AppendResult:
        """Append events in one transaction: all of them, or (on any error) none (`writing.append_events`)."""
        return writing.append_events(
            self,
            items,
            expected_head=expected_head,
            batch_size=batch_size,
            on_batch=on_batch,
            keep_events=keep_events,
            recorded_at=recorded_at,
        )

    def add_write_hook(self, hook: WriteHook) -> None:
        """Start `hook(store)` at every write, inside its transaction (once per hook): the observer
        it returns is told each batch of the write's rows and its end."""
        if hook not in self._write_hooks:
            self._write_hooks = (*self._write_hooks, hook)

    def _observers(self) -> list[WriteObserver]:
        """The write hooks' observers of a write that is starting."""
        return [hook(self) for hook in self._write_hooks]

    def _after_write(self, write: Write, observers: list[WriteObserver]) -> None:
        """Inside a write's transaction, after its rows: the observers' end (the stored state's
        upkeep, so no reader ever sees the log and its state disagree), then a chain `verify` found
        intact up to the write's start is extended to its end."""
        for observer in observers:
            observer.done(write)
        self._extend_verified_head(write.head_before, write.hash_before, *self.head())

    def _extend_verified_head(self, head_before: int, hash_before: str, head: int, hash_: str) -> None:
        """An append that continues a chain `verify` found intact up to its start extends that
        head to its own end: it wrote and validated every row in between, in this transaction.
        A chain never checked stays unchecked until `verify` runs."""
        if self.verified_head() == (head_before, hash_before):
            self._execute(_UPSERT_VERIFIED_HEAD, [head, hash_])

    def _check_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyTimeline(f"{self.label}: opened read-only")

    def append_rows(
        self,
        rows: Iterable[tuple[dict[str, Any], str | None]],
        signed_heads: Iterable[SignedHead] = (),
        *,
        batch_size: int = BATCH_SIZE,
        check_signed_heads: bool = True,
    ) -> CopyResult:
        """Write rows of another log verbatim, then its signed heads (`writing.copy_rows`)."""
        return writing.copy_rows(self, rows, signed_heads, batch_size=batch_size, check_signed_heads=check_signed_heads)

    def hash_at(self, seq: int) -> str | None:
        """The hash of the event at `seq` (the genesis hash at 0), None past the end of the log."""
        if seq == 0:
            return GENESIS_HASH
        for (hash_,) in self.row_values(RowQuery(columns=("hash",), after_seq=seq - 1, until_seq=seq)):
            return str(hash_)
        return None

    # -- signed heads ------------------------------------------------------------------------

    def record_signed_head(self, make: Callable[[int, str], SignedHead]) -> SignedHead:
        """Sign the current head with `make(seq, hash)` and keep the signature, under the write
        lock so the head cannot move in between. A head this key already signed is not signed twice."""
        self._check_writable()
        with self.write_transaction():
            seq, hash_ = self.head()
            signed = make(seq, hash_)
            for earlier in self.signed_heads():
                if (earlier.public_key, earlier.seq) == (signed.public_key, signed.seq):
                    return earlier
            self._insert_signed_head(signed)
        return signed

    # -- checking ----------------------------------------------------------------------------

    def hash_links(self, *, until_seq: int) -> Iterator[tuple[int, str, str]]:
        """(seq, prev_hash, hash) of the rows up to `until_seq`, in seq order: the chain's links alone."""
        return self.row_values(RowQuery(columns=("seq", "prev_hash", "hash"), until_seq=until_seq))

    def verified_head(self) -> tuple[int, str] | None:
        """Where `verify` last found the chain intact (an append continuing it extends it)."""
        if not self.has_table("verified_head"):  # an older store opened read-only
            return None
        rows = self._execute("SELECT seq, hash FROM verified_head WHERE id = 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def record_verified(self, seq: int, hash_: str) -> bool:
        """Remember the head of a chain `verify` found intact, for a later `verify --quick`; a best
        effort through a connection of its own (a read-only handle can record it), skipped when
        the store cannot be written or another writer holds it. Returns whether it was recorded."""
        if not self._can_record_verified() or not self.has_table("verified_head"):
            return False
        try:
            session = self.cache_session()
        except Exception:  # only a record for the next check: never fail the check
            return False
        try:
            if not session.begin_write():
                return False
            session.execute(_UPSERT_VERIFIED_HEAD, [seq, hash_])
            session.commit()
            return True
        except Exception:  # a database that refuses the write (permissions, read-only)
            session.rollback()
            return False
        finally:
            session.close()


_UPSERT_VERIFIED_HEAD = (
    "INSERT INTO verified_head (id, seq, hash) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
)


def retraction_filter(known_on: dt.date | None, up_to_seq: int | None) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters picking the retractions known by `known_on`, up to `up_to_seq`
    (portable SQL: both backends' `retractions` use it)."""
    where, params = f"kind = '{RETRACTION}'", list[Any]()
    if known_on is not None:
        where += " AND reported_on <= ?"
        params.append(known_on.isoformat())
    if up_to_seq is not None:
        where += " AND seq <= ?"
        params.append(up_to_seq)
    return where, params
