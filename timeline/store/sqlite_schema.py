"""The store's SQLite schema, its version (`PRAGMA user_version`) and the migrations between versions.

Version 1: the event log (`events`, `log_head`, append-only triggers, one view per kind).
Version 2: checkpoints (`checkpoints`, `checkpoint_facts`), an index on `reported_on` for
knowledge-time queries, and `(kind, occurred_on)` in place of the index on `kind` alone, so
"the first border crossing" is an index lookup.

Version 3: `date_precision` (day / week / month) on every event, 'day' for the events before it.

Version 4: `signed_heads`, the Ed25519 signatures of log positions (`timeline sign`), append-only
like the log itself.

Version 5: the hashes stored as 32-byte blobs (read back as hex), no index on `reported_on`;
checkpoints kept up to date by the writes themselves: one per day with events, each
with the knowledge day from which it is exact for `known_on` queries; fact keys and compressed
fact values in tables of their own, referenced by integer ids; `checkpoint_head`, the log
position the checkpoints were last brought up to; `verified_head`, where `verify` last found the
chain intact (so the next `verify` starts there). The version 2 checkpoint tables are a cache and
are dropped; the write that upgrades the store rebuilds the checkpoints in its own transaction.

Version 6: a checkpoint's facts as versions (`checkpoint_versions`: a key's value from the day it
changed), not as the full list of every fact on every day: a log of 3,000 places over two years
held 2.4 million fact rows for 80,000 changes. A fact value may be stored as its difference from
an earlier value of its key (`checkpoint_values.base_id`): 63 MB of values became 24. The
version 5 lists are a cache: dropped, and rebuilt by the write that upgrades the store.

Version 7: the stored state on both axes (`fact_versions`: each fact's versions over valid day
and knowledge day; `fact_events`: which events touch which fact; `event_counts`; `fact_keys` and
`fact_values` in place of the checkpoint keys and values; `knowledge_head`; an index on
`reported_on` again, for `learned`), in place of the checkpoints, which were exact for early
knowledge days only by refolding. The PostgreSQL store's schema has the same number from this
version on: the two are one story (see `postgres_schema`). The checkpoint tables are a cache:
dropped, and the state rebuilt by the write that upgrades the store.

Version 8: `row_cells`, a digest of the cells each living-dataset row was read from, by the event
it became, so a re-import passes over a row it has read before without building its event again.
Derived, like the stored state: a row it does not name is read in full.

Version 9: the index of `fact_versions` by valid day holds every column a walk over days reads
(valid day, key, knowledge days, value), so the walk reads the index alone: each row it gave led
to a lookup in the table, 12 of the 20 seconds of `days` on a million-row ACLED log.

Version 10: `fact_values_unused`, the values writes stopped using, swept together once they are
many (`FactTables.collect_garbage`): a sweep reads the versions and the values whole, 2.3 s of a
5.8 s append of one late report to a million-row ACLED log when each write swept its own.

A migration runs inside the caller's write transaction: a store is upgraded whole or not at all.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from events import registry
from timeline.store.layout import (
    EVENT_COLUMNS,
    GENESIS_HASH,
    HASH_COLUMNS,
    LATER_COLUMNS,
    kind_view_name,
    kind_view_sql,
)

if TYPE_CHECKING:
    import sqlite_utils

CURRENT_VERSION = 10

APPEND_ONLY_TRIGGERS = {
    "events_refuse_update": "UPDATE",
    "events_refuse_delete": "DELETE",
}
SIGNED_HEADS_TRIGGERS = {
    "signed_heads_refuse_update": "UPDATE",
    "signed_heads_refuse_delete": "DELETE",
}


def guards(version: int) -> dict[str, tuple[str, str]]:
    """The append-only triggers a store of `version` has: name -> (table, action)."""
    found = {name: ("events", action) for name, action in APPEND_ONLY_TRIGGERS.items()}
    if version >= 4:
        found.update({name: ("signed_heads", action) for name, action in SIGNED_HEADS_TRIGGERS.items()})
    return found


def refuses(sql: str | None, name: str, table: str, action: str) -> bool:
    """Whether a trigger's CREATE statement refuses every `action` on `table`: a BEFORE trigger
    with no WHEN clause and no column list, whose only step aborts. Its message may be any text
    (it has changed between versions); anything else in it could let an edit through."""
    if sql is None:
        return False
    pattern = (
        rf"CREATE\s+TRIGGER\s+[\"`\[]?{name}[\"`\]]?\s+BEFORE\s+{action}\s+ON\s+[\"`\[]?{table}[\"`\]]?\s+"
        r"(?:FOR\s+EACH\s+ROW\s+)?BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'(?:[^']|'')*'\s*\)\s*;\s*END"
    )
    return re.fullmatch(pattern, sql.strip(), flags=re.IGNORECASE) is not None


def version_of(db: sqlite3.Connection | sqlite_utils.Database) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def columns_of(db: sqlite3.Connection | sqlite_utils.Database, table: str) -> set[str]:
    """The columns of `table` (none if there is no such table)."""
    return {row[0] for row in db.execute("SELECT name FROM pragma_table_info(?)", [table])}


def has_event_log(db: sqlite3.Connection) -> bool:
    """The tables and columns every version has: another program's `events` table is not a log."""
    events, log_head = columns_of(db, "events"), columns_of(db, "log_head")
    return bool(events) and set(EVENT_COLUMNS) <= events and {"id", "seq", "hash"} <= log_head


def create_version_1(db: sqlite_utils.Database) -> None:
    events = db.table("events")
    events.create(EVENT_COLUMNS, pk="seq", not_null=set(EVENT_COLUMNS) - {"note"})
    events.create_index(["event_id"], unique=True)
    events.create_index(["occurred_on", "seq"])
    events.create_index(["kind"])
    db.table("log_head").create({"id": int, "seq": int, "hash": str}, pk="id", not_null={"seq", "hash"})
    db.table("log_head").insert({"id": 1, "seq": 0, "hash": GENESIS_HASH})
    _refuse_edits(db, "events", APPEND_ONLY_TRIGGERS, "the events of the log")
    create_kind_views(db)
    db.execute("PRAGMA user_version = 1")


def _version_2(db: sqlite_utils.Database) -> None:
    db.table("checkpoints").create(
        {"id": int, "as_of": str, "log_seq": int, "events_applied": int, "created_at": str},
        pk="id",
        not_null={"as_of", "log_seq", "events_applied", "created_at"},
    )
    db.table("checkpoints").create_index(["as_of"], unique=True)
    # Fact values are stored once by content: from one day to the next most facts do not change.
    db.table("checkpoint_values").create(
        {"id": int, "digest": str, "type": str, "value": str}, pk="id", not_null={"digest", "type", "value"}
    )
    db.table("checkpoint_values").create_index(["digest"], unique=True)
    db.table("checkpoint_facts").create(
        {"checkpoint_id": int, "projector": str, "key": str, "value_id": int},
        pk=("checkpoint_id", "projector", "key"),
        not_null={"checkpoint_id", "projector", "key", "value_id"},
    )
    db.table("checkpoint_facts").create_index(["value_id"])
    db.execute("DROP INDEX IF EXISTS idx_events_kind")
    db.table("events").create_index(["kind", "occurred_on"])
    db.table("events").create_index(["reported_on"])


def _version_3(db: sqlite_utils.Database) -> None:
    # ADD COLUMN with a default rewrites no row, so the append-only triggers are not involved.
    db.execute("ALTER TABLE events ADD COLUMN date_precision TEXT NOT NULL DEFAULT 'day'")
    for name in db.view_names():
        if name.startswith("kind_"):
            db.execute(f"DROP VIEW {name}")
    create_kind_views(db)


def _version_4(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE signed_heads (seq INTEGER NOT NULL, hash TEXT NOT NULL, signed_at TEXT NOT NULL, "
        "public_key TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (public_key, seq))"
    )
    _refuse_edits(db, "signed_heads", SIGNED_HEADS_TRIGGERS, "the signed heads")


def _refuse_edits(db: sqlite_utils.Database, table: str, triggers: dict[str, str], what: str) -> None:
    for name, action in triggers.items():
        db.execute(
            f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{what} are append-only: {action} refused'); END"
        )


# Version 5's events table: the two hashes as 32-byte blobs rather than 64 hex characters (a
# fifth of a row), and no index on reported_on (nothing reads by it alone).
EVENTS_V5 = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    reported_on TEXT NOT NULL,
    source TEXT NOT NULL,
    unverified INTEGER NOT NULL,
    note TEXT,
    data TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    date_precision TEXT NOT NULL DEFAULT 'day'
)"""
COPY_BATCH = 10_000


def _rebuild_events_with_blob_hashes(db: sqlite_utils.Database) -> None:
    """Copy the log into the version 5 table. Dropping a table fires no trigger and rewrites no
    row's content: every hash stays what it was, now stored as bytes."""
    for name in db.view_names():
        if name.startswith("kind_"):
            db.execute(f"DROP VIEW {name}")  # they name the table; recreated below
    db.execute("ALTER TABLE events RENAME TO events_v3")
    db.execute(EVENTS_V5)
    names = (*EVENT_COLUMNS, *LATER_COLUMNS)
    positions = [names.index(name) for name in HASH_COLUMNS]
    cursor = db.conn.execute(f"SELECT {', '.join(names)} FROM events_v3 ORDER BY seq")
    insert = f"INSERT INTO events ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    while batch := cursor.fetchmany(COPY_BATCH):
        rows = [list(row) for row in batch]
        for row in rows:
            for position in positions:
                row[position] = bytes.fromhex(row[position])
        db.conn.executemany(insert, rows)
    db.execute("DROP TABLE events_v3")
    db.execute("CREATE UNIQUE INDEX idx_events_event_id ON events (event_id)")
    db.execute("CREATE INDEX idx_events_occurred_on_seq ON events (occurred_on, seq)")
    db.execute("CREATE INDEX idx_events_kind_occurred_on ON events (kind, occurred_on)")
    _refuse_edits(db, "events", APPEND_ONLY_TRIGGERS, "the events of the log")
    create_kind_views(db)


def _version_5(db: sqlite_utils.Database) -> None:
    _rebuild_events_with_blob_hashes(db)
    for table in ("checkpoint_facts", "checkpoints", "checkpoint_values"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    # Plain tables and integer keys, so the same layout serves PostgreSQL (BLOB is bytea there).
    db.execute(
        "CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, as_of TEXT NOT NULL UNIQUE, "
        "events_applied INTEGER NOT NULL, knowledge_day TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE checkpoint_keys (id INTEGER PRIMARY KEY, projector TEXT NOT NULL, key TEXT NOT NULL, "
        "UNIQUE (projector, key))"
    )
    db.execute(
        "CREATE TABLE checkpoint_values (id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, "
        "type TEXT NOT NULL, value BLOB NOT NULL)"
    )
    db.execute(
        "CREATE TABLE checkpoint_facts (checkpoint_id INTEGER NOT NULL, key_id INTEGER NOT NULL, "
        "value_id INTEGER NOT NULL, PRIMARY KEY (checkpoint_id, key_id))"
    )
    db.execute("CREATE TABLE checkpoint_head (id INTEGER PRIMARY KEY, log_seq INTEGER NOT NULL)")
    db.execute("INSERT INTO checkpoint_head (id, log_seq) VALUES (1, -1)")  # -1: never brought up to date
    db.execute("CREATE TABLE verified_head (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL)")


def _version_6(db: sqlite_utils.Database) -> None:
    for table in ("checkpoint_facts", "checkpoint_values"):
        db.execute(f"DROP TABLE {table}")
    db.execute("DELETE FROM checkpoints")
    # A value is stored whole, or as its difference from a whole value of the same key (`base_id`).
    db.execute(
        "CREATE TABLE checkpoint_values (id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, "
        "type TEXT NOT NULL, value BLOB NOT NULL, base_id INTEGER)"
    )
    db.execute(CHECKPOINT_VERSIONS)
    db.execute("CREATE INDEX idx_checkpoint_versions_as_of ON checkpoint_versions (as_of)")
    db.execute("UPDATE checkpoint_head SET log_seq = -1 WHERE id = 1")  # rebuilt by this write


# A key's value from the day `as_of` on (NULL: the fact is gone); the table is its primary key.
CHECKPOINT_VERSIONS = (
    "CREATE TABLE checkpoint_versions (key_id INTEGER NOT NULL, as_of TEXT NOT NULL, value_id INTEGER, "
    "PRIMARY KEY (key_id, as_of)) WITHOUT ROWID"
)


# The stored state on both axes (timeline.store.fact_tables), on SQLite.
FACT_TABLES = [
    "CREATE TABLE fact_keys (id INTEGER PRIMARY KEY, projector TEXT NOT NULL, key TEXT NOT NULL, "
    "UNIQUE (projector, key))",
    "CREATE TABLE fact_values (id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, type TEXT NOT NULL, "
    "value BLOB NOT NULL, base_id INTEGER, depth INTEGER NOT NULL)",
    "CREATE TABLE fact_versions (key_id INTEGER NOT NULL, valid_from TEXT NOT NULL, known_from TEXT NOT NULL, "
    "known_to TEXT NOT NULL, value_id INTEGER, PRIMARY KEY (key_id, valid_from, known_from)) WITHOUT ROWID",
    "CREATE INDEX idx_fact_versions_valid_from ON fact_versions (valid_from)",
    "CREATE TABLE fact_events (key_id INTEGER NOT NULL, occurred_on TEXT NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY (key_id, occurred_on, seq)) WITHOUT ROWID",
    "CREATE TABLE event_counts (occurred_on TEXT NOT NULL, known_from TEXT NOT NULL, events INTEGER NOT NULL, "
    "PRIMARY KEY (occurred_on, known_from)) WITHOUT ROWID",
    "CREATE TABLE knowledge_head (id INTEGER PRIMARY KEY, log_seq INTEGER NOT NULL)",
    "INSERT INTO knowledge_head (id, log_seq) VALUES (1, -1)",  # -1: never brought up to date
]


def _version_7(db: sqlite_utils.Database) -> None:
    for table in ("checkpoint_versions", "checkpoints", "checkpoint_values", "checkpoint_keys", "checkpoint_head"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in FACT_TABLES:
        db.execute(statement)
    # What became known between two days (`timeline learned`) reads by report day.
    db.execute("CREATE INDEX IF NOT EXISTS idx_events_reported_on ON events (reported_on)")


# The cells' digest of each living-dataset row, by the event it became (timeline.store.row_map).
ROW_CELLS = "CREATE TABLE row_cells (event_id TEXT PRIMARY KEY, cells BLOB NOT NULL) WITHOUT ROWID"


def _version_8(db: sqlite_utils.Database) -> None:
    db.execute(ROW_CELLS)


def _version_9(db: sqlite_utils.Database) -> None:
    db.execute("DROP INDEX IF EXISTS idx_fact_versions_valid_from")
    db.execute(
        "CREATE INDEX idx_fact_versions_valid_from ON fact_versions (valid_from, key_id, known_from, known_to, value_id)"
    )


def _version_10(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE fact_values_unused (id INTEGER PRIMARY KEY)")


# version reached -> the step that reaches it from the one before
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    2: _version_2,
    3: _version_3,
    4: _version_4,
    5: _version_5,
    6: _version_6,
    7: _version_7,
    8: _version_8,
    9: _version_9,
    10: _version_10,
}


def create(db: sqlite_utils.Database) -> None:
    """A new store at the current version (call inside a write transaction)."""
    create_version_1(db)
    migrate(db)


def migrate(db: sqlite_utils.Database) -> int:
    """Upgrade in place to the current version (call inside a write transaction); returns the old version."""
    found = version_of(db)
    for version in range(found + 1, CURRENT_VERSION + 1):
        MIGRATIONS[version](db)
        db.execute(f"PRAGMA user_version = {version}")
    return found


def create_kind_views(db: sqlite3.Connection | sqlite_utils.Database) -> None:
    """One read-only view per kind (`kind_territory_claimed`, ...) with the payload fields as columns.

    Creates only the missing ones, after one look at the schema: every append calls this so
    that a kind added since the store was made gets its view (in plain SQL on the connection, so
    an append need not import sqlite-utils).
    """
    existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    envelope = "seq, event_id, occurred_on, reported_on, source, unverified, note"
    if "date_precision" in columns_of(db, "events"):
        envelope += ", date_precision"
    for kind in registry.kind_names():
        if kind_view_name(kind) not in existing:
            db.execute(kind_view_sql(kind, envelope, lambda *path: f"json_extract(data, '$.{'.'.join(path)}')"))
