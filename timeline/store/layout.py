"""The log's layout on every backend: the columns of `events` and `signed_heads`, the genesis
hash, and the read-only view each kind gets. Each backend's own DDL and migrations live beside
its module (`sqlite_schema`, `postgres_schema`)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from events import registry

GENESIS_HASH = "0" * 64

EVENT_COLUMNS = {
    "seq": int,
    "event_id": str,
    "kind": str,
    "schema_version": int,
    "occurred_on": str,
    "reported_on": str,
    "source": str,
    "unverified": int,
    "note": str,
    "data": str,
    "recorded_at": str,
    "prev_hash": str,
    "hash": str,
}
# Columns added since version 1, with the value an older row reads as.
LATER_COLUMNS = {"date_precision": "day"}
SIGNED_HEAD_COLUMNS = ("seq", "hash", "signed_at", "public_key", "signature")
# The columns that hold a hash (SQLite stores them as 32-byte blobs since its schema 5).
HASH_COLUMNS = ("prev_hash", "hash")


def kind_view_name(kind: str) -> str:
    return "kind_" + kind.replace(".", "_")


def kind_view_sql(kind: str, envelope: str, extract: Callable[..., str]) -> str:
    """The CREATE VIEW of one kind, in either backend's SQL: `extract(*path)` reads a payload
    field (a Quantity's `value` and `bound` become two columns)."""
    columns = []
    for field in attrs.fields(registry.payload_class(kind)):
        if "Quantity" in str(field.type):
            columns.append(f"{extract(field.name, 'value')} AS {field.name}")
            columns.append(f"{extract(field.name, 'bound')} AS {field.name}_bound")
        else:
            columns.append(f"{extract(field.name)} AS {field.name}")
    name = kind_view_name(kind)
    return f"CREATE VIEW {name} AS SELECT {envelope}, {', '.join(columns)} FROM events WHERE kind = '{kind}'"
