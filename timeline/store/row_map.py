"""The per-row version map of one living-dataset import, in temporary tables of the log's own
database: what the log holds of each row id, and which ids the download has shown so far.

A download of a million rows is compared with a log of millions of versions without holding
either in memory: the import fills `row_map_logged` once (the latest version of each row id),
looks rows up a batch at a time by id, records the ids it has read in `row_map_seen`, and at the
end reads the logged rows it has not seen (the candidates for removal) in one query.

Beside the log, `row_cells` keeps a digest of the cells each row was read from, by the event it
became (`remember`): a row of a later download with the same version and the same cells is the
row the log holds, known without building its event again. It is derived, like the stored state,
and kept by the import in its own transaction; a row it does not name is read in full.

The tables are temporary (each connection has its own; they vanish with it) and dropped when the
import ends. They are filled inside the import's write transaction, so no concurrent writer can
change what they describe meanwhile. Portable SQL through the store's own connection, like the
fact tables: `?` placeholders and `ON CONFLICT`, which SQLite and PostgreSQL both speak.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from timeline.store.fact_tables import SqlRunner, chunks, marks

FILL_BATCH = 5_000
REMOVALS_PAGE = 5_000

_TABLES = ("row_map_logged", "row_map_seen")


@attrs.frozen
class LoggedRow:
    """The latest version the log holds of one row id, and the stored event it is."""

    record_id: str
    revision: int
    event_id: str
    occurred_on: str
    country: str
    seq: int


@attrs.frozen
class StoredContent:
    """What a stored version says beyond its `LoggedRow`, as compared with an incoming row
    (without decoding it)."""

    data: str
    source: str
    date_precision: str
    note: str | None


@attrs.frozen
class SeenRow:
    """A row id the download has already shown: where, with which version and which cells."""

    where: str
    revision: int
    fingerprint: int


class RowMap:
    """The version map of one import, in temporary tables on the store's connection."""

    def __init__(self, store: SqlRunner):
        self.store = store
        for table in _TABLES:
            self.store._execute(f"DROP TABLE IF EXISTS {table}")
        self.store._execute(
            "CREATE TEMP TABLE row_map_logged (record_id TEXT PRIMARY KEY, revision BIGINT NOT NULL, "
            "event_id TEXT NOT NULL, occurred_on TEXT NOT NULL, country TEXT NOT NULL, seq BIGINT NOT NULL)"
        )
        self.store._execute("CREATE INDEX row_map_logged_seq ON row_map_logged (seq)")
        self.store._execute(
            "CREATE TEMP TABLE row_map_seen (record_id TEXT PRIMARY KEY, place TEXT NOT NULL, "
            "revision BIGINT NOT NULL, fingerprint BIGINT NOT NULL)"
        )

    def close(self) -> None:
        for table in _TABLES:
            self.store._execute(f"DROP TABLE IF EXISTS {table}")

    # -- what the log holds ------------------------------------------------------------------

    def fill(self, versions: Iterable[LoggedRow]) -> None:
        """Every version the log holds; the map keeps the latest of each row id (the highest
        revision; of equal ones, the first given)."""
        rows = (attrs.astuple(version) for version in versions)
        while batch := list(itertools.islice(rows, FILL_BATCH)):
            self._fill(batch)

    def _fill(self, batch: list[tuple[Any, ...]]) -> None:
        self.store._execute_many(
            "INSERT INTO row_map_logged (record_id, revision, event_id, occurred_on, country, seq) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET revision = excluded.revision, "
            "event_id = excluded.event_id, occurred_on = excluded.occurred_on, country = excluded.country, "
            "seq = excluded.seq WHERE excluded.revision > row_map_logged.revision",
            batch,
        )

    def latest_revision(self) -> int | None:
        found = self.store._execute("SELECT max(revision) FROM row_map_logged")[0][0]
        return None if found is None else int(found)

    def logged(self, record_ids: Sequence[str]) -> dict[str, tuple[LoggedRow, bytes | None]]:
        """record id -> its latest logged version and the digest of the cells it was read from
        (None: not known), for the ids the log holds."""
        found: dict[str, tuple[LoggedRow, bytes | None]] = {}
        for chunk in chunks(sorted(set(record_ids))):
            rows = self.store._execute(
                "SELECT m.record_id, m.revision, m.event_id, m.occurred_on, m.country, m.seq, c.cells "
                "FROM row_map_logged m LEFT JOIN row_cells c ON c.event_id = m.event_id "
                f"WHERE m.record_id IN ({marks(chunk)})",
                chunk,
            )
            for record_id, revision, event_id, day, country, seq, cells in rows:
                found[record_id] = (
                    LoggedRow(record_id, int(revision), event_id, day, country, int(seq)),
                    None if cells is None else bytes(cells),
                )
        return found

    def contents(self, seqs: Sequence[int]) -> dict[int, StoredContent]:
        """seq -> what the stored version there says, for the rows to be compared in full (read
        only for them: a row its cells settle needs none of it)."""
        found: dict[int, StoredContent] = {}
        for chunk in chunks(sorted(set(seqs))):
            rows = self.store._execute(
                f"SELECT seq, data, source, date_precision, note FROM events WHERE seq IN ({marks(chunk)})", chunk
            )
            for seq, *content in rows:
                found[int(seq)] = StoredContent(*content)
        return found

    def remember(self, cells: Sequence[tuple[str, bytes]]) -> None:
        """Keep (event id, digest of the cells it was read from), replacing what was kept for it."""
        self.store._execute_many(
            "INSERT INTO row_cells (event_id, cells) VALUES (?, ?) "
            "ON CONFLICT (event_id) DO UPDATE SET cells = excluded.cells",
            list(cells),
        )

    # -- what the download shows ---------------------------------------------------------------

    def seen(self, record_ids: Sequence[str]) -> dict[str, SeenRow]:
        """record id -> where the download showed it before, for the ids it has."""
        found: dict[str, SeenRow] = {}
        for chunk in chunks(sorted(set(record_ids))):
            rows = self.store._execute(
                f"SELECT record_id, place, revision, fingerprint FROM row_map_seen WHERE record_id IN ({marks(chunk)})",
                chunk,
            )
            for record_id, place, revision, fingerprint in rows:
                found[record_id] = SeenRow(place, int(revision), int(fingerprint))
        return found

    def see(self, rows: Sequence[tuple[str, SeenRow]]) -> None:
        """Record that the download showed these row ids (none of them recorded before)."""
        self.store._execute_many(
            "INSERT INTO row_map_seen (record_id, place, revision, fingerprint) VALUES (?, ?, ?, ?)",
            [(record_id, row.where, row.revision, row.fingerprint) for record_id, row in rows],
        )

    def unseen(self, first_day: str, last_day: str) -> Iterator[LoggedRow]:
        """The logged rows that occurred within [first_day, last_day] and that the download has
        not shown, in log order, a page at a time."""
        after = 0
        while True:
            rows = self.store._execute(
                "SELECT record_id, revision, event_id, occurred_on, country, seq FROM row_map_logged m "
                "WHERE seq > ? AND occurred_on BETWEEN ? AND ? "
                "AND NOT EXISTS (SELECT 1 FROM row_map_seen s WHERE s.record_id = m.record_id) "
                f"ORDER BY seq LIMIT {REMOVALS_PAGE}",
                [after, first_day, last_day],
            )
            for record_id, revision, event_id, day, country, seq in rows:
                yield LoggedRow(record_id, int(revision), event_id, day, country, int(seq))
            if len(rows) < REMOVALS_PAGE:
                return
            after = int(rows[-1][5])
