"""The typed queries of the store's contract: which rows of the log to read, and in which order.

Callers above the store describe what they want (`RowQuery`); only the store turns it into SQL
(`where_clause`, in portable SQL with `?` placeholders; a backend supplies how it reads a payload
field and how it searches a payload's text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import attrs

from timeline.store.rows import COLUMNS

RETRACTION = "event.retracted"


@attrs.frozen
class PayloadField:
    """A top-level field of the event's payload (`data`), read as text, as a column of a query."""

    name: str = attrs.field()

    @name.validator
    def _identifier(self, _: object, value: str) -> None:
        if not value.isidentifier():
            raise ValueError(f"not a payload field name: {value!r}")


@attrs.frozen
class Mentions:
    """Rows whose data text contains one of `texts`, among the rows of the kinds `versions`
    names at the payload version it names; other rows are not narrowed (an older version's
    data may say things otherwise)."""

    versions: tuple[tuple[str, int], ...]  # (kind, current payload version)
    texts: tuple[str, ...]


Column = str | PayloadField


@attrs.frozen
class RowQuery:
    """Rows of the log: each field that is set narrows them. Days are ISO strings (YYYY-MM-DD)."""

    columns: tuple[Column, ...] = COLUMNS
    kinds: frozenset[str] | None = None
    after_seq: int | None = None
    until_seq: int | None = None
    occurred_after: str | None = None  # occurred_on > this
    occurred_from: str | None = None  # occurred_on >= this
    occurred_until: str | None = None  # occurred_on <= this
    # With `occurred_until`: retractions pass whatever day they occurred (they act on knowledge time).
    retractions_on_any_day: bool = False
    known_on: str | None = None  # reported_on <= this
    reported_after: str | None = None  # reported_on > this
    event_ids: tuple[str, ...] | None = None  # at most EVENT_ID_CHUNK of them
    payload_equals: tuple[tuple[str, str], ...] = ()  # (top-level payload field, its value as text)
    mentioning: Mentions | None = None
    order: Literal["seq", "fold"] = "seq"  # fold: (occurred_on, seq)


# SQLite binds at most 999 parameters in older builds: event ids are looked up in chunks of this.
EVENT_ID_CHUNK = 500


def where_clause(query: RowQuery, payload_sql: Callable[[str], str], contains_sql: str) -> tuple[str, list[Any], str]:
    """(WHERE condition or "", its parameters, ORDER BY) of a query, in portable SQL.
    `payload_sql(name)` reads a payload field; `contains_sql` is a condition with one parameter,
    true when `data` contains it."""
    clauses: list[str] = []
    params: list[Any] = []

    def where(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if query.kinds is not None:
        where(f"kind IN ({', '.join('?' * len(query.kinds))})" if query.kinds else "0 = 1", *sorted(query.kinds))
    if query.after_seq is not None:
        where("seq > ?", query.after_seq)
    if query.until_seq is not None:
        where("seq <= ?", query.until_seq)
    if query.occurred_after is not None:
        where("occurred_on > ?", query.occurred_after)
    if query.occurred_from is not None:
        where("occurred_on >= ?", query.occurred_from)
    if query.occurred_until is not None:
        if query.retractions_on_any_day:
            where(f"(occurred_on <= ? OR kind = '{RETRACTION}')", query.occurred_until)
        else:
            where("occurred_on <= ?", query.occurred_until)
    if query.known_on is not None:
        where("reported_on <= ?", query.known_on)
    if query.reported_after is not None:
        where("reported_on > ?", query.reported_after)
    if query.event_ids is not None:
        ids = query.event_ids
        where(f"event_id IN ({', '.join('?' * len(ids))})" if ids else "0 = 1", *ids)
    for name, value in query.payload_equals:
        where(f"{payload_sql(PayloadField(name).name)} = ?", value)
    mentioning = query.mentioning
    if mentioning is not None and mentioning.versions:
        # A row at one of these kinds and versions passes only if its data names one of the texts.
        searched = " OR ".join(["(kind = ? AND schema_version = ?)"] * len(mentioning.versions))
        found = " OR ".join([contains_sql] * len(mentioning.texts)) or "0 = 1"
        where(f"(NOT ({searched}) OR {found})", *(value for pair in mentioning.versions for value in pair))
        params.extend(mentioning.texts)
    order = "occurred_on, seq" if query.order == "fold" else "seq"
    return " AND ".join(clauses), params, order


def column_sql(column: Column, payload_sql: Callable[[str], str]) -> str | None:
    """The SQL of a payload field column; None for a column of the table (the backend spells it)."""
    return payload_sql(column.name) if isinstance(column, PayloadField) else None
