"""The public Python API: `Timeline`. The CLI is a thin shell over these methods."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from importlib import resources
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from events.codec import event_from_record
from events.envelope import Event, RecordedEvent
from events.errors import InvalidEvent
from timeline.errors import BadEvent, ReadOnlyTimeline
from timeline.jsonl import read_events, write_events
from timeline.store import AppendResult, EventStore, VerifyReport

BUNDLED_DATASET = "kursk-2024.jsonl"


class Timeline:
    """An event log and the questions asked of it."""

    def __init__(self, store: EventStore, *, read_only_reason: str | None = None):
        self.store = store
        self._read_only_reason = read_only_reason

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike) -> "Timeline":
        """Create an empty log at `path` (an existing timeline is opened unchanged)."""
        return cls(EventStore.create(path))

    @classmethod
    def open(cls, path: str | os.PathLike, *, read_only: bool = False) -> "Timeline":
        return cls(EventStore.open(path, writable=not read_only))

    @classmethod
    def bundled(cls, name: str = BUNDLED_DATASET) -> "Timeline":
        """The bundled dataset, loaded into memory. It is read-only: copy it with `export` to extend it."""
        store = EventStore.in_memory(label=f"bundled {name}")
        source = resources.files("timeline") / "datasets" / name
        with source.open("rb") as stream:
            store.append(read_events(stream, name))
        store.writable = False
        return cls(store, read_only_reason=f"the bundled {name} is read-only; use --db (or TIMELINE_DB) to write a log of your own")

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Timeline":
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
        source: str | os.PathLike | IO[bytes],
        *,
        name: str | None = None,
        expected_head: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append every event of a JSONL file (or binary stream), all or nothing."""
        self._check_writable()
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if path.is_dir():
                raise BadEvent("is a directory, not a JSONL file", where=str(path))
            try:
                stream: IO[bytes] = path.open("rb")
            except OSError as exc:
                raise BadEvent(f"cannot read: {exc.strerror}", where=str(path)) from None
            with stream:
                return self.store.append(read_events(stream, name or str(path)), expected_head=expected_head, on_batch=progress)
        return self.store.append(read_events(source, name or "<stream>"), expected_head=expected_head, on_batch=progress)

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
            raise BadEvent(f"--from {occurred_from} is after --to {occurred_to}")
        return self.store.events(kind=kind, occurred_from=occurred_from, occurred_to=occurred_to)

    def export_jsonl(self, stream: IO[str] | None = None) -> int:
        """Write the log as importable JSONL, in seq order; returns the number of events."""
        return write_events((recorded.event for recorded in self.store.events()), stream or sys.stdout)

    def verify(self) -> VerifyReport:
        return self.store.verify()

    def __len__(self) -> int:
        return self.store.count()


def exported_text(timeline: Timeline) -> str:
    buffer = io.StringIO()
    timeline.export_jsonl(buffer)
    return buffer.getvalue()
