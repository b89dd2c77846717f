"""The checkpoint tables (SQLite schema 6, PostgreSQL schema 4), in portable SQL through the store.

`checkpoints` holds one row per day with events: the events a snapshot at the end of that day
folds (`events_applied`) and its `knowledge_day`, the day from which the checkpoint is exact for
a `known_on` query. Its facts are versions: `checkpoint_versions` holds a key's value from the
day it changed (NULL: gone), so a fact that stays the same for a year is one row, and the facts
at the end of a day are, for each key, its latest version on or before that day.
`checkpoint_keys` names each fact once, `checkpoint_values` stores each fact value once by
content: zlib-compressed JSON, or its difference from an earlier value of its key stored whole
(`base_id`, see `value_ids`). `checkpoint_head` is the log position the checkpoints were last
brought up to: the writes keep it equal to the log's head, and a reader trusts no checkpoint
when it is not.

Every statement goes through the store's own connection (`EventStore._execute`, `_execute_many`) with
`?` placeholders, `ON CONFLICT` and `RETURNING`, which SQLite and PostgreSQL both speak; values
and digests are bytes (BLOB on SQLite, bytea on PostgreSQL).
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import attrs


class SqlRunner(Protocol):
    """What the checkpoint tables need of a store: its own connection (`base.EventStore` is one)."""

    def has_table(self, name: str) -> bool: ...
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


@attrs.frozen
class Keyframe:
    """A value of one key stored whole, which the key's later values can be stored against."""

    value_id: int
    text: bytes


@attrs.frozen
class CheckpointRow:
    id: int
    as_of: str
    events_applied: int
    knowledge_day: str


class CheckpointStore:
    """The checkpoint tables of one store, on its own connection."""

    def __init__(self, store: SqlRunner):
        self.store = store
        self._key_ids: dict[tuple[str, str], int] = {}

    def available(self) -> bool:
        """False on a store older than the checkpoint tables opened read-only (never upgraded)."""
        # Looked at each time: an old store gains the tables with its first write, and loses them
        # again if that write is rolled back.
        return self.store.has_table("checkpoint_versions")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self.store._execute(sql, list(params))

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> int:
        return int(self._rows("SELECT log_seq FROM checkpoint_head WHERE id = 1")[0][0])

    def nearest(self, as_of: str, known_on: str | None = None) -> CheckpointRow | None:
        """The latest checkpoint on or before `as_of`, exact for knowledge `known_on` (None: everything)."""
        sql = "SELECT id, as_of, events_applied, knowledge_day FROM checkpoints WHERE as_of <= ?"
        params: list[Any] = [as_of]
        if known_on is not None:
            sql += " AND knowledge_day <= ?"
            params.append(known_on)
        rows = self._rows(sql + " ORDER BY as_of DESC LIMIT 1", params)
        return CheckpointRow(*rows[0]) if rows else None

    def before(self, as_of: str) -> CheckpointRow | None:
        """The latest checkpoint strictly before `as_of`."""
        rows = self._rows(
            "SELECT id, as_of, events_applied, knowledge_day FROM checkpoints WHERE as_of < ? "
            "ORDER BY as_of DESC LIMIT 1",
            [as_of],
        )
        return CheckpointRow(*rows[0]) if rows else None

    def between(self, after: str | None, until: str) -> list[CheckpointRow]:
        """The checkpoints with after < as_of <= until, by day."""
        rows = self._rows(
            "SELECT id, as_of, events_applied, knowledge_day FROM checkpoints WHERE as_of > ? AND as_of <= ? "
            "ORDER BY as_of",
            [after or "", until],
        )
        return [CheckpointRow(*row) for row in rows]

    def from_day(self, as_of: str) -> list[CheckpointRow]:
        """The checkpoints of `as_of` and later, by day."""
        rows = self._rows(
            "SELECT id, as_of, events_applied, knowledge_day FROM checkpoints WHERE as_of >= ? ORDER BY as_of",
            [as_of],
        )
        return [CheckpointRow(*row) for row in rows]

    def facts(self, as_of: str) -> Iterator[tuple[str, str, str, Callable[[], bytes], int]]:
        """(projector, key, type, a reader of its JSON, value id) of every fact at the end of `as_of`.
        The rows are read now; a value is decompressed only if its reader is called."""
        current = self.fact_ids(as_of)
        keys, texts = self.keys(), self._texts(set(current.values()))
        for key_id, value_id in current.items():
            projector, key = keys[key_id]
            yield projector, key, texts.type_of(value_id), functools.partial(texts.text, value_id), value_id

    def fact_ids(self, as_of: str) -> dict[int, int]:
        """key id -> value id of every fact at the end of `as_of` (nothing decoded): each key's
        latest version on or before that day, one index lookup per key."""
        rows = self._rows(
            "SELECT k.id, (SELECT v.value_id FROM checkpoint_versions v WHERE v.key_id = k.id AND v.as_of <= ? "
            "ORDER BY v.as_of DESC LIMIT 1) FROM checkpoint_keys k",
            [as_of],
        )
        return {int(key_id): int(value_id) for key_id, value_id in rows if value_id is not None}

    def changes(self, after: str, until: str) -> list[tuple[str, int, int | None]]:
        """(day, key id, value id or None for gone) of every version with after < day <= until, by day."""
        rows = self._rows(
            "SELECT as_of, key_id, value_id FROM checkpoint_versions WHERE as_of > ? AND as_of <= ? ORDER BY as_of",
            [after, until],
        )
        return [(str(day), int(key_id), None if value_id is None else int(value_id)) for day, key_id, value_id in rows]

    def keys(self) -> dict[int, tuple[str, str]]:
        """key id -> (projector, key) of every fact key."""
        return {
            int(key_id): (projector, key)
            for key_id, projector, key in self._rows("SELECT id, projector, key FROM checkpoint_keys")
        }

    def values(self, value_ids: Iterable[int]) -> dict[int, tuple[str, bytes]]:
        """value id -> (type, JSON); a value stored against its keyframe is read with it."""
        texts = self._texts(set(value_ids))
        return {value_id: (texts.type_of(value_id), texts.text(value_id)) for value_id in texts.rows}

    def _texts(self, value_ids: set[int]) -> _Texts:
        rows = self._value_rows(value_ids)
        return _Texts(rows, self._value_rows({base for _, base, _ in rows.values() if base is not None} - rows.keys()))

    def keyframes_of(self, value_ids: set[int]) -> dict[int, Keyframe]:
        """value id -> the keyframe it was stored against, or itself if it was stored whole."""
        texts = self._texts(value_ids)
        found = {}
        for value_id, (_, base, _) in texts.rows.items():
            keyframe = value_id if base is None else base
            if keyframe in texts.rows or keyframe in texts.keyframes:
                found[value_id] = Keyframe(keyframe, texts.text(keyframe))
        return found

    def _value_rows(self, value_ids: set[int]) -> dict[int, tuple[str, int | None, bytes]]:
        found: dict[int, tuple[str, int | None, bytes]] = {}
        ids = sorted(value_ids)
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows = self._rows(
                f"SELECT id, type, base_id, value FROM checkpoint_values WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update(
                (int(value_id), (type_name, None if base is None else int(base), _bytes(value)))
                for value_id, type_name, base, value in rows
            )
        return found

    def count(self) -> int:
        return int(self._rows("SELECT count(*) FROM checkpoints")[0][0])

    # -- writing (inside the caller's write transaction) --------------------------------------

    def set_head(self, log_seq: int) -> None:
        self._rows("UPDATE checkpoint_head SET log_seq = ? WHERE id = 1", [log_seq])

    def delete_from(self, as_of: str) -> int:
        """Drop the checkpoints of `as_of` and later, and their fact versions; returns how many there were."""
        count = int(self._rows("SELECT count(*) FROM checkpoints WHERE as_of >= ?", [as_of])[0][0])
        self._rows("DELETE FROM checkpoint_versions WHERE as_of >= ?", [as_of])
        self._rows("DELETE FROM checkpoints WHERE as_of >= ?", [as_of])
        return count

    def clear(self) -> int:
        count = self.count()
        for table in ("checkpoint_versions", "checkpoints", "checkpoint_values", "checkpoint_keys"):
            self._rows(f"DELETE FROM {table}")
        self._key_ids.clear()
        self.set_head(-1)
        return count

    def insert(self, as_of: str, events_applied: int, knowledge_day: str) -> None:
        """A checkpoint's row (its facts are the versions in force on its day)."""
        self._rows(
            "INSERT INTO checkpoints (as_of, events_applied, knowledge_day) VALUES (?, ?, ?)",
            [as_of, events_applied, knowledge_day],
        )

    def copy(self, source: CheckpointRow | None, as_of: str) -> None:
        """A checkpoint for `as_of` with the counts of `source` (None: no events); its facts are
        those of `source` already, as no version falls between the two days."""
        applied, knowledge = (source.events_applied, source.knowledge_day) if source else (0, "")
        self.insert(as_of, applied, knowledge)

    def add_applied(self, from_day: str, delta: int) -> None:
        """`delta` more events folded by the checkpoints of `from_day` and later."""
        self._rows("UPDATE checkpoints SET events_applied = events_applied + ? WHERE as_of >= ?", [delta, from_day])

    def raise_knowledge(self, from_day: str, knowledge_day: str) -> None:
        """The checkpoints of `from_day` and later are exact only from `knowledge_day` on, if not already later."""
        self._rows(
            "UPDATE checkpoints SET knowledge_day = ? WHERE as_of >= ? AND knowledge_day < ?",
            [knowledge_day, from_day, knowledge_day],
        )

    def drop_versions(self, from_day: str, key_ids: list[int]) -> set[int]:
        """Remove the versions of `key_ids` from `from_day` on; returns the value ids they used
        (for `collect_garbage`)."""
        used: set[int] = set()
        for start in range(0, len(key_ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = key_ids[start : start + 500]
            among = f"key_id IN ({', '.join('?' * len(chunk))}) AND as_of >= ?"
            rows = self._rows(f"SELECT DISTINCT value_id FROM checkpoint_versions WHERE {among}", [*chunk, from_day])
            used.update(int(row[0]) for row in rows if row[0] is not None)
            self._rows(f"DELETE FROM checkpoint_versions WHERE {among}", [*chunk, from_day])
        return used

    def add_versions(self, rows: list[tuple[int, str, int | None]]) -> None:
        """(key id, day, value id or None for gone) rows."""
        if rows:
            self.store._execute_many("INSERT INTO checkpoint_versions (key_id, as_of, value_id) VALUES (?, ?, ?)", rows)

    def key_id(self, projector: str, key: str) -> int:
        known = self._key_ids.get((projector, key))
        if known is not None:
            return known
        self._rows(
            "INSERT INTO checkpoint_keys (projector, key) VALUES (?, ?) ON CONFLICT (projector, key) DO NOTHING",
            [projector, key],
        )
        key_id = int(
            self._rows("SELECT id FROM checkpoint_keys WHERE projector = ? AND key = ?", [projector, key])[0][0]
        )
        self._key_ids[projector, key] = key_id
        return key_id

    def value_ids(self, values: list[tuple[str, bytes, Keyframe | None]]) -> list[tuple[int, bool]]:
        """The rows of fact values (type, JSON, the key's keyframe if the writer holds one), each
        stored once by content: found, or inserted; with whether each was inserted whole (and so can
        be the key's next keyframe).

        A value is stored as the difference from its key's keyframe (zlib with the keyframe as its
        preset dictionary) when that is at most half its size whole: a fact that changes a little
        each day (one more incident, one source's new figure) costs the change, and reading it takes
        at most one other row. Otherwise it is stored whole."""
        digests = [hashlib.sha256(type_name.encode() + b"\n" + text).digest()[:16] for type_name, text, _ in values]
        found = {digest: (value_id, False) for digest, value_id in self._ids_of(set(digests)).items()}
        missing = {digest: value for digest, value in zip(digests, values, strict=True) if digest not in found}
        if missing:
            rows, whole = [], set()
            for digest, (type_name, text, keyframe) in missing.items():
                blob, base = _stored(text, keyframe)
                if base is None:
                    whole.add(digest)
                rows.append((digest, type_name, blob, base))
            self.store._execute_many(
                "INSERT INTO checkpoint_values (digest, type, value, base_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (digest) DO NOTHING",
                rows,
            )
            found.update(
                (digest, (value_id, digest in whole)) for digest, value_id in self._ids_of(set(missing)).items()
            )
        return [found[digest] for digest in digests]

    def _ids_of(self, digests: set[bytes]) -> dict[bytes, int]:
        found: dict[bytes, int] = {}
        ordered = sorted(digests)
        for start in range(0, len(ordered), 500):  # stay under SQLite's bound-parameter limit
            chunk = ordered[start : start + 500]
            rows = self._rows(
                f"SELECT digest, id FROM checkpoint_values WHERE digest IN ({', '.join('?' * len(chunk))})", chunk
            )
            found.update((bytes(digest), int(value_id)) for digest, value_id in rows)
        return found

    def collect_garbage(self, among: Iterable[int] | None = None) -> None:
        """Drop values no checkpoint uses any more (a refresh replaces checkpoints, not their values):
        all of them, or only those of `among`. A keyframe another value is stored against stays
        (until a later collection finds that value gone too)."""
        unused = (
            "id NOT IN (SELECT value_id FROM checkpoint_versions WHERE value_id IS NOT NULL) "
            "AND id NOT IN (SELECT base_id FROM checkpoint_values WHERE base_id IS NOT NULL)"
        )
        if among is None:
            self._rows(f"DELETE FROM checkpoint_values WHERE {unused}")
            return
        ids = list(among)
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            self._rows(
                f"DELETE FROM checkpoint_values WHERE id IN ({marks}) "
                f"AND id NOT IN (SELECT value_id FROM checkpoint_versions WHERE value_id IN ({marks})) "
                f"AND id NOT IN (SELECT base_id FROM checkpoint_values WHERE base_id IN ({marks}))",
                [*chunk, *chunk, *chunk],
            )

    def forget_cached_ids(self) -> None:
        """After a rollback the rows behind cached key ids may be gone."""
        self._key_ids.clear()


def _bytes(value: Any) -> bytes:
    # A value is a blob (bytea: a memoryview); text there is a damaged cache, which the reader
    # then refuses by its type tag rather than failing here.
    return value.encode() if isinstance(value, str) else bytes(value)


def _stored(text: bytes, keyframe: Keyframe | None) -> tuple[bytes, int | None]:
    """(blob, keyframe id or None for whole) of a new value: its difference from the keyframe when
    that is at most half of the value compressed whole. (Keeping a worse difference keeps the old
    keyframe longer, and every later difference grows: measured, a rule that skipped compressing
    the value whole when its difference was small against its JSON made a 25% larger file.)"""
    whole = zlib.compress(text, 1)
    if keyframe is not None:
        writer = zlib.compressobj(1, zdict=keyframe.text)
        delta = writer.compress(text) + writer.flush()
        if len(delta) * 2 <= len(whole):
            return delta, keyframe.value_id
    return whole, None


class _Texts:
    """The JSON of some value rows, decompressed when asked for; a keyframe that several values
    were stored against is decompressed once."""

    def __init__(
        self, rows: dict[int, tuple[str, int | None, bytes]], keyframes: dict[int, tuple[str, int | None, bytes]]
    ):
        self.rows, self.keyframes = rows, keyframes
        self._whole: dict[int, bytes] = {}

    def type_of(self, value_id: int) -> str:
        return self.rows[value_id][0]

    def text(self, value_id: int) -> bytes:
        _, base, blob = self.rows.get(value_id) or self.keyframes[value_id]
        if base is None:
            return self._keyframe(value_id, blob)
        reader = zlib.decompressobj(zdict=self._keyframe(base, (self.rows.get(base) or self.keyframes[base])[2]))
        return reader.decompress(blob) + reader.flush()

    def _keyframe(self, value_id: int, blob: bytes) -> bytes:
        text = self._whole.get(value_id)
        if text is None:
            text = self._whole[value_id] = zlib.decompress(blob)
        return text
