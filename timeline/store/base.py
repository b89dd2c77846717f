"""What every event store promises, written once; a backend supplies only its SQL and its locking.

The log is a table `events` (one row per event: `timeline.rows` lays it out and hashes it) and
a one-row table `log_head` holding the last seq and hash. `EventStore` holds everything that does
not depend on the database: the append algorithm (idempotency, conflicts, retraction targets, the
hash chain, all or nothing), reading by kind and day, copying rows verbatim from another store,
signed heads, `verify` (full, or incremental from the verified head), and the upkeep of the
checkpoints inside every write's transaction (`timeline.checkpoints.refresh`). A backend
implements the abstract methods below: how to read rows, insert them, move the head, hold the
one write lock, and which guards make its database refuse UPDATE and DELETE. SQL written here
uses `?` placeholders and portable SQL only.

`tests/store_contract.py` is the same promise as a test class, run against every backend.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import itertools
import os
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from events.codec import CheckedRecord, event_to_record
from events.envelope import Event, RecordedEvent
from timeline.errors import BadEvent, ChainBroken, ConflictError, ReadOnlyTimeline
from timeline.signing import SignedHead
from timeline.store import schema
from timeline.store.checkpoint_tables import CheckpointStore
from timeline.store.rows import COLUMNS, REPLAY_COLUMNS, decode_row, decode_values, record_to_row, row_hash

GENESIS_HASH = schema.GENESIS_HASH
RETRACTION = "event.retracted"
BATCH_SIZE = 2_000
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# How often a follower of a store without notifications looks for new events.
POLL_INTERVAL_S = 0.25


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def safe_label(target: str | os.PathLike[str]) -> str:
    """A store's name for messages: a URL without its password."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    parts = urllib.parse.urlsplit(text)
    if parts.password is None:
        return text
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


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


@attrs.frozen
class Mentions:
    """Rows whose data text contains one of `texts`, among the rows of the kinds `versions`
    names at the payload version it names; other rows are not narrowed (an older version's
    data may say things otherwise)."""

    versions: tuple[tuple[str, int], ...]  # (kind, current payload version)
    texts: tuple[str, ...]


@attrs.frozen
class Suspect:
    """A row the fast chain scan could not vouch for, with the row before it in seq order as the
    scan saw it (None for the first row of a scanned range: the caller knows that one)."""

    seq: int
    before_seq: int | None
    before_hash: str | None


@attrs.frozen
class ChainSegment:
    """What a scan of the rows with after_seq < seq <= until_seq found: how many rows, the first
    row's seq and prev_hash and the last row's seq and hash (to link it to the ranges beside it),
    and the rows whose content or link did not hold (the first SUSPECT_LIMIT, and how many)."""

    after_seq: int
    until_seq: int
    rows: int
    first: tuple[int, str] | None  # (seq, prev_hash)
    last: tuple[int, str] | None  # (seq, hash)
    suspects: tuple[Suspect, ...]
    suspects_total: int


SUSPECT_LIMIT = 100


def _hex(value: Any) -> str:
    """A hash as the store reads it: bytes as lowercase hex, text as it is."""
    return value.hex() if isinstance(value, bytes) else str(value)


def segment_of(after_seq: int, until_seq: int, rows: Iterable[tuple[int, Any, Any, bool]]) -> ChainSegment:
    """A ChainSegment from (seq, prev_hash, hash, content matches) rows in seq order: a row is a
    suspect when its content does not match its hash, or it does not follow the row before."""
    suspects: list[Suspect] = []
    total = count = 0
    first: tuple[int, str] | None = None
    before_seq: int | None = None
    before_hash: Any = None
    for seq, prev_hash, hash_, content_ok in rows:
        if before_seq is None:
            first = (seq, _hex(prev_hash))
            if not content_ok:
                total += 1
                suspects.append(Suspect(seq, None, None))
        elif not content_ok or seq != before_seq + 1 or prev_hash != before_hash:
            total += 1
            if len(suspects) < SUSPECT_LIMIT:
                suspects.append(Suspect(seq, before_seq, _hex(before_hash)))
        before_seq, before_hash = seq, hash_
        count += 1
    last = None if before_seq is None else (before_seq, _hex(before_hash))
    return ChainSegment(after_seq, until_seq, count, first, last, tuple(suspects), total)


def scan_failed(store: EventStore, after_seq: int, until_seq: int, problem: Exception) -> ChainSegment:
    """The reference scan, row by row in Python, for a range the fast scan could not read (a
    value edited into a type the database cannot spell as JSON): slow, and only on an edited log."""

    def judged() -> Iterator[tuple[int, Any, Any, bool]]:
        for row in store.rows_for_check(after_seq, until_seq):
            yield row["seq"], row["prev_hash"], row["hash"], content_matches(row)

    return segment_of(after_seq, until_seq, judged())


def content_matches(row: dict[str, Any]) -> bool:
    """Whether a row's content matches its hash, by the reference spelling (`rows.row_hash`); a
    row that cannot be spelled at all (a value edited into bytes, or text that is not UTF-8) does not."""
    try:
        return bool(row_hash(row) == row["hash"])
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False


@attrs.frozen
class CopyResult:
    copied: int  # events written to the target
    already_there: int  # events the target already held (a copy resumed)
    signed_heads: int  # signed heads written to the target
    head: int
    head_hash: str


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
    """The log. `EventStore.open(target)` and `EventStore.create(target)` take a file path (SQLite)
    or a `postgresql://` URL; `EventStore.in_memory()` is an SQLite log that lives in memory."""

    label: str
    writable: bool
    path: Path | None = None  # the database file, for a store that is one (exports refuse to overwrite it)
    _checkpoint_tables: CheckpointStore | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, target: str | os.PathLike[str]) -> EventStore:
        """Create a new log at `target`; an existing timeline is opened as it is."""
        return _backend(target).create(target)

    @classmethod
    def open(cls, target: str | os.PathLike[str], *, writable: bool = True) -> EventStore:
        return _backend(target).open(target, writable=writable)

    @classmethod
    def in_memory(cls, label: str = ":memory:") -> EventStore:
        from timeline.store.sqlite import SQLiteEventStore

        return SQLiteEventStore.in_memory(label)

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
    def row_values(
        self, where: str = "", params: Iterable[Any] = (), order: str = "seq", columns: tuple[str, ...] = COLUMNS
    ) -> Iterator[tuple[Any, ...]]:
        """Stream rows of `events` as tuples of `columns`; `where` is portable SQL with `?` placeholders."""

    @abc.abstractmethod
    def retractions(
        self, *, known_on: dt.date | None = None, up_to_seq: int | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """(event_id, target_event_id, reported_on) of the retractions, newest first."""

    # A condition true when the row's `data` text contains the (one) parameter.
    contains_sql = "instr(data, ?) > 0"

    @abc.abstractmethod
    def payload_field(self, name: str) -> str:
        """SQL that reads the top-level field `name` of an event's payload (`data`), for `row_values`."""

    @abc.abstractmethod
    def bounds(self) -> tuple[str | None, str | None, str | None, str | None]:
        """(first occurred_on, last occurred_on, last reported_on, first border crossing)."""

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
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement (portable SQL, `?` placeholders) on the store's own connection;
        inside `write_transaction` it may write."""

    @abc.abstractmethod
    def query_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement (portable SQL) for each of `rows`, on the store's own connection."""

    @abc.abstractmethod
    def has_table(self, name: str) -> bool: ...

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
    def checkpoint_tables(self) -> CheckpointStore:
        """The checkpoint tables, written only inside this store's write transactions."""
        if self._checkpoint_tables is None:
            self._checkpoint_tables = CheckpointStore(self)
        return self._checkpoint_tables

    def rows(self, where: str = "", params: Iterable[Any] = (), order: str = "seq") -> Iterator[dict[str, Any]]:
        """Stream rows as dicts; nothing is held in memory beyond the cursor's page."""
        for values in self.row_values(where, params, order):
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
        clauses: list[str] = []
        params: list[Any] = []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if occurred_from is not None:
            clauses.append("occurred_on >= ?")
            params.append(occurred_from.isoformat())
        if occurred_to is not None:
            clauses.append("occurred_on <= ?")
            params.append(occurred_to.isoformat())
        if after_seq is not None:
            clauses.append("seq > ?")
            params.append(after_seq)
        if until_seq is not None:
            clauses.append("seq <= ?")
            params.append(until_seq)
        for values in self.row_values(" AND ".join(clauses), params):
            # Rows were validated on the way in and are covered by the hash chain (verify re-checks).
            yield decode_values(values, trusted=True)

    def lookup(self, where: str, params: Sequence[Any], columns: tuple[str, ...] = COLUMNS) -> list[tuple[Any, ...]]:
        """The few rows of a lookup by key, at once (a backend may skip the streaming cursor)."""
        return list(self.row_values(where, params, columns=columns))

    def has_event(self, event_id: str) -> bool:
        return bool(self.lookup("event_id = ?", [event_id], columns=("seq",)))

    def get(self, event_id: str) -> RecordedEvent | None:
        for values in self.lookup("event_id = ?", [event_id]):
            return decode_row(dict(zip(COLUMNS, values, strict=True)))
        return None

    def rows_in_fold_order(
        self,
        *,
        until: dt.date | str,
        after: dt.date | str | None = None,
        known_on: dt.date | None = None,
        columns: tuple[str, ...] = REPLAY_COLUMNS,
        kinds: Collection[str] | None = None,
        mentioning: Mentions | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Rows with after < occurred_on <= until and reported_on <= known_on (and of `kinds`, and
        `mentioning`, if given), in fold order (occurred_on, seq), streamed."""
        if known_on is not None and known_on.isoformat() < str(until):
            until = known_on  # nothing reported by then occurred later: read no further
        clauses = ["occurred_on <= ?"]
        params: list[Any] = [str(until)]
        if after is not None:
            clauses.append("occurred_on > ?")
            params.append(str(after))
        if known_on is not None:
            clauses.append("reported_on <= ?")
            params.append(known_on.isoformat())
        if kinds is not None:
            clauses.append(f"kind IN ({', '.join('?' * len(kinds))})" if kinds else "0 = 1")
            params.extend(sorted(kinds))
        if mentioning is not None and mentioning.versions:
            # A row at one of these kinds and versions passes only if its data names one of the texts.
            searched = " OR ".join(["(kind = ? AND schema_version = ?)"] * len(mentioning.versions))
            found = " OR ".join([self.contains_sql] * len(mentioning.texts)) or "0 = 1"
            clauses.append(f"(NOT ({searched}) OR {found})")
            params.extend([*(value for pair in mentioning.versions for value in pair), *mentioning.texts])
        return self.row_values(" AND ".join(clauses), params, order="occurred_on, seq", columns=columns)

    def lookup_ids(self, event_ids: Iterable[str], columns: tuple[str, ...] = COLUMNS) -> list[tuple[Any, ...]]:
        """The rows (as `columns`) of those ids in the log, in no particular order."""
        ids, rows = list(event_ids), []
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows += self.lookup(f"event_id IN ({', '.join('?' * len(chunk))})", chunk, columns=columns)
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
        where, params = "occurred_on > ? AND occurred_on <= ?", [after.isoformat(), until.isoformat()]
        if known_on is not None:
            where += " AND reported_on <= ?"
            params.append(known_on.isoformat())
        if among is None:
            return int(self.query(f"SELECT count(*) FROM events WHERE {where}", params)[0][0])
        ids, total = list(among), 0
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            sql = f"SELECT count(*) FROM events WHERE {where} AND event_id IN ({', '.join('?' * len(chunk))})"
            total += int(self.query(sql, [*params, *chunk])[0][0])
        return total

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
        """Append events in one transaction: all of them, or (on any error) none.

        `items` are events (or CheckedRecords, from the fast parser), or (event, where) pairs whose `where` ("file:line") names the
        input in errors. With `expected_head`, the append fails with ConflictError unless the
        log's last seq is still that value (optimistic concurrency). An event whose id is
        already logged with identical content is skipped; with other content it is a conflict.
        `on_batch(n)` is called after each batch is written (progress). With `keep_events=False`
        the result holds counts only, so a million-line import does not hold a million events.
        `recorded_at` replaces the wall-clock time (a bundled dataset keeps one, so its hashes are stable).
        """
        self._check_writable()
        appended: list[RecordedEvent] = []
        unchanged = count = 0
        first_seq: int | None = None
        earliest_day: str | None = None
        retracted: list[str] = []
        with self.write_transaction():
            seq, prev_hash = self.head()
            head_before, hash_before = seq, prev_hash
            if expected_head is not None and expected_head != seq:
                raise ConflictError(
                    f"{self.label}: expected the log to end at seq {expected_head}, but it ends at seq {seq} "
                    "(another writer appended first; re-read and retry)"
                )
            self._before_append()
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
                    # The checkpoint refresh finds the days a retraction changes (timeline.checkpoints).
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
                if rows:
                    self._insert_rows(rows)
                    self._set_head(seq, prev_hash)
                if on_batch is not None:
                    on_batch(len(batch))
            if earliest_day is not None:
                self._after_write(earliest_day, head_before, hash_before, retracted)
        return AppendResult(tuple(appended), unchanged, seq, count, first_seq)

    def _after_write(self, earliest_day: str, head_before: int, hash_before: str, retracted: list[str]) -> None:
        """Inside a write's transaction, after its rows: the checkpoints are brought up to date,
        so no reader ever sees the log and its checkpoints disagree, and a chain `verify` found
        intact up to the write's start is extended to its end."""
        from timeline.checkpoints import refresh  # the maintenance folds projectors: imported when needed

        refresh(self, earliest_day, head_before=head_before, retractions=retracted)
        self._extend_verified_head(head_before, hash_before, *self.head())

    def _extend_verified_head(self, head_before: int, hash_before: str, head: int, hash_: str) -> None:
        """An append that continues a chain `verify` found intact up to its start extends that
        head to its own end: it wrote and validated every row in between, in this transaction.
        A chain never checked stays unchecked until `verify` runs."""
        if self.verified_head() == (head_before, hash_before):
            self.query(_UPSERT_VERIFIED_HEAD, [head, hash_])

    def _check_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyTimeline(f"{self.label}: opened read-only")

    def _existing_records(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored records (as the current schema version) of those ids already logged."""
        found: dict[str, dict[str, Any]] = {}
        for values in self.lookup_ids(event_ids):
            row = dict(zip(COLUMNS, values, strict=True))
            found[row["event_id"]] = event_to_record(decode_row(row).event)
        return found

    def _check_retraction_target(self, event_id: str, target: str, known: dict[str, Any], where: str | None) -> None:
        if target == event_id:
            raise BadEvent("an event cannot retract itself", where=where, field="data.target_event_id")
        if target not in known and self.get(target) is None:
            raise BadEvent(f"no event {target!r} in the log to retract", where=where, field="data.target_event_id")

    def append_rows(
        self,
        rows: Iterable[tuple[dict[str, Any], str | None]],
        signed_heads: Iterable[SignedHead] = (),
        *,
        batch_size: int = BATCH_SIZE,
        check_signed_heads: bool = True,
    ) -> CopyResult:
        """Write rows of another log verbatim (seq, recorded_at, hashes and all), then its signed heads.

        The rows must continue this log's chain: each one's seq follows, its prev_hash is this
        log's head hash and its hash is its content's. Rows this log already holds (same seq, same
        hash) are skipped, so a copy can be resumed; anything else is refused and nothing is
        written. `rows` are (row, where) pairs; `where` names the input in errors. A signed head
        is kept only if this log holds, at its seq, the hash it signs (unless `check_signed_heads`
        is False: a copy being verified keeps them all, for `verify --trust` to judge).
        """
        self._check_writable()
        copied = already = signed_count = 0
        earliest_day: str | None = None
        retracted: list[str] = []
        with self.write_transaction():
            head, head_hash = self.head()
            head_before, hash_before = head, head_hash
            self._before_append()
            pending = iter(rows)
            while batch := list(itertools.islice(pending, batch_size)):
                fresh = []
                for row, where in batch:
                    seq = row["seq"]
                    if seq <= head:
                        if self.hash_at(seq) != row["hash"]:
                            raise ConflictError(
                                _where(where) + f"seq {seq} differs from {self.label}'s seq {seq}: "
                                "the target holds another log, not the beginning of this one"
                            )
                        already += 1
                        continue
                    if seq != head + 1:
                        raise ChainBroken(
                            f"expected seq {head + 1}, found seq {seq} (an event was removed or inserted)",
                            seq=head + 1,
                            where=where,
                            field="seq",
                        )
                    if row["prev_hash"] != head_hash:
                        raise ChainBroken(
                            "prev_hash does not match the previous event's hash",
                            seq=seq,
                            where=where,
                            field="prev_hash",
                        )
                    if row_hash(row) != row["hash"]:
                        raise ChainBroken(
                            "content does not match its hash (the event was edited)", seq=seq, where=where, field="hash"
                        )
                    decode_row(row)  # a row this version cannot read is refused here, not at the next query
                    if row["kind"] == RETRACTION:
                        retracted.append(row["event_id"])
                    day = row["occurred_on"]
                    earliest_day = day if earliest_day is None else min(earliest_day, day)
                    head, head_hash = seq, row["hash"]
                    fresh.append(row)
                if fresh:
                    self._insert_rows(fresh)
                    self._set_head(head, head_hash)
                    copied += len(fresh)
            existing = {(signed.public_key, signed.seq) for signed in self.signed_heads()}
            for signed in signed_heads:
                if (signed.public_key, signed.seq) in existing:
                    continue
                if check_signed_heads and (signed.seq > head or self.hash_at(signed.seq) != signed.hash):
                    raise ChainBroken(
                        f"the head signed at seq {signed.seq} is not a position of this log", seq=signed.seq
                    )
                self._insert_signed_head(signed)
                signed_count += 1
            if earliest_day is not None:
                self._after_write(earliest_day, head_before, hash_before, retracted)
        return CopyResult(copied, already, signed_count, head, head_hash)

    def hash_at(self, seq: int) -> str | None:
        """The hash of the event at `seq` (the genesis hash at 0), None past the end of the log."""
        if seq == 0:
            return GENESIS_HASH
        for (hash_,) in self.lookup("seq = ?", [seq], columns=("hash",)):
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
        return self.row_values("seq <= ?", [until_seq], columns=("seq", "prev_hash", "hash"))

    def verified_head(self) -> tuple[int, str] | None:
        """Where `verify` last found the chain intact (an append continuing it extends it)."""
        if not self.has_table("verified_head"):  # an older store opened read-only
            return None
        rows = self.query("SELECT seq, hash FROM verified_head WHERE id = 1")
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


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""


def _backend(target: str | os.PathLike[str]) -> type[EventStore]:
    if is_postgres_url(target):
        from timeline.store.postgres import PostgresEventStore

        return PostgresEventStore
    from timeline.store.sqlite import SQLiteEventStore

    return SQLiteEventStore
