"""The edge: readers and writers of other tools' formats, one module per format, registered by name.

A format module registers what it offers (`register_exporter`, `register_importer`) when it is
imported; `exporter(name)` and `importer(name)` import every module of this package the first
time one is asked for, so adding a format is adding one module. Exporters read through the
public API's reading side (`Readable`: `Timeline` is one), importers write through the store.

The core (store, replay, projectors, snapshot, diff) never imports this package; formats use the
core, never each other's internals. This module itself stays light: the CLI imports it for the
format names before any command runs.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol

from timeline.errors import BadInput

if TYPE_CHECKING:
    from events.envelope import RecordedEvent
    from timeline.snapshot import Snapshot
    from timeline.store import EventStore

# Named here as well as by each module, so the CLI can offer them without loading the engine
# (a test checks the two agree).
EXPORT_FORMATS = ("jsonl", "cloudevents", "csv", "geojson", "timelinejs", "datasette-metadata")
IMPORT_FORMATS = ("jsonl", "acled", "acled-deleted", "ucdp", "cloudevents", "geojson")


class Readable(Protocol):
    """What an exporter reads: the reading side of the public API."""

    @property
    def store(self) -> EventStore: ...

    def state(self, as_of: dt.date | None = None, known_on: dt.date | None = None) -> Snapshot: ...

    def visible_events(
        self, as_of: dt.date | None = None, known_on: dt.date | None = None, *, kind: str | None = None
    ) -> Iterator[RecordedEvent]: ...

    def log_as_known(
        self, as_of: dt.date | None = None, known_on: dt.date | None = None
    ) -> Iterator[RecordedEvent]: ...

    def last_day(self) -> dt.date | None: ...


class Exporter(NamedTuple):
    name: str
    items: str  # what its count counts: "events", "features"...
    # (what to read, where to write, as_of, known_on) -> how many items were written
    write: Callable[[Readable, IO[str], dt.date | None, dt.date | None], int]


class Importer(NamedTuple):
    name: str
    what: str  # the file it takes, for messages: "a JSONL file"
    # (the store, the stream, its name in errors, expected head, progress, **options) -> the
    # import's result; `options` names the keyword options it takes beyond the file (acled:
    # encoding, date_order; geojson: claimant, controller...).
    read: Callable[..., Any]
    options: tuple[str, ...] = ()


_EXPORTERS: dict[str, Exporter] = {}
_IMPORTERS: dict[str, Importer] = {}
_discovered = False


def register_exporter(exporter_: Exporter) -> None:
    _EXPORTERS[exporter_.name] = exporter_


def register_importer(importer_: Importer) -> None:
    _IMPORTERS[importer_.name] = importer_


def _discover() -> None:
    global _discovered
    if not _discovered:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _discovered = True


def exporters() -> dict[str, Exporter]:
    _discover()
    return dict(_EXPORTERS)


def importers() -> dict[str, Importer]:
    _discover()
    return dict(_IMPORTERS)


def exporter(name: str) -> Exporter:
    found = exporters().get(name)
    if found is None:
        raise BadInput(f"unknown export format {name!r} (known: {', '.join(sorted(_EXPORTERS))})")
    return found


def importer(name: str) -> Importer:
    found = importers().get(name)
    if found is None:
        raise BadInput(f"unknown import format {name!r} (known: {', '.join(sorted(_IMPORTERS))})")
    return found


def export_to_file(
    source: Readable,
    path: str | os.PathLike[str],
    format: str,
    *,
    as_of: dt.date | None = None,
    known_on: dt.date | None = None,
) -> int:
    """Export to `path` through a temporary file beside it, so a failed export leaves no half file
    and an export can never overwrite the log it reads."""
    from timeline.files import replaced_atomically

    target = Path(path)
    database = source.store.path
    if database is not None and target.resolve() in {
        Path(f"{database.resolve()}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")
    }:
        raise BadInput(f"{target}: is the timeline database itself; export to another file")
    # newline="": the CSV writer ends its rows itself (RFC 4180's CRLF).
    with replaced_atomically(target, newline="") as stream:
        return exporter(format).write(source, stream, as_of, known_on)
