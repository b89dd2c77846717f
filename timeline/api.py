"""The public Python API: `Timeline`. The CLI is a thin shell over these methods."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import itertools
import os
import sys
from collections.abc import Callable, Collection, Iterator
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from events.codec import event_from_record
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from timeline import checkpoints, gazetteer, replay
from timeline.checkpoints import Checkpoints
from timeline.diff import Change, Diff, changed_between, diff_snapshots
from timeline.errors import BadEvent, BadInput, ChainBroken, NotATimeline, ReadOnlyTimeline
from timeline.files import replaced_atomically
from timeline.formats import EXPORT_FORMATS, acled, cloudevents, csv_table, datasette, geojson, timelinejs
from timeline.formats.acled_history import AcledImport, AcledImportResult
from timeline.formats.jsonl import read_records, write_events
from timeline.formats.published import published_rows, read_lines, write_published
from timeline.integrity import signing
from timeline.integrity.verify import VerifyReport, failed, verify_log
from timeline.projectors.base import Fact, State
from timeline.snapshot import Snapshot
from timeline.store import (
    AppendResult,
    CopyResult,
    EventStore,
    RowQuery,
    create_store,
    is_postgres_url,
    memory_store,
    open_store,
)
from timeline.store.rows import decode_row
from timeline.store.signed import SignedHead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

BUNDLED_DATASET = "kursk-2024.jsonl"
# When the bundled dataset was compiled: its events carry this recording time, so the bundled
# log has the same hash chain (and `verify` the same head hash) on every machine.
BUNDLED_RECORDED_AT = "2026-11-25T00:00:00+00:00"
# "Day 1" of a log is the day of its first event of this kind (an offensive's border crossing),
# else its first day.
STORY_STARTS_WITH = "border.crossed"


@attrs.frozen
class LogBounds:
    first_day: dt.date | None
    last_day: dt.date | None
    last_reported: dt.date | None
    day_one: dt.date | None  # the first border crossing, else the first day


@attrs.frozen
class DaySummary:
    day: int | None
    date: dt.date
    event_count: int  # events that occurred that day (and that the snapshot sees)
    changed: tuple[str, ...]  # paths of the facts that changed by the end of the day
    _read_events: Callable[[], Iterator[RecordedEvent]] = attrs.field(repr=False, eq=False)
    _read_event_ids: Callable[[], Iterator[str]] = attrs.field(repr=False, eq=False)
    _read_changes: Callable[[], tuple[Change, ...]] = attrs.field(repr=False, eq=False, default=lambda: ())

    @property
    def events(self) -> Iterator[RecordedEvent]:
        """The day's events, read from the log now (a summary does not hold them)."""
        return self._read_events()

    @property
    def event_ids(self) -> Iterator[str]:
        """The ids of the day's events in fold order, read from the log now without decoding them."""
        return self._read_event_ids()

    @property
    def changes(self) -> tuple[Change, ...]:
        """The changes behind `changed`, with the facts before and after (decoded now)."""
        return self._read_changes()


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


class Timeline:
    """An event log and the questions asked of it."""

    def __init__(self, store: EventStore, *, read_only_reason: str | None = None):
        self.store = store
        # The composition root: the store keeps the checkpoints exact by calling their upkeep
        # inside every write's transaction, without knowing what they are.
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
        store = memory_store(label=f"bundled {name}")
        bundled = cls(
            store,
            read_only_reason=f"the bundled {name} is read-only; use --db (or TIMELINE_DB) to write a log of your own",
        )
        source = resources.files("timeline") / "datasets" / name
        with source.open("rb") as stream:
            store.append(read_records(stream, name), recorded_at=BUNDLED_RECORDED_AT)
        store.writable = False
        return bundled

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Timeline:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- recording ---------------------------------------------------------------------------

    def append(
        self,
        event: Event | dict[str, Any] | None = None,
        *,
        expected_head: int | None = None,
        **fields: Any,
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

    def import_jsonl(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        *,
        name: str | None = None,
        expected_head: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append every event of a JSONL file (or binary stream), all or nothing.

        A published copy (an export that carries its hash chain and signed heads) imported into
        an empty log is a replica: the same seqs, recording times and hashes, and its signed
        heads, so `verify --trust` works on it. Into a log that has events, only its events are
        imported, as new ones."""
        self._check_writable()
        with _input(source, name, "a JSONL file") as (stream, label):
            signed_heads: list[SignedHead] = []
            lines = read_lines(stream, label, signed_heads)
            first = next(lines)
            pending = itertools.chain([first], lines)
            if first.chain is not None and self.store.count() == 0 and expected_head in (None, 0):
                copied = self.store.append_rows(published_rows(pending), _after(signed_heads))
                return AppendResult((), 0, copied.head, copied.copied, 1 if copied.copied else None)
            return self.store.append(
                ((line.event, line.where) for line in pending),
                expected_head=expected_head,
                on_batch=progress,
                keep_events=False,
            )

    def import_acled(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        *,
        name: str | None = None,
        expected_head: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AcledImportResult:
        """Import an ACLED CSV export (file or binary stream) as history, all or nothing.

        Only what changed since the log last heard of each row is appended (see
        `timeline.formats.acled_history`); the result counts new, updated, removed and unchanged
        rows. `progress(n)` is called as rows are read.
        """
        self._check_writable()
        with _input(source, name, "an ACLED CSV export") as (stream, label):
            plan = AcledImport(self.store, acled.read_rows(stream, label), progress=progress)
            appended = self.store.append(plan.events(), expected_head=expected_head, keep_events=False)
        return AcledImportResult(plan.counts(), appended)

    def _check_writable(self) -> None:
        if self._read_only_reason:
            raise ReadOnlyTimeline(self._read_only_reason)

    # -- reading -----------------------------------------------------------------------------

    def events(
        self,
        *,
        kind: str | None = None,
        occurred_from: dt.date | None = None,
        occurred_to: dt.date | None = None,
    ) -> Iterator[RecordedEvent]:
        """The log in append (seq) order, optionally narrowed."""
        if occurred_from and occurred_to and occurred_from > occurred_to:
            raise BadInput(f"--from {occurred_from} is after --to {occurred_to}")
        return self.store.events(kind=kind, occurred_from=occurred_from, occurred_to=occurred_to)

    def export_jsonl(self, stream: IO[str] | None = None) -> int:
        """Write the log as importable JSONL, in seq order; returns the number of events.
        A log with signed heads is written as a published copy (see `export`)."""
        return self.export("jsonl", stream)

    def import_cloudevents(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        *,
        name: str | None = None,
        expected_head: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append every CloudEvent (JSON, one per line) of a file or binary stream, all or nothing."""
        self._check_writable()
        with _input(source, name, "a CloudEvents JSON file") as (stream, label):
            return self.store.append(
                cloudevents.read(stream, label), expected_head=expected_head, on_batch=progress, keep_events=False
            )

    def log_as_known(self, as_of: dt.date | None = None, known_on: dt.date | None = None) -> Iterator[RecordedEvent]:
        """The log in seq order as it stood on `known_on`, up to `as_of`: a copy of it answers every
        snapshot within those bounds as this log does (retractions are kept by knowledge time alone)."""
        query = RowQuery(
            known_on=None if known_on is None else known_on.isoformat(),
            occurred_until=None if as_of is None else as_of.isoformat(),
            retractions_on_any_day=True,
        )
        for row in self.store.rows(query):
            yield decode_row(row)

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
        """Write the log (jsonl, cloudevents), a snapshot's events (csv, timelinejs), a snapshot's map
        (geojson) or the database's Datasette metadata; returns how many events, features or tables."""
        stream = stream or sys.stdout
        if format == "jsonl":
            if as_of is None and known_on is None:
                # The whole log of a signed log is a published copy: each line carries its place in
                # the hash chain, and a last line the signed heads, so a reader can check the copy
                # against the signer's public key (`verify_export`, or `verify --trust` on an import).
                with self.store.read_transaction():
                    signed_heads = self.store.signed_heads()
                    if signed_heads:
                        return write_published(self.store.rows(), signed_heads, stream)
            return write_events((recorded.event for recorded in self.log_as_known(as_of, known_on)), stream)
        if format == "cloudevents":
            with self.store.read_transaction():
                whole_log = as_of is None and known_on is None
                signed_heads = self.store.signed_heads() if whole_log else []
                return cloudevents.write(self.log_as_known(as_of, known_on), stream, signed_heads)
        if format == "csv":
            return csv_table.write(self.visible_events(as_of, known_on), stream)
        if format == "timelinejs":
            snapshot = f"as of {as_of or self.last_day()}" + (f", known on {known_on}" if known_on else "")
            title = f"{self.store.label}: the timeline {snapshot}"
            description = "Each event with its source; unverified claims are marked."
            return timelinejs.write(self.visible_events(as_of, known_on), title, description, stream)
        if format == "geojson":
            snapshot_at = self.state(as_of, known_on)
            incidents = self.visible_events(snapshot_at.as_of, known_on, kind="incident.reported")
            return geojson.write(snapshot_at, incidents, gazetteer.bundled(), stream)
        if format == "datasette-metadata":
            if as_of is not None or known_on is not None:
                raise BadInput("datasette-metadata describes the whole database: --as-of and --known-on do not apply")
            if self.store.path is None:
                raise BadInput("datasette-metadata describes a database file: name one with --db")
            return datasette.write(self.store.path.stem, self._datasets(), stream)
        raise BadInput(f"unknown export format {format!r} (known: {', '.join(EXPORT_FORMATS)})")

    def _datasets(self) -> tuple[str, ...]:
        names = {getattr(recorded.payload, "dataset", None) for recorded in self.store.events(kind="incident.reported")}
        return tuple(sorted(name for name in names if isinstance(name, str) and name))

    def export_to_file(
        self,
        path: str | os.PathLike[str],
        format: str = "jsonl",
        *,
        as_of: dt.date | None = None,
        known_on: dt.date | None = None,
    ) -> int:
        """Export to `path` through a temporary file beside it, so a failed export leaves no half file
        and an export can never overwrite the log it reads."""
        target = Path(path)
        if self.store.path is not None and target.resolve() in {
            Path(f"{self.store.path.resolve()}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")
        }:
            raise BadInput(f"{target}: is the timeline database itself; export to another file")
        # newline="": the CSV writer ends its rows itself (RFC 4180's CRLF).
        with replaced_atomically(target, newline="") as stream:
            return self.export(format, stream, as_of=as_of, known_on=known_on)

    # -- questions ---------------------------------------------------------------------------

    def bounds(self) -> LogBounds:
        """The log's first and last days and day 1, in one query (each an index lookup)."""
        first, last, last_reported = (dt.date.fromisoformat(value) if value else None for value in self.store.bounds())
        crossing = self.store.first_day_of_kind(STORY_STARTS_WITH) if first else None
        return LogBounds(first, last, last_reported, dt.date.fromisoformat(crossing) if crossing else first)

    def day_one(self) -> dt.date | None:
        """Day 1 of the story: the first border crossing, else the first event's day."""
        return self.bounds().day_one

    def first_day(self) -> dt.date | None:
        return self.bounds().first_day

    def last_day(self) -> dt.date | None:
        return self.bounds().last_day

    def date_of_day(self, day: int) -> dt.date:
        """'Day N of the offensive' -> its date (the crossing day is day 1)."""
        first = self.day_one()
        if first is None:
            raise BadInput("the log is empty, so it has no day 1")
        if day < 1:
            raise BadInput(f"--day must be 1 or more (day 1 is {first.isoformat()}), not {day}")
        try:
            return first + dt.timedelta(days=day - 1)
        except OverflowError:
            raise BadInput(f"--day {day} is past the end of the calendar") from None

    def day_number(self, day: dt.date, bounds: LogBounds | None = None) -> int | None:
        first = (bounds or self.bounds()).day_one
        return (day - first).days + 1 if first else None

    def state(
        self, as_of: dt.date | None = None, known_on: dt.date | None = None, *, use_checkpoints: bool = True
    ) -> Snapshot:
        """The state as of `as_of` (default: the last day in the log), knowing only what was reported by `known_on`.

        The fold starts from the latest checkpoint on or before `as_of` that is exact for
        `known_on` (the writes keep one for every day with events) and folds only the events
        after it. `use_checkpoints=False` replays from the first event.
        """
        with self.store.read_transaction():
            bounds = self.bounds()
            as_of = as_of or bounds.last_day or dt.date.today()
            knowledge = self._knowledge(known_on, bounds)
            start = self.checkpoints.nearest(as_of, knowledge) if use_checkpoints else None
            states, applied, after = (
                (start.states, start.events_applied, start.as_of) if start else (replay.initial_states(), 0, None)
            )
            days = replay.fold_visible(
                states, self.store, as_of, knowledge, hidden=self._hidden(knowledge), after=after
            )
            states, folded = replay.last_of(days, states)
        return Snapshot(as_of, known_on, self.day_number(as_of, bounds), applied + folded, states, folded=folded)

    @staticmethod
    def _knowledge(known_on: dt.date | None, bounds: LogBounds) -> dt.date | None:
        """`known_on`, or None when it admits every report in the log (full knowledge)."""
        last_reported = bounds.last_reported
        return None if known_on is None or last_reported is None or known_on >= last_reported else known_on

    def _hidden(self, known_on: dt.date | None) -> frozenset[str]:
        """The retracted event ids for `known_on`, cached until the log grows."""
        key = (self.store.count(), known_on)
        if self._hidden_cache is None or self._hidden_cache[0] != key:
            self._hidden_cache = (key, replay.hidden_event_ids(self.store, known_on))
        return self._hidden_cache[1]

    def checkpoint(self) -> int:
        """Rebuild the checkpoints from the first event (the writes keep them up to date; this
        repairs them after `clear`). Returns how many there are: one per day with events."""
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
        start, end = self.state(before, known_on), self.state(after, known_on)
        between: Collection[RecordedEvent] = ()
        if with_events:
            knowledge = self._knowledge(known_on, self.bounds())
            between = replay.EventList(self.store, before, after, knowledge, self._hidden(knowledge))
        return Diff.between(start, end, between)

    def why(
        self, path: str, as_of: dt.date | None = None, known_on: dt.date | None = None
    ) -> tuple[Fact, list[RecordedEvent]]:
        """The fact at `path` (e.g. 'settlements.Sudzha') and the events it came from."""
        facts = self.state(as_of, known_on).facts()
        if path not in facts:
            close = difflib.get_close_matches(path, list(facts), n=3, cutoff=0.5)
            hint = (
                f"; did you mean {' or '.join(close)}?"
                if close
                else f"; known paths start with {', '.join(sorted({p.split('.')[0] for p in facts})) or '(none)'}"
            )
            raise BadInput(f"no fact at {path!r} in that snapshot{hint}")
        fact = facts[path]
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

    # Above this many days, `days` lists only the days that have events.
    max_days_listed_in_full = 1_000

    def days(self, known_on: dt.date | None = None) -> Iterator[DaySummary]:
        """One summary per day from the first event to the last, in one pass.

        The state at the end of each day comes from its checkpoint while the checkpoints are exact
        for `known_on`; later days are folded. Nothing holds the log's events: a summary reads its
        day's events from the log when asked. A log whose events span more than
        `max_days_listed_in_full` days (a typo in a year can do that) gets a summary only for the
        days that have events.
        """
        bounds = self.bounds()
        first, last = bounds.first_day, bounds.last_day
        if first is None or last is None:
            return
        knowledge = self._knowledge(known_on, bounds)
        hidden = self._hidden(knowledge)
        every_day = (last - first).days < self.max_days_listed_in_full
        exact = [
            row
            for row in self.checkpoints.days(None, last)
            if knowledge is None or row.knowledge_day <= knowledge.isoformat()
        ]

        def ends_of_days() -> Iterator[tuple[dt.date, tuple[State, ...], int]]:
            start, applied, day = replay.initial_states(), 0, None
            for row, start in self.checkpoints.walk(exact):
                day, applied = dt.date.fromisoformat(row.as_of), row.events_applied
                yield day, start, applied
            for end_of_day, states, folded in replay.fold_visible(
                start, self.store, last, knowledge, hidden=hidden, after=day
            ):
                yield dt.date.fromisoformat(end_of_day), states, applied + folded

        previous = Snapshot(first, known_on, None, 0, replay.initial_states())
        # Derived facts (territory's spreads decode every claimant) are derived once per day.
        previous_facts = previous.projector_facts()
        applied_before = 0
        day = first
        for event_day, states, applied in ends_of_days():
            while every_day and day < event_day:
                yield DaySummary(self.day_number(day, bounds), day, 0, (), *self._day_events(day, knowledge, hidden))
                day += dt.timedelta(days=1)
            current = Snapshot(event_day, known_on, None, applied, states)
            current_facts = current.projector_facts()
            yield DaySummary(
                self.day_number(event_day, bounds),
                event_day,
                applied - applied_before,
                changed_between(previous_facts, current_facts),
                *self._day_events(event_day, knowledge, hidden),
                functools.partial(diff_snapshots, previous, current),
            )
            previous, previous_facts, applied_before = current, current_facts, applied
            if event_day == dt.date.max:
                return  # the calendar ends here
            day = event_day + dt.timedelta(days=1)

    def _day_events(
        self, day: dt.date, knowledge: dt.date | None, hidden: frozenset[str]
    ) -> tuple[Callable[[], Iterator[RecordedEvent]], Callable[[], Iterator[str]]]:
        """Readers of a day's events and of their ids, for a DaySummary to call when asked."""
        before = day - dt.timedelta(days=1)

        def events() -> Iterator[RecordedEvent]:
            return replay.visible_events(self.store, day, knowledge, hidden=hidden, after=before)

        def event_ids() -> Iterator[str]:
            rows = self.store.rows_in_fold_order(until=day, after=before, known_on=knowledge, columns=("event_id",))
            return (event_id for (event_id,) in rows if event_id not in hidden)

        return events, event_ids

    def verify(
        self, trust: Ed25519PublicKey | None = None, *, quick: bool = False, decode: bool = False
    ) -> VerifyReport:
        """Read every row and report every finding (`timeline.integrity.verify`): content against hash, links,
        the recorded head, the append-only triggers, the signed heads; with a trusted public key,
        also the heads that key signed. `quick` re-hashes only the rows after the head an earlier
        intact check recorded (each intact check records its head when the store can be
        written); `decode` also decodes every event."""
        report = verify_log(self.store, trusted=trust, quick=quick, decode=decode)
        if report.ok:
            self.store.record_verified(report.events, report.head_hash)
        return report

    @classmethod
    def verify_export(cls, path: str | os.PathLike[str], trust: Ed25519PublicKey | None = None) -> VerifyReport:
        """Check an exported file (JSONL or CloudEvents) as `verify` checks a log: its rows are
        rebuilt in memory from the chain they carry, and the first broken link is reported."""
        replica = cls(memory_store(label=str(path)))
        try:
            with Path(path).open("rb") as stream:
                signed_heads: list[SignedHead] = []
                rows = _exported_rows(stream, str(path), signed_heads)
                try:
                    replica.store.append_rows(rows, _after(signed_heads), check_signed_heads=False)
                except ChainBroken as exc:
                    count = exc.seq - 1
                    problem = f"{exc.where}: {exc.message}" if exc.where else exc.message
                    return failed(count, replica.store.hash_at(count) or "", exc.seq, problem)
            return replica.verify(trust)
        except OSError as exc:
            raise BadInput(f"{path}: cannot read: {exc.strerror}") from None
        finally:
            replica.close()

    # -- signing, copying, following ---------------------------------------------------------

    def sign(self, private_key: Ed25519PrivateKey) -> SignedHead:
        """Sign the log's current head (seq, hash, time) and keep the signature in the log."""
        self._check_writable()
        if len(self) == 0:
            raise BadInput(f"{self.store.label}: the log is empty, so it has no head to sign")
        return self.store.record_signed_head(lambda seq, hash_: signing.sign(private_key, seq, hash_))

    def copy_to(self, target: str | os.PathLike[str]) -> CopyResult:
        """Copy the whole log (ids, seqs, recording times, hashes and signed heads) into the store
        at `target`, created if need be. A target that holds the beginning of this log gets the
        rest; one that holds another log is refused, unchanged."""
        if (
            self.store.path is not None
            and not is_postgres_url(target)
            and Path(target).resolve() == self.store.path.resolve()
        ):
            raise BadInput(f"{target}: is the log being copied; copy to another database")
        destination = create_store(target)
        try:
            with self.store.read_transaction():
                rows = ((row, f"{self.store.label} seq {row['seq']}") for row in self.store.rows())
                return destination.append_rows(rows, self.store.signed_heads())
        finally:
            destination.close()

    def follow(
        self,
        *,
        kind: str | None = None,
        occurred_from: dt.date | None = None,
        occurred_to: dt.date | None = None,
        max_events: int | None = None,
        idle_timeout: float | None = None,
    ) -> Iterator[RecordedEvent]:
        """The log in append order, then each event as it is appended (by any writer), forever;
        or until `max_events` have come, or none has for `idle_timeout` seconds."""
        if max_events is not None and max_events <= 0:
            return
        seen = count = 0
        while True:
            head = self.store.count()
            for recorded in self.store.events(
                kind=kind, occurred_from=occurred_from, occurred_to=occurred_to, after_seq=seen, until_seq=head
            ):
                yield recorded
                count += 1
                if max_events is not None and count >= max_events:
                    return
            seen = head
            if not self.store.wait_for_append(seen, idle_timeout):
                return

    def __len__(self) -> int:
        return self.store.count()


def _exported_rows(
    stream: IO[bytes], name: str, signed_heads: list[SignedHead]
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The rows of an exported file that carries its hash chain: JSONL (a published copy) or CloudEvents."""
    first_line = stream.peek(1 << 16) if hasattr(stream, "peek") else b""
    if b'"specversion"' in first_line.split(b"\n", 1)[0]:
        yield from cloudevents.read_published(stream, name, signed_heads)
        return
    lines = read_lines(stream, name, signed_heads)
    first = next(lines)
    if first.chain is None:
        raise BadInput(f"{name}: its lines carry no hash chain (only the export of a signed log does)")
    yield from published_rows(itertools.chain([first], lines))


def _after(items: list[SignedHead]) -> Iterator[SignedHead]:
    """`items` as they are when iteration starts: the signed heads of a file are known only once
    its lines have been read, and `append_rows` reads the signed heads after the rows."""
    yield from items
