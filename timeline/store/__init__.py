"""The event log: one contract (`base.EventStore`), several backends.

`EventStore.open(target)` / `EventStore.create(target)` take an SQLite file path or a
`postgresql://` URL and return the backend's store; the PostgreSQL backend (psycopg) is imported
only when a URL asks for it.
"""

from timeline.store.base import (
    BATCH_SIZE,
    GENESIS_HASH,
    AppendResult,
    CopyResult,
    EventStore,
    is_postgres_url,
    safe_label,
)
from timeline.store.sqlite import BUSY_TIMEOUT_S, SQLiteEventStore

__all__ = [
    "BATCH_SIZE",
    "BUSY_TIMEOUT_S",
    "GENESIS_HASH",
    "AppendResult",
    "CopyResult",
    "EventStore",
    "SQLiteEventStore",
    "is_postgres_url",
    "safe_label",
]
