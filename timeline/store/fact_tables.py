"""The stored state on both axes (schema 7 on both backends), in portable SQL through the store.

- `fact_versions`: each fact's versions over (valid day, knowledge day). A row says: for knowledge
  days in [known_from, known_to), the fact's value from valid day `valid_from` on is `value_id`
  (NULL: the fact is gone), until the next row of the same key that is in force at that knowledge
  day. So the fact at (D, K) is, among its rows with known_from <= K < known_to, the one with the
  latest valid_from <= D: one index lookup per key.
- `fact_keys` names each fact once; `fact_values` stores each value once by content: zlib JSON,
  or its difference from an earlier value of its key (`base_id`), in chains of at most
  MAX_CHAIN values (`depth`: the place in the chain) after a value stored whole.
- `fact_events`: which events touch which fact (key, occurred_on, seq), so a write refolds only
  the events of the facts it changes.
- `event_counts`: events that occurred on a day and became visible (+) or hidden (-) from a
  knowledge day: the number of events a snapshot at (D, K) folds is a sum over one corner.
- `knowledge_head`: the log position the tables were last brought up to; a reader trusts them
  only when it is the log's head.

Every statement goes through the store's own connection (`EventStore._execute`, `_execute_many`)
with `?` placeholders, `ON CONFLICT` and `RETURNING`, which SQLite and PostgreSQL both speak.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import attrs

from timeline.store.rows import REPLAY_COLUMNS
from timeline.store.value_codec import Texts, difference

# The knowledge day after every other: a version still in force has this known_to.
OPEN = "9999-99-99"  # sorts after every date (YYYY-MM-DD)
CHUNK = 500  # ids per IN (...) list, under SQLite's bound-parameter limit
CHANGES_PAGE = 20_000
EVENTS_PAGE = 2_000


class SqlRunner(Protocol):
    """What the fact tables need of a store: its own connection (`base.EventStore` is one)."""

    def has_table(self, name: str) -> bool: ...
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


# The longest chain: a value at position k (1..MAX_CHAIN) after the whole one is stored as its
# difference from the value at position k with its lowest set bit cleared (skip differences, as
# Subversion stores file revisions), so reading one decompresses popcount(k) differences, at most
# 4 of them, where differences each from the value before needed k (8.4 on average; a state read
# of 6,000 ACLED tallies decompressed 35,000). Measured on the values of a 100,000-row ACLED
# import: the differences take 20% more bytes, the reads 4x fewer links.
MAX_CHAIN = 16


@attrs.frozen
class Previous:
    """The value a key held last, which its next value is stored against, and the values on its
    chain a later value may be stored against: (position, value id, JSON) from the whole one on."""

    path: tuple[tuple[int, int, bytes], ...]

    @property
    def value_id(self) -> int:
        return self.path[-1][1]

    @property
    def depth(self) -> int:
        return self.path[-1][0]

    def base_for(self, position: int) -> tuple[int, int, bytes]:
        """The value the one at `position` is stored against (always on the path: see MAX_CHAIN)."""
        wanted = position & (position - 1)
        return next(link for link in self.path if link[0] == wanted)

    def then(self, base_position: int, link: tuple[int, int, bytes]) -> Previous:
        """The path after storing `link` against the value at `base_position`."""
        return Previous((*(held for held in self.path if held[0] <= base_position), link))


@attrs.frozen
class Version:
    """One row of `fact_versions` (without its key)."""

    valid_from: str
    known_from: str
    known_to: str
    value_id: int | None


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def marks(items: Sequence[Any]) -> str:
    return ", ".join("?" * len(items))


class FactTables:
    """The fact tables of one store, on its own connection."""

    def __init__(self, store: SqlRunner):
        self.store = store
        self._key_ids: dict[tuple[str, str], int] = {}
        self._next_value_id: int | None = None  # within one write, which holds the log's lock

    def available(self) -> bool:
        """False on a store older than these tables opened read-only (never upgraded)."""
        return self.store.has_table("fact_versions")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self.store._execute(sql, list(params))

    # -- the head ----------------------------------------------------------------------------

    def head(self) -> int:
        return int(self._rows("SELECT log_seq FROM knowledge_head WHERE id = 1")[0][0])

    def set_head(self, log_seq: int) -> None:
        self._rows("UPDATE knowledge_head SET log_seq = ? WHERE id = 1", [log_seq])

    def clear(self) -> None:
        for table in ("fact_versions", "fact_events", "event_counts", "fact_values", "fact_values_unused", "fact_keys"):
            self._rows(f"DELETE FROM {table}")
        self.forget_cached_ids()
        self.set_head(-1)

    def forget_cached_ids(self) -> None:
        """After a rollback the rows behind cached ids may be gone (each write starts here)."""
        self._key_ids.clear()
        self._next_value_id = None

    # -- keys --------------------------------------------------------------------------------

    def key_id(self, projector: str, key: str) -> int:
        known = self._key_ids.get((projector, key))
        if known is None:
            known = self.key_ids([(projector, key)])[projector, key]
        return known

    def key_ids(self, names: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(projector, key) -> id of each, the missing ones inserted."""
        wanted = set(names)
        found = {name: self._key_ids[name] for name in wanted if name in self._key_ids}
        missing = sorted(wanted - found.keys())
        if missing:
            self.store._execute_many(
                "INSERT INTO fact_keys (projector, key) VALUES (?, ?) ON CONFLICT (projector, key) DO NOTHING",
                [tuple(name) for name in missing],
            )
            for projector, key in missing:
                rows = self._rows("SELECT id FROM fact_keys WHERE projector = ? AND key = ?", [projector, key])
                found[projector, key] = self._key_ids[projector, key] = int(rows[0][0])
        return found

    def keys(self) -> dict[int, tuple[str, str]]:
        """key id -> (projector, key) of every fact key."""
        return {
            int(key_id): (projector, key)
            for key_id, projector, key in self._rows("SELECT id, projector, key FROM fact_keys")
        }

    def keys_named(self, projector: str, prefix: str | None = None) -> dict[int, str]:
        """key id -> key of one projector's keys (those whose text starts with `prefix`, if given)."""
        rows = self._rows("SELECT id, key FROM fact_keys WHERE projector = ?", [projector])
        return {int(key_id): key for key_id, key in rows if prefix is None or key.startswith(prefix)}

    # -- versions ----------------------------------------------------------------------------

    def state_at(self, as_of: str, known_on: str) -> dict[int, int]:
        """key id -> value id of every fact at (as_of, known_on): each key's latest version on or
        before that day among those in force on that knowledge day, one index lookup per key."""
        rows = self._rows(
            "SELECT k.id, (SELECT v.value_id FROM fact_versions v WHERE v.key_id = k.id AND v.valid_from <= ? "
            "AND v.known_from <= ? AND v.known_to > ? ORDER BY v.valid_from DESC LIMIT 1) FROM fact_keys k",
            [as_of, known_on, known_on],
        )
        return {int(key_id): int(value_id) for key_id, value_id in rows if value_id is not None}

    def stream_changes(self, until: str, known_on: str) -> Iterator[tuple[str, int, int | None]]:
        """`changes(None, until, known_on)`, streamed in pieces of about CHANGES_PAGE rows, each
        read whole: a walk over every day holds one page, not every version of the log."""
        after = ""
        while True:
            rows = self._rows(
                "SELECT valid_from, key_id, value_id FROM fact_versions WHERE valid_from > ? AND valid_from <= ? "
                "AND known_from <= ? AND known_to > ? ORDER BY valid_from, key_id LIMIT ?",
                [after, until, known_on, known_on, CHANGES_PAGE],
            )
            if not rows:
                return
            last_day = str(rows[-1][0])
            if len(rows) == CHANGES_PAGE:
                # The page may end inside its last day: that day comes whole with the next page.
                complete = [row for row in rows if str(row[0]) < last_day]
                if complete:
                    rows, last_day = complete, str(complete[-1][0])
                else:  # one day holds more than a page: read that day alone
                    rows = self._rows(
                        "SELECT valid_from, key_id, value_id FROM fact_versions WHERE valid_from = ? "
                        "AND known_from <= ? AND known_to > ? ORDER BY key_id",
                        [last_day, known_on, known_on],
                    )
            yield from ((str(day), int(key_id), None if value is None else int(value)) for day, key_id, value in rows)
            after = last_day

    def changes(self, after: str | None, until: str, known_on: str) -> list[tuple[str, int, int | None]]:
        """(valid_from, key id, value id or None) of every version in force on `known_on` with
        after < valid_from <= until, by day."""
        rows = self._rows(
            "SELECT valid_from, key_id, value_id FROM fact_versions WHERE valid_from > ? AND valid_from <= ? "
            "AND known_from <= ? AND known_to > ? ORDER BY valid_from, key_id",
            [after or "", until, known_on, known_on],
        )
        return [(str(day), int(key_id), None if value is None else int(value)) for day, key_id, value in rows]

    def versions(self, key_ids: Sequence[int]) -> dict[int, list[Version]]:
        """Every version of each key, by valid_from then known_from."""
        found: dict[int, list[Version]] = {key_id: [] for key_id in key_ids}
        for chunk in chunks(list(key_ids)):
            rows = self._rows(
                "SELECT key_id, valid_from, known_from, known_to, value_id FROM fact_versions "
                f"WHERE key_id IN ({marks(chunk)}) ORDER BY key_id, valid_from, known_from",
                chunk,
            )
            for key_id, valid_from, known_from, known_to, value_id in rows:
                found[int(key_id)].append(
                    Version(
                        str(valid_from), str(known_from), str(known_to), None if value_id is None else int(value_id)
                    )
                )
        return found

    def replace_versions(self, key_id: int, valid_from: str, known_from: str, rows: list[Version]) -> set[int]:
        """Rewrite one key's versions in the region valid day >= valid_from, knowledge day >=
        known_from: the rows there are removed (a row that began knowing earlier is cut at
        `known_from`), and `rows` (all inside the region) take their place. Returns the value ids
        the removed rows used (for `collect_garbage`)."""
        region = "key_id = ? AND valid_from >= ? AND known_to > ?"
        params = [key_id, valid_from, known_from]
        used = {
            int(row[0])
            for row in self._rows(f"SELECT DISTINCT value_id FROM fact_versions WHERE {region}", params)
            if row[0] is not None
        }
        self._rows(f"DELETE FROM fact_versions WHERE {region} AND known_from >= ?", [*params, known_from])
        self._rows(f"UPDATE fact_versions SET known_to = ? WHERE {region}", [known_from, *params])
        if not rows:
            return used
        # A new row that goes on with the value of the row cut (or ending) where it begins extends
        # that row: a late report often stops mattering a few days on, and the versions after
        # it would otherwise be stored twice, split where the report became known.
        ending = {
            (str(day), None if value_id is None else int(value_id))
            for day, value_id in self._rows(
                "SELECT valid_from, value_id FROM fact_versions WHERE key_id = ? AND valid_from >= ? AND known_to = ?",
                [key_id, valid_from, known_from],
            )
        }
        extended: list[Version] = []
        new: list[Version] = []
        for row in rows:
            goes_on = row.known_from == known_from and (row.valid_from, row.value_id) in ending
            (extended if goes_on else new).append(row)
        if extended:
            self.store._execute_many(
                "UPDATE fact_versions SET known_to = ? WHERE key_id = ? AND valid_from = ? AND known_to = ?",
                [(row.known_to, key_id, row.valid_from, known_from) for row in extended],
            )
        self.store._execute_many(
            "INSERT INTO fact_versions (key_id, valid_from, known_from, known_to, value_id) VALUES (?, ?, ?, ?, ?)",
            [(key_id, row.valid_from, row.known_from, row.known_to, row.value_id) for row in new],
        )
        return used

    def count_versions(self) -> int:
        return int(self._rows("SELECT count(*) FROM fact_versions")[0][0])

    # -- the events of each fact ---------------------------------------------------------------

    def add_fact_events(self, rows: list[tuple[int, str, int]]) -> None:
        """(key id, occurred_on, seq) rows: this event touches this fact."""
        if rows:
            self.store._execute_many(
                "INSERT INTO fact_events (key_id, occurred_on, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows
            )

    def events_of(self, key_id: int, from_day: str) -> Iterator[tuple[Any, ...]]:
        """The log rows (REPLAY_COLUMNS) of the events that touch a fact and occurred on or after
        `from_day`, in fold order, read EVENTS_PAGE at a time: the caller decodes them as they come
        (a region of a million-row ACLED log has 17,000; holding their rows and their events at
        once cost 17 MB more than the events alone)."""
        columns = ", ".join(f"e.{name}" for name in REPLAY_COLUMNS)
        after: tuple[str, int] = ("", 0)
        while True:
            rows = self._rows(
                f"SELECT {columns}, f.occurred_on, f.seq FROM fact_events f JOIN events e ON e.seq = f.seq "
                "WHERE f.key_id = ? AND f.occurred_on >= ? AND (f.occurred_on, f.seq) > (?, ?) "
                f"ORDER BY f.occurred_on, f.seq LIMIT {EVENTS_PAGE}",
                [key_id, from_day, *after],
            )
            yield from (row[:-2] for row in rows)
            if len(rows) < EVENTS_PAGE:
                return
            after = (str(rows[-1][-2]), int(rows[-1][-1]))

    # -- counts ------------------------------------------------------------------------------

    def add_counts(self, deltas: dict[tuple[str, str], int]) -> None:
        """(occurred_on, known_from) -> how many more (or fewer) events a snapshot folds (0 too)."""
        # A change that nets to nothing is kept too (one version of an event withdrawn, its next one
        # shown): every report day is a row, so `last_known` is the log's last report day.
        rows = [(day, known, delta) for (day, known), delta in sorted(deltas.items())]
        if rows:
            self.store._execute_many(
                "INSERT INTO event_counts (occurred_on, known_from, events) VALUES (?, ?, ?) "
                "ON CONFLICT (occurred_on, known_from) DO UPDATE SET events = event_counts.events + excluded.events",
                rows,
            )

    def count_at(self, as_of: str, known_on: str) -> int:
        """How many events a snapshot at (as_of, known_on) folds."""
        rows = self._rows(
            "SELECT sum(events) FROM event_counts WHERE occurred_on <= ? AND known_from <= ?", [as_of, known_on]
        )
        return int(rows[0][0] or 0)

    def counts_by_day(self, known_on: str) -> dict[str, int]:
        """occurred_on -> events of that day a snapshot knowing `known_on` folds (days with none left out)."""
        rows = self._rows(
            "SELECT occurred_on, sum(events) FROM event_counts WHERE known_from <= ? GROUP BY occurred_on "
            "ORDER BY occurred_on",
            [known_on],
        )
        return {str(day): int(count) for day, count in rows if int(count)}

    def last_known(self) -> str | None:
        """The latest knowledge day anything became known or was withdrawn on."""
        rows = self._rows("SELECT max(known_from) FROM event_counts")
        return None if rows[0][0] is None else str(rows[0][0])

    # -- values ------------------------------------------------------------------------------

    def store_values(
        self, values: list[tuple[bytes, str, bytes]], previous: Previous | None
    ) -> tuple[dict[bytes, int], Previous | None]:
        """Store one key's values (digest, type, JSON: `digest_of`), in the order the key took them,
        each once by content; returns digest -> value id, and the key's last value after them.

        A value is stored as its difference (`difference`) from a value before it on its chain
        (MAX_CHAIN says which) while the difference is at most half its size whole and the chain
        is shorter than MAX_CHAIN; otherwise whole. A fact that changes a little each
        day (one more figure, one more incident) then costs the change. Ids are given here (the
        write holds the log's lock), so a difference can name a value of the same write."""
        ids = self._ids_of({digest for digest, _, _ in values})
        next_id = self._next_value_id
        if next_id is None:
            next_id = int(self._rows("SELECT coalesce(max(id), 0) FROM fact_values")[0][0]) + 1
        rows: list[tuple[int, bytes, str, bytes, int | None, int]] = []
        for digest, type_name, text in values:
            if digest in ids:
                continue
            blob, base, depth = None, None, 0
            if previous is not None and previous.depth < MAX_CHAIN:
                position = previous.depth + 1
                base_position, base_id, base_text = previous.base_for(position)
                delta = difference(base_text, text)
                # A difference a sixth of the text is taken without compressing the text to
                # compare: zlib at level 1 gains ~3x on a fact's JSON, so the difference is the
                # smaller (a sixteenth, as before, had 63,000 of a 100,000-row ACLED import's
                # texts compressed whole only to compare, 2 s, for 0.14% smaller values).
                if len(delta) * 6 <= len(text) or len(delta) * 2 <= len(blob := zlib.compress(text, 1)):
                    blob, base, depth = delta, base_id, position
                    previous = previous.then(base_position, (position, next_id, text))
            if blob is None:
                blob = zlib.compress(text, 1)
            if base is None:
                previous = Previous(((0, next_id, text),))
            ids[digest] = next_id
            rows.append((next_id, digest, type_name, blob, base, depth))
            next_id += 1
        self._next_value_id = next_id
        if rows:
            self.store._execute_many(
                "INSERT INTO fact_values (id, digest, type, value, base_id, depth) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        return ids, previous

    def _ids_of(self, digests: set[bytes]) -> dict[bytes, int]:
        found: dict[bytes, int] = {}
        for chunk in chunks(sorted(digests)):
            rows = self._rows(f"SELECT digest, id FROM fact_values WHERE digest IN ({marks(chunk)})", chunk)
            found.update((bytes(digest), int(value_id)) for digest, value_id in rows)
        return found

    def digests(self, value_ids: Iterable[int]) -> dict[int, bytes]:
        """value id -> its digest."""
        found: dict[int, bytes] = {}
        for chunk in chunks(sorted(set(value_ids))):
            rows = self._rows(f"SELECT id, digest FROM fact_values WHERE id IN ({marks(chunk)})", chunk)
            found.update((int(value_id), bytes(digest)) for value_id, digest in rows)
        return found

    def values(self, value_ids: Iterable[int]) -> dict[int, tuple[str, bytes]]:
        """value id -> (type, JSON); a value stored as a difference is read with its chain."""
        texts = self.texts(set(value_ids))
        return {value_id: (texts.type_of(value_id), texts.text(value_id)) for value_id in texts.wanted}

    def texts(self, value_ids: set[int]) -> Texts:
        """Those values' rows and their chains' (one query per link of the longest chain)."""
        rows = self._value_rows(value_ids)
        missing = {row[1] for row in rows.values() if row[1] is not None} - rows.keys()
        while missing:
            found = self._value_rows(missing)
            rows.update(found)
            missing = {row[1] for row in found.values() if row[1] is not None} - rows.keys()
        return Texts(rows, value_ids)

    def types_of(self, value_ids: set[int]) -> dict[int, str]:
        """value id -> the type tag of its value (no value read)."""
        found: dict[int, str] = {}
        for chunk in chunks(sorted(value_ids)):
            rows = self._rows(f"SELECT id, type FROM fact_values WHERE id IN ({marks(chunk)})", chunk)
            found.update((int(value_id), str(type_name)) for value_id, type_name in rows)
        return found

    def previous_of(self, value_id: int) -> Previous | None:
        """A stored value as the value a key's next one is stored against, with its chain."""
        texts = self.texts({value_id})
        if value_id not in texts.rows:
            return None
        chain = texts.chain(value_id)
        positions = {
            int(link): int(depth)
            for link, depth in self._rows(
                f"SELECT id, depth FROM fact_values WHERE id IN ({marks(chain)})", [link for link, _ in chain]
            )
        }
        return Previous(tuple((positions[link], link, text) for link, text in chain))

    def _value_rows(self, value_ids: set[int]) -> dict[int, tuple[str, int | None, bytes]]:
        found: dict[int, tuple[str, int | None, bytes]] = {}
        for chunk in chunks(sorted(value_ids)):
            rows = self._rows(f"SELECT id, type, base_id, value FROM fact_values WHERE id IN ({marks(chunk)})", chunk)
            found.update(
                (int(value_id), (type_name, None if base is None else int(base), _bytes(value)))
                for value_id, type_name, base, value in rows
            )
        return found

    def note_unused(self, value_ids: Iterable[int]) -> None:
        """Values a write stopped using, kept in `fact_values_unused` until a sweep
        (`collect_garbage`): on disk, not in memory (a million-row refresh lets go of hundreds of
        thousands), and across writes (a small write's few are swept with later ones)."""
        rows = [(value_id,) for value_id in value_ids]
        if rows:
            self.store._execute_many("INSERT INTO fact_values_unused (id) VALUES (?) ON CONFLICT DO NOTHING", rows)

    def collect_garbage(self, among: Iterable[int] = (), *, at_least: int = 1) -> int:
        """Drop the values noted unused (and `among`) that nothing reads any more, with the values
        their chains were stored against that nothing else needs, once at least `at_least` are
        noted; returns how many were dropped.

        A value is kept if a version reads it, or a value that is kept is stored against it. The
        candidates' chains (each base up to its keyframe) are candidates too: a base that outlives
        the last value stored against it would otherwise never be named again, and stay forever.
        It is all SQL, each stored table read once: neither `fact_versions.value_id` nor
        `fact_values.base_id` is indexed (the two would add 4.5% to a million-row ACLED log, and
        cost every write), so a sweep reads both whole, which is why small writes leave theirs to
        a later one (`sweep_threshold`)."""
        self.note_unused(among)
        noted = int(self._rows("SELECT count(*) FROM fact_values_unused")[0][0])
        if noted == 0 or noted < at_least:
            return 0
        base_id = "SELECT f.base_id FROM {source} JOIN fact_values f ON f.id = {source_id} WHERE f.base_id IS NOT NULL"
        # `IN`, not a join, for the first step: the planner would read every value to meet the few noted.
        self._rows(
            "INSERT INTO fact_values_unused (id) WITH RECURSIVE chain (id) AS ("
            "SELECT f.base_id FROM fact_values f WHERE f.id IN (SELECT id FROM fact_values_unused) "
            "AND f.base_id IS NOT NULL UNION "
            + base_id.format(source="chain c", source_id="c.id")
            + ") SELECT id FROM chain WHERE id NOT IN (SELECT id FROM fact_values_unused)"
        )
        self._rows("DROP TABLE IF EXISTS fact_needed")
        self._rows("CREATE TEMP TABLE fact_needed (id BIGINT PRIMARY KEY)")
        self._rows(
            "INSERT INTO fact_needed (id) SELECT DISTINCT v.value_id FROM fact_versions v "
            "JOIN fact_values_unused g ON g.id = v.value_id"
        )
        self._rows(
            "INSERT INTO fact_needed (id) SELECT DISTINCT f.base_id FROM fact_values f "
            "JOIN fact_values_unused g ON g.id = f.base_id "
            # a value is stored against one stored before it: only later ids can name a candidate
            "WHERE f.id > (SELECT min(id) FROM fact_values_unused) "
            "AND f.id NOT IN (SELECT id FROM fact_values_unused) AND f.base_id NOT IN (SELECT id FROM fact_needed)"
        )
        # A kept value keeps its chain.
        self._rows(
            "DELETE FROM fact_values_unused WHERE id IN (WITH RECURSIVE kept (id) AS (SELECT id FROM fact_needed "
            "UNION " + base_id.format(source="kept k", source_id="k.id") + ") SELECT id FROM kept)"
        )
        dropped = int(self._rows("SELECT count(*) FROM fact_values_unused")[0][0])
        self._rows("DELETE FROM fact_values WHERE id IN (SELECT id FROM fact_values_unused)")
        self._rows("DELETE FROM fact_values_unused")
        self._rows("DROP TABLE fact_needed")
        return dropped

    def sweep_threshold(self) -> int:
        """How many values noted unused make a write sweep them: a sixty-fourth of the values
        stored (about 47,000 on a million-row ACLED log, some fourteen appends of a late report),
        so what waits for a sweep stays a small part of the values, and a sweep's cost is shared."""
        return 1 + int(self._rows("SELECT coalesce(max(id), 0) FROM fact_values")[0][0]) // 64


def _bytes(value: Any) -> bytes:
    # A value is a blob (bytea: a memoryview); text there is a damaged table, which the reader
    # then refuses by its type tag rather than failing here.
    return value.encode() if isinstance(value, str) else bytes(value)
