"""The questions of knowledge time: what became known between two knowledge days (`learned`), and
how one fact evolved on both axes (`history`).

`learned` compares one valid day as known on two days: every fact whose value differs, with the
events behind it, and the events that became known (were reported), were withdrawn (a retraction
became known) or were restored (a retraction of a retraction became known) in between.

`history` lists every version of one fact: the valid day it holds from, the knowledge day it was
known from (and until), its value, the events it rests on, and whether any of them was later
withdrawn. Each version's value is the fact's value in the state at (valid_from, known_from).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence

import attrs

from events.envelope import RecordedEvent
from timeline import replay
from timeline.checkpoints import Checkpoints, knowledge_text, parse_key
from timeline.checkpoints.visibility import Retractions, visible_at
from timeline.diff import AreaChange, Change, area_changes, diff_snapshots
from timeline.errors import BadArgument
from timeline.geometry import polygon_of
from timeline.projectors import PROJECTORS
from timeline.projectors.base import Fact, FactKey
from timeline.snapshot import Snapshot, fact_path
from timeline.store import EventStore, RowQuery
from timeline.store.fact_tables import OPEN, Version

REPORTED, WITHDRAWN, RESTORED = "reported", "withdrawn", "restored"
RETRACTION = "event.retracted"


@attrs.frozen
class LearnedEvent:
    """An event and how it was learned (REPORTED, WITHDRAWN or RESTORED between the two days);
    the event itself is read from the log when first asked for (a week's news about a day can be
    thousands of events, of which a table shows twenty: a million-row log's refresh, 51,000)."""

    seq: int
    how: str
    event_id: str
    _store: EventStore = attrs.field(repr=False, eq=False)

    @functools.cached_property
    def recorded(self) -> RecordedEvent:
        found = self._store.get(self.event_id)
        assert found is not None  # it was just read from the log, which only grows
        return found


@attrs.frozen
class Learned:
    as_of: dt.date
    from_known: dt.date
    to_known: dt.date
    before: Snapshot
    after: Snapshot
    changes: tuple[Change, ...]
    events: tuple[LearnedEvent, ...]
    areas: tuple[AreaChange, ...] = ()  # what each changed map gained and lost, measured


def learned(
    store: EventStore,
    before: Snapshot,
    after: Snapshot,
    from_known: dt.date,
    to_known: dt.date,
) -> Learned:
    """What became known about `before.as_of` between the two knowledge days (the snapshots are
    that day as known on each)."""
    if from_known > to_known:
        raise BadArgument(f"{{from_known}} {from_known} is after {{to_known}} {to_known}")
    as_of = after.as_of
    events = tuple(_learned_events(store, as_of, from_known, to_known))
    changes = diff_snapshots(before, after)
    areas = area_changes(changes, functools.partial(polygon_of, store))
    return Learned(as_of, from_known, to_known, before, after, changes, events, areas)


def _learned_events(
    store: EventStore, as_of: dt.date, from_known: dt.date, to_known: dt.date
) -> Iterator[LearnedEvent]:
    """The events reported in (from_known, to_known] that occurred by `as_of`, and the older ones
    whose visibility changed in between, in seq order."""
    first, last = from_known.isoformat(), to_known.isoformat()
    retractions = Retractions(store.retractions())
    found: dict[int, LearnedEvent] = {
        seq: LearnedEvent(seq, REPORTED, event_id, store)
        for seq, event_id in _reported_between(store, as_of, first, last)
    }
    # Retractions act whatever day they occurred on: those reported in between, and what they reach.
    # Only their ids and places are read here (a download's corrections are thousands of them);
    # an event itself is read when it is listed.
    window = RowQuery(columns=("seq", "event_id"), kinds=frozenset([RETRACTION]), known_on=last, reported_after=first)
    acting = [(int(seq), str(event_id)) for seq, event_id in store.row_values(window)]
    chains: dict[str, list[str]] = {}
    for _, retraction_id in acting:
        members = chains[retraction_id] = []
        target = retractions.target_of.get(retraction_id)
        while target is not None and target not in members:
            members.append(target)
            target = retractions.target_of.get(target)
    # Every member of every chain looked up at once: (seq, occurred_on, reported_on) by id.
    logged = {
        str(event_id): (int(seq), str(day), str(reported))
        for seq, event_id, day, reported in store.lookup_ids(
            sorted({member for members in chains.values() for member in members}),
            columns=("seq", "event_id", "occurred_on", "reported_on"),
        )
    }
    last_day = as_of.isoformat()
    for retraction_seq, retraction_id in acting:
        changed = False
        for member in chains[retraction_id]:
            place = logged.get(member)
            if place is None or place[1] > last_day or place[2] > first:
                continue  # after the day asked about, or reported in between (listed as such)
            steps = retractions.steps(member, place[2])
            then, now = visible_at(steps, first), visible_at(steps, last)
            if then != now:
                found[place[0]] = LearnedEvent(place[0], RESTORED if now else WITHDRAWN, member, store)
                changed = True
        if changed:
            found.setdefault(retraction_seq, LearnedEvent(retraction_seq, REPORTED, retraction_id, store))
    yield from (found[seq] for seq in sorted(found))


def _reported_between(store: EventStore, as_of: dt.date, first: str, last: str) -> Iterator[tuple[int, str]]:
    """(seq, event_id) of the events reported in (first, last] that occurred by `as_of`, not
    decoded (the log has an index on reported_on: a week's news costs that week's events)."""
    query = RowQuery(columns=("seq", "event_id"), occurred_until=as_of.isoformat(), known_on=last, reported_after=first)
    for seq, event_id in store.row_values(query):
        yield int(seq), str(event_id)


# -- history ---------------------------------------------------------------------------------


@attrs.frozen
class FactVersion:
    valid_from: dt.date
    known_from: dt.date
    known_to: dt.date | None  # None: still known
    value: Fact | None  # None: the fact is gone from that valid day on
    withdrawn: tuple[str, ...]  # the events it rests on that a retraction has since withdrawn


@attrs.frozen
class History:
    path: str
    versions: tuple[FactVersion, ...]


def resolve(checkpoints: Checkpoints, path: str) -> tuple[str, FactKey]:
    """The projector and key of a fact path (a key's parts may themselves hold dots)."""
    projector, _, rest = path.partition(".")
    if projector not in {candidate.name for candidate in PROJECTORS} or not rest:
        names = ", ".join(candidate.name for candidate in PROJECTORS)
        raise BadArgument(f"{{path}} {path!r} names no fact: a path starts with one of {names}, then its key")
    for text in checkpoints.tables.keys_named(projector).values():
        key = parse(text)
        if fact_path(projector, key) == path:
            return projector, key
    if next(candidate for candidate in PROJECTORS if candidate.name == projector).derives_facts:
        raise BadArgument(
            f"{{path}} {path!r} is not a stored fact: if it is one {projector} derives from its others "
            f"(a spread of figures), ask for the history of those ({projector}.claims...)"
        )
    raise BadArgument(f"{{path}} {path!r}: the log holds no such fact (see `timeline state` for the paths)")


def parse(text: str) -> FactKey:
    return parse_key(text)


def _superseded_on(rows: Sequence[Version], lowest: str) -> set[int]:
    """The positions of the versions that start before `lowest` and are not the one in force on it:
    a later version (by valid day) that starts by `lowest` shares some of their knowledge days.

    Rows come by valid day, then knowledge day; rows of one valid day hold disjoint knowledge
    days. So, walking back from the last row that starts by `lowest`, a row is superseded when
    its knowledge days meet those of the rows after it, kept as merged [from, to) intervals."""
    starts: list[str] = []  # the merged intervals of the rows walked, by start
    ends: list[str] = []
    superseded = set()
    last = bisect.bisect_right([row.valid_from for row in rows], lowest)
    for position in range(last - 1, -1, -1):
        row = rows[position]
        # The intervals that end after this one starts, and the first of them starts before it ends.
        first = bisect.bisect_right(ends, row.known_from)
        if row.valid_from < lowest and first < len(starts) and starts[first] < row.known_to:
            superseded.add(position)
        # Merge [known_from, known_to) into the intervals it meets or touches.
        low = bisect.bisect_left(ends, row.known_from)
        high = bisect.bisect_right(starts, row.known_to)
        start, end = row.known_from, row.known_to
        if low < high:
            start, end = min(start, starts[low]), max(end, ends[high - 1])
        starts[low:high], ends[low:high] = [start], [end]
    return superseded


# Versions whose values are read at a time by a listing: its memory is a page's, not the fact's.
HISTORY_PAGE = 500


@attrs.frozen
class HistoryListing:
    """`history` with each version's value read as it is iterated, a page at a time, each time:
    a region of a million-row ACLED log has 11,337 versions, and holding their decoded values took
    250 MB. Iterate it inside the read transaction it was made in, for one view of the log."""

    path: str
    count: int
    _versions: Callable[[], Iterator[FactVersion]] = attrs.field(repr=False, eq=False)

    def __iter__(self) -> Iterator[FactVersion]:
        return self._versions()

    def __len__(self) -> int:
        return self.count


def history(
    store: EventStore,
    checkpoints: Checkpoints,
    path: str,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> HistoryListing:
    """Every stored version of the fact at `path` whose valid day falls in [valid_from, valid_to]
    (the version in force on `valid_from` included)."""
    projector, key = resolve(checkpoints, path)
    rows = checkpoints.history(projector, key)
    assert rows is not None  # resolve() found the key in usable tables
    superseded = _superseded_on(rows, valid_from.isoformat()) if valid_from else set()
    last = valid_to.isoformat() if valid_to is not None else None
    kept = [
        row
        for position, row in enumerate(rows)
        if (last is None or row.valid_from <= last) and position not in superseded
    ]

    def versions() -> Iterator[FactVersion]:
        hidden = replay.hidden_event_ids(store, None)
        for start in range(0, len(kept), HISTORY_PAGE):
            page = kept[start : start + HISTORY_PAGE]
            for row, value in zip(page, checkpoints.values(projector, page), strict=True):
                fact = None if value is None else value.decode()
                event_ids = fact.event_ids if fact is not None else ()
                yield FactVersion(
                    dt.date.fromisoformat(row.valid_from),
                    dt.date.fromisoformat(row.known_from),
                    None if row.known_to == OPEN else dt.date.fromisoformat(row.known_to),
                    fact,
                    tuple(event_id for event_id in event_ids if event_id in hidden),
                )

    return HistoryListing(path, len(kept), versions)


__all__ = [
    "REPORTED",
    "RESTORED",
    "WITHDRAWN",
    "FactVersion",
    "History",
    "HistoryListing",
    "Learned",
    "LearnedEvent",
    "history",
    "knowledge_text",
    "learned",
    "resolve",
]
