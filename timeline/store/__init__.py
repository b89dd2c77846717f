"""The event log: one contract (`base.EventStore`), several backends, and the factory that picks one.

`open_store(target)` / `create_store(target)` take an SQLite file path or a `postgresql://` URL
and return the backend's store; `memory_store()` is an SQLite log in memory. The PostgreSQL
backend (psycopg) is imported only when a URL asks for it.
"""

from __future__ import annotations

import os

from timeline.store.base import BATCH_SIZE, GENESIS_HASH, EventStore, WriteHook
from timeline.store.query import Mentions, PayloadField, RowQuery
from timeline.store.results import AppendResult, CopyResult, Write
from timeline.store.row_map import LoggedRow, RowMap, SeenRow, StoredContent
from timeline.store.signed import SignedHead
from timeline.store.sqlite import BUSY_TIMEOUT_S, SQLiteEventStore
from timeline.store.targets import is_postgres_url, safe_label

__all__ = [
    "BATCH_SIZE",
    "BUSY_TIMEOUT_S",
    "GENESIS_HASH",
    "AppendResult",
    "CopyResult",
    "EventStore",
    "LoggedRow",
    "Mentions",
    "PayloadField",
    "RowMap",
    "RowQuery",
    "SQLiteEventStore",
    "SeenRow",
    "SignedHead",
    "StoredContent",
    "Write",
    "WriteHook",
    "create_store",
    "is_postgres_url",
    "memory_store",
    "open_store",
    "safe_label",
]


def _backend(target: str | os.PathLike[str]) -> type[EventStore]:
    if is_postgres_url(target):
        from timeline.store.postgres import PostgresEventStore  # psycopg is imported only for a URL

        return PostgresEventStore
    return SQLiteEventStore


def create_store(target: str | os.PathLike[str]) -> EventStore:
    """Create a new log at `target`; an existing timeline is opened as it is."""
    return _backend(target).create(target)


def open_store(target: str | os.PathLike[str], *, writable: bool = True) -> EventStore:
    """The log at `target` (a file path or a `postgresql://` URL)."""
    return _backend(target).open(target, writable=writable)


def memory_store(label: str = ":memory:") -> EventStore:
    """An empty SQLite log that lives in memory (a bundled dataset, a check of an export)."""
    return SQLiteEventStore.in_memory(label)
