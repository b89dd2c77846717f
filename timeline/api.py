"""The public Python API: `Timeline`, the composition root. The CLI is a thin shell over its methods.

`Timeline` opens a store and registers the checkpoints' upkeep on it, then answers questions by
calling the modules that know how: replay and checkpoints (`state`), `diff`, `days`, the formats
registry (`import_file`, `export`) and `integrity` (`verify`, `sign`, `copy_to`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Collection, Iterator
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from events.codec import event_from_record
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from events.kinds.territory import MultiPolygonCoordinates
from timeline import checkpoints, formats, geometry, integrity, knowledge, replay
from timeline.calendar import STORY_STARTS_WITH, LogBounds, bounds_of
from timeline.checkpoints import Checkpoints
from timeline.days import DaySummary, day_summaries
from timeline.diff import Diff
from timeline.errors import BadArgument, BadEvent, BadInput, NotATimeline, ReadOnlyTimeline
from timeline.facts import Encoded
from timeline.formats.jsonl import read_records
from timeline.integrity.verify import VerifyReport
from timeline.knowledge import History, HistoryListing, Learned
from timeline.projectors.base import Fact
from timeline.snapshot import Snapshot
from timeline.store import (
    AppendResult,
    CopyResult,
    EventStore,
    SignedHead,
    create_store,
    is_postgres_url,
    memory_store,
    open_store,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["BUNDLED_DATASET", "BUNDLED_RECORDED_AT", "DaySummary", "LogBounds", "Timeline"]

BUNDLED_DATASET = "kursk-2024.jsonl"
# When the bundled dataset was compiled: its events carry this recording time, so the bundled
# log has the same hash chain (and `verify` the same head hash) on every machine.
BUNDLED_RECORDED_AT = "2026-11-25T00:00:00+00:00"


class Timeline:
    """An event log and the questions asked of it."""

    def __init__(self, store: EventStore, *, read_only_reason: str | None = None):
        self.store = store
        # The store keeps the checkpoints exact by calling their upkeep inside every write's
        # transaction, without knowing what they are.
        store.add_write_hook(checkpoints.maintain)
        self.checkpoints = Checkpoints(store)
        self._read_only_reason = read_only_reason
        self._hidden_cache: tuple[tuple[int, dt.date | None], frozenset[str]] | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str]) -> Timeline:
        """Create an empty log at `path` (an existing timeline is opened unchanged)."""
        return cls(create_store(path))

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False, pool: Any = None) -> Timeline:
        """The log in an SQLite file or a PostgreSQL database (`postgresql://` URL). A long-lived
        process passes `pool=timeline.store.postgres.connection_pool(url)` to borrow a connection
        instead of opening one; `close()` gives it back."""
        if pool is not None:
            from timeline.store.postgres import PostgresEventStore

            return cls(PostgresEventStore.open(path, writable=not read_only, pool=pool))
        return cls(open_store(path, writable=not read_only))

    @classmethod
    def bundled(cls, name: str = BUNDLED_DATASET) -> Timeline:
        """The bundled dataset, loaded into memory. It is read-only: copy it with `export` to extend it."""
        reason = f"the bundled {name} is read-only; use --db (or TIMELINE_DB) to write a log of your own"
        bundled = cls(memory_store(label=f"bundled {name}"), read_only_reason=reason)
        with (resources.files("timeline") / "datasets" / name).open("rb") as stream:
            bundled.store.append(read_records(stream, name), recorded_at=BUNDLED_RECORDED_AT)
        bundled.store.writable = False
        return bundled

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Timeline:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        return self.store.count()

    def _check_writable(self) -> None:
        if self._read_only_reason:
            raise ReadOnlyTimeline(self._read_only_reason)

    # -- recording ---------------------------------------------------------------------------

    def append(
        self, event: Event | dict[str, Any] | None = None, *, expected_head: int | None = None, **fields: Any
    ) -> AppendResult:
        """Append one event: an Event, a record in the event format, or its fields as keywords.

        `tl.append(kind="territory.claimed", occurred_on="2024-08-12", source="...", data={...})`
        """
        if event is None:
            event = {name: value.isoformat() if isinstance(value, dt.date) else value for name, value in fields.items()}
        elif fields:
            raise TypeError("give an event or its fields, not both")
        if isinstance(event, dict):
            try:
                event = event_from_record(event)
            except InvalidEvent as exc:
                raise BadEvent(exc.message, field=exc.field) from None
        self._check_writable()
        return self.store.append([event], expected_head=expected_head)

    def import_file(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        /,
        format: str = "jsonl",
        *,
        name: str | None = None,
        expected_head: int | None = None,
        progress: Callable[[int], None] | None = None,
        **options: Any,
    ) -> Any:
        """Append a file (or binary stream) in a registered format, all or nothing: `jsonl`
        (an AppendResult), `acled` (an AcledImportResult: a newer export appends only what changed),
        `ucdp` (the same, known from `known_on`), `cloudevents`, `geojson` (a map of territory).
        `progress(n)` is called as rows are read. `options` are the format's own (acled:
        `encoding`, `date_order`; ucdp: `known_on`, required; geojson: `claimant`, `controller`,
        `source`, `on`, `region`); one the format does not take is refused."""
        self._check_writable()
        reader = formats.importer(format)
        given = {option: value for option, value in options.items() if value is not None}
        for option in given:
            if option not in reader.options:
                takes = [name for name, each in formats.importers().items() if option in each.options]
                raise BadArgument(
                    f"{{{option}}} is an option of --format {' or '.join(takes) or 'no format'}, not {format}"
                )
        with _input(source, name, reader.what) as (stream, label):
            return reader.read(self.store, stream, label, expected_head, progress, **given)

    def import_jsonl(self, source: str | os.PathLike[str] | IO[bytes], **options: Any) -> AppendResult:
        """`import_file(source, "jsonl", ...)`: a published copy into an empty log makes a replica."""
        result: AppendResult = self.import_file(source, "jsonl", **options)
        return result

    def import_acled(self, source: str | os.PathLike[str] | IO[bytes], **options: Any) -> Any:
        """`import_file(source, "acled", ...)`: an ACLED CSV export, as history."""
        return self.import_file(source, "acled", **options)

    def import_ucdp(self, source: str | os.PathLike[str] | IO[bytes], known_on: dt.date, **options: Any) -> Any:
        """`import_file(source, "ucdp", known_on=...)`: a UCDP GED CSV known from `known_on`, as history."""
        return self.import_file(source, "ucdp", known_on=known_on, **options)

    # -- reading -----------------------------------------------------------------------------

    def events(
        self, *, kind: str | None = None, occurred_from: dt.date | None = None, occurred_to: dt.date | None = None
    ) -> Iterator[RecordedEvent]:
        """The log in append (seq) order, optionally narrowed."""
        if occurred_from and occurred_to and occurred_from > occurred_to:
            raise BadArgument(f"{{occurred_from}} {occurred_from} is after {{occurred_to}} {occurred_to}")
        return self.store.events(kind=kind, occurred_from=occurred_from, occurred_to=occurred_to)

    def log_as_known(self, as_of: dt.date | None = None, known_on: dt.date | None = None) -> Iterator[RecordedEvent]:
        """The log in seq order as it stood on `known_on`, up to `as_of`: a copy of it answers every
        snapshot within those bounds as this log does (retractions are kept by knowledge time alone)."""
        return replay.log_as_known(self.store, as_of, known_on)

    def visible_events(
        self, as_of: dt.date | None = None, known_on: dt.date | None = None, *, kind: str | None = None
    ) -> Iterator[RecordedEvent]:
        """The events the snapshot at (as_of, known_on) sees, in fold order, retractions left out
        (their targets are already hidden)."""
        as_of = as_of or self.last_day()
        if as_of is None:
            return
        for recorded in replay.visible_events(self.store, as_of, known_on, hidden=self._hidden(known_on)):
            if recorded.kind != "event.retracted" and (kind is None or recorded.kind == kind):
                yield recorded

    def export(
        self,
        format: str = "jsonl",
        stream: IO[str] | None = None,
        *,
        as_of: dt.date | None = None,
        known_on: dt.date | None = None,
    ) -> int:
        """Write the log, a snapshot's events or its map in a registered format (`formats`: jsonl,
        cloudevents, csv, timelinejs, geojson, datasette-metadata); returns how many items."""
        return formats.exporter(format).write(self, stream or sys.stdout, as_of, known_on)

    def export_to_file(self, path: str | os.PathLike[str], format: str = "jsonl", **snapshot: Any) -> int:
        """Export to `path` through a temporary file beside it, so a failed export leaves no half file
        and an export can never overwrite the log it reads."""
        return formats.export_to_file(self, path, format, **snapshot)

    # -- questions ---------------------------------------------------------------------------

    def bounds(self) -> LogBounds:
        """The log's first and last days, its last report and day 1, each an index lookup."""
        first, last, last_reported = self.store.bounds()
        story_start = self.store.first_day_of_kind(STORY_STARTS_WITH) if first else None
        return bounds_of(first, last, last_reported, story_start)

    def first_day(self) -> dt.date | None:
        return self.bounds().first_day

    def last_day(self) -> dt.date | None:
        return self.bounds().last_day

    def date_of_day(self, day: int) -> dt.date:
        """'Day N of the offensive' -> its date (day 1: the first border crossing, else the first day)."""
        return self.bounds().date_of_day(day)

    def state(
        self, as_of: dt.date | None = None, known_on: dt.date | None = None, *, use_checkpoints: bool = True
    ) -> Snapshot:
        """The state as of `as_of` (default: the last day in the log), knowing only what was reported by `known_on`.

        Read from the stored state, which the writes keep exact for every (as_of, known_on): one
        version per fact, nothing folded. `use_checkpoints=False` replays from the first event.
        """
        return self._state(as_of, known_on, use_checkpoints=use_checkpoints)

    def _state_pair(
        self, first: tuple[dt.date, dt.date | None], second: tuple[dt.date, dt.date | None]
    ) -> tuple[Snapshot, Snapshot]:
        """Two states in one view of the log (no write lands between them), the second reading
        only the values the first did not (two days a week apart share half their facts)."""
        shared: dict[int, Encoded] = {}
        with self.store.read_transaction():
            return self._state(*first, shared=shared), self._state(*second, shared=shared)

    def _state(
        self,
        as_of: dt.date | None,
        known_on: dt.date | None,
        *,
        use_checkpoints: bool = True,
        shared: dict[int, Encoded] | None = None,
    ) -> Snapshot:
        with self.store.read_transaction():
            bounds = self.bounds()
            as_of = as_of or bounds.last_day or dt.date.today()
            knowledge = bounds.knowledge(known_on)
            stored = self.checkpoints.state(as_of, knowledge, shared) if use_checkpoints else None
            if stored is not None:
                return Snapshot(as_of, known_on, bounds.day_number(as_of), stored.events_applied, stored.states)
            states = replay.initial_states()
            days = replay.fold_visible(states, self.store, as_of, knowledge, hidden=self._hidden(knowledge))
            states, folded = replay.last_of(days, states)
        return Snapshot(as_of, known_on, bounds.day_number(as_of), folded, states, folded=folded)

    def _hidden(self, known_on: dt.date | None) -> frozenset[str]:
        """The retracted event ids for `known_on`, cached until the log grows."""
        key = (self.store.count(), known_on)
        if self._hidden_cache is None or self._hidden_cache[0] != key:
            self._hidden_cache = (key, replay.hidden_event_ids(self.store, known_on))
        return self._hidden_cache[1]

    def checkpoint(self) -> int:
        """Rebuild the stored state from the first event (the writes keep it up to date; this
        repairs it after `clear`). Returns how many fact versions there are."""
        self._check_writable()
        return self.checkpoints.rebuild()

    def diff(
        self, before: dt.date, after: dt.date, known_on: dt.date | None = None, *, with_events: bool = True
    ) -> Diff:
        """What changed from the end of day `before` to the end of day `after`, and which events did it.

        `events` lists every event that occurred in between, read from the log as it is iterated
        (O(events in the range), never held in memory); `with_events=False` leaves it empty.
        """
        if before > after:
            raise BadInput(f"the first day ({before.isoformat()}) is after the second ({after.isoformat()})")
        start, end = self._state_pair((before, known_on), (after, known_on))
        between: Collection[RecordedEvent] = ()
        if with_events:
            knowledge = self.bounds().knowledge(known_on)
            between = replay.EventList(self.store, before, after, knowledge, self._hidden(knowledge))
        return Diff.between(start, end, between, polygon=self.polygon)

    def polygon(self, event_id: str) -> MultiPolygonCoordinates | None:
        """The coordinates of the polygon a `territory.mapped` event carries or names (None if none)."""
        return geometry.polygon_of(self.store, event_id)

    def why(
        self, path: str, as_of: dt.date | None = None, known_on: dt.date | None = None
    ) -> tuple[Fact, list[RecordedEvent]]:
        """The fact at `path` (e.g. 'settlements.Sudzha') and the events it came from."""
        fact = self.state(as_of, known_on).fact(path)
        events = []
        for event_id in fact.event_ids:
            recorded = self.store.get(event_id)
            if recorded is None:
                # Facts are folded from logged events, so only a damaged checkpoint (a cache that the
                # hash chain does not cover) can cite an event that is not in the log.
                raise NotATimeline(
                    f"{self.store.label}: {path} rests on event {event_id!r}, which is not in the log: "
                    "a checkpoint is damaged (`timeline checkpoint --clear` drops them all)"
                )
            events.append(recorded)
        return fact, events

    def learned(self, from_known: dt.date, to_known: dt.date, as_of: dt.date | None = None) -> Learned:
        """What became known about day `as_of` (default: the log's last day) between the knowledge
        days `from_known` and `to_known`: each fact that changed, and the events reported,
        withdrawn or restored in between (`timeline.knowledge`)."""
        as_of = as_of or self.last_day() or dt.date.today()
        before, after = self._state_pair((as_of, from_known), (as_of, to_known))
        return knowledge.learned(self.store, before, after, from_known, to_known)

    def history(self, path: str, *, valid_from: dt.date | None = None, valid_to: dt.date | None = None) -> History:
        """Every version of the fact at `path` on both axes: valid from, known from (and until),
        its value and events, and which of them were later withdrawn (`timeline.knowledge`)."""
        with self.store.read_transaction():
            listing = self.history_listing(path, valid_from=valid_from, valid_to=valid_to)
            return History(listing.path, tuple(listing))

    def history_listing(
        self, path: str, *, valid_from: dt.date | None = None, valid_to: dt.date | None = None
    ) -> HistoryListing:
        """`history` read as it is iterated, a page of versions at a time (a fact with thousands of
        versions); iterate it inside `store.read_transaction()` for one view of the log."""
        if not self.checkpoints.usable():
            raise NotATimeline(
                f"{self.store.label}: its stored state is not up to date; a write (or `checkpoint`) builds it"
            )
        return knowledge.history(self.store, self.checkpoints, path, valid_from=valid_from, valid_to=valid_to)

    def days(self, known_on: dt.date | None = None) -> Iterator[DaySummary]:
        """One summary per day from the first event to the last, in one pass (`timeline.days`)."""
        bounds = self.bounds()
        return day_summaries(self.store, self.checkpoints, bounds, known_on, self._hidden(bounds.knowledge(known_on)))

    # -- proofs, copies, following -------------------------------------------------------------

    def verify(
        self, trust: Ed25519PublicKey | None = None, *, quick: bool = False, decode: bool = False
    ) -> VerifyReport:
        """Read every row and report every finding (`timeline.integrity`): content against hash,
        links, the recorded head, the append-only triggers, the signed heads; with a trusted public
        key, also the heads that key signed. `quick` re-hashes only the rows after the head an
        earlier intact check recorded; `decode` also decodes every event."""
        return integrity.verify(self.store, trust, quick=quick, decode=decode)

    @staticmethod
    def verify_export(path: str | os.PathLike[str], trust: Ed25519PublicKey | None = None) -> VerifyReport:
        """Check an exported file (JSONL or CloudEvents) as `verify` checks a log."""
        return integrity.verify_export(path, trust)

    def sign(self, private_key: Ed25519PrivateKey) -> SignedHead:
        """Sign the log's current head (seq, hash, time) and keep the signature in the log."""
        self._check_writable()
        return integrity.sign(self.store, private_key)

    def copy_to(self, target: str | os.PathLike[str]) -> CopyResult:
        """Copy the whole log (ids, seqs, recording times, hashes and signed heads) into the store
        at `target`, created if need be, its checkpoints kept as by any write."""
        if (
            self.store.path is not None
            and not is_postgres_url(target)
            and Path(target).resolve() == self.store.path.resolve()
        ):
            raise BadInput(f"{target}: is the log being copied; copy to another database")
        with Timeline.init(target) as destination:
            return integrity.copy_rows(self.store, destination.store)

    def follow(self, **options: Any) -> Iterator[RecordedEvent]:
        """The log in append order, then each event as it is appended (by any writer), forever; or
        until `max_events` have come, or none has for `idle_timeout` seconds. Options: kind,
        occurred_from, occurred_to, max_events, idle_timeout (`replay.follow`)."""
        return replay.follow(self.store, **options)


@contextlib.contextmanager
def _input(source: str | os.PathLike[str] | IO[bytes], name: str | None, what: str) -> Iterator[tuple[IO[bytes], str]]:
    """A binary stream to import from, and the name errors give it."""
    if not isinstance(source, (str, os.PathLike)):
        yield source, name or "<stream>"
        return
    path = Path(source)
    if path.is_dir():
        raise BadEvent(f"is a directory, not {what}", where=str(path))
    try:
        stream: IO[bytes] = path.open("rb")
    except OSError as exc:
        raise BadEvent(f"cannot read: {exc.strerror}", where=str(path)) from None
    with stream:
        yield stream, name or str(path)
