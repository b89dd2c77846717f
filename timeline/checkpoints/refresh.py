"""`refresh`: the checkpoints brought up to date inside a write's transaction (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from timeline import replay
from timeline.errors import NotATimeline
from timeline.store.checkpoint_tables import CheckpointStore
from timeline.store.rows import EVENT_ID, KIND, OCCURRED_ON, REPORTED_ON, decode_replay_row

if TYPE_CHECKING:
    from timeline.store import EventStore
from timeline.checkpoints.chains import chain_of
from timeline.checkpoints.stored import Checkpoint, load
from timeline.checkpoints.writer import Writer


def _retraction_knowledge(store: EventStore) -> tuple[dict[str, str], dict[str, str]]:
    """For the knowledge days: (day -> latest reported_on of a retraction whose chain of targets
    reaches an event that occurred on that day or later, retraction id -> the earliest day its
    chain reaches). Every event of the chain counts, retracted retractions included: whether
    each of them is shown depends on the retractions known."""
    targets: dict[str, tuple[str, str]] = {
        event_id: (target, reported) for event_id, target, reported in store.retractions()
    }
    chains = {event_id: chain_of(event_id, targets) for event_id in targets}
    members = {member for chain in chains.values() for member in chain}
    days = {event_id: day for event_id, (_, day) in store.kinds_and_days(members).items()}
    latest: dict[str, str] = {}
    earliest_day: dict[str, str] = {}
    for event_id, chain in chains.items():
        reached = [days[member] for member in chain if member in days]
        if not reached:
            continue
        day = earliest_day[event_id] = min(reached)
        reported = targets[event_id][1]
        if reported > latest.get(day, ""):
            latest[day] = reported
    return latest, earliest_day


def _first_changed_day(
    store: EventStore, earliest_day: str, head_before: int, retractions: Iterable[str], subject_day: dict[str, str]
) -> str:
    """The first day whose checkpoint a write changed: its earliest event, and for retractions the
    days of the events whose visibility changed and of the events their chains reach."""
    new = list(retractions)
    if not new:
        return earliest_day
    changed = replay.hidden_event_ids(store, None, up_to_seq=head_before) ^ replay.hidden_event_ids(store, None)
    days = [day for _, day in store.kinds_and_days(changed).values()]
    days += [subject_day[event_id] for event_id in new if event_id in subject_day]
    return min([earliest_day, *days])


def refresh(
    store: EventStore, earliest_day: str | None, *, head_before: int | None, retractions: Iterable[str] = ()
) -> None:
    """Bring the checkpoints up to date after a write (inside its transaction).

    `earliest_day` is the first day the write added an event to (None: rebuild all), `head_before`
    the log's head before it and `retractions` the ids of the retractions it added.
    """
    tables = store.checkpoint_tables
    tables.forget_cached_ids()
    retractions = list(retractions)
    # Up to date before the write: a small write patches them, a larger one refolds from its first day.
    up_to_date = earliest_day is not None and head_before is not None and tables.head() == head_before
    if up_to_date and head_before is not None:
        from timeline.checkpoints.patch import patch  # it builds on this module

        if patch(store, head_before, retractions):
            tables.set_head(store.count())
            return
    extra_knowledge, subject_day = _retraction_knowledge(store)
    start: Checkpoint | None = None
    first = ""  # rebuild from the first event, unless the checkpoints were up to date before the write
    if up_to_date and earliest_day is not None and head_before is not None:
        first = _first_changed_day(store, earliest_day, head_before, retractions, subject_day)
        row = tables.before(first)
        start = load(tables, row) if row else None
        if row is not None and start is None:
            first = ""  # written by another version: rebuild them all
    deleted = tables.delete_from(first)
    _fold_and_save(store, tables, start, extra_knowledge)
    tables.set_head(store.count())
    if deleted:
        tables.collect_garbage()


def _fold_and_save(
    store: EventStore, tables: CheckpointStore, start: Checkpoint | None, extra_knowledge: dict[str, str]
) -> None:
    """Fold every event after `start` (or from the first), saving a checkpoint at the end of each day."""
    states = list(start.states if start else replay.initial_states())
    applied = start.events_applied if start else 0
    knowledge = start.knowledge_day.isoformat() if start and start.knowledge_day else ""
    hidden = replay.hidden_event_ids(store, None)
    dispatch = replay.dispatch_table()
    known_kinds = replay.known_kinds()
    writer = Writer(tables, start.states if start else None)
    last = store.bounds()[1]
    if last is None:
        return
    day: str | None = None
    for row in store.rows_in_fold_order(until=last, after=start.as_of if start else None):
        if row[OCCURRED_ON] != day:
            if day is not None:
                knowledge = max(knowledge, extra_knowledge.get(day, ""))
                writer.save(day, applied, knowledge, states)
            day = row[OCCURRED_ON]
        if row[REPORTED_ON] > knowledge:
            knowledge = row[REPORTED_ON]
        if row[EVENT_ID] in hidden:
            continue
        applied += 1
        appliers = dispatch.get(row[KIND])
        if not appliers:
            if row[KIND] not in known_kinds:
                raise NotATimeline(f"event {row[EVENT_ID]}: kind {row[KIND]!r} is unknown to this version of timeline")
            continue
        event = decode_replay_row(row)
        for index, apply in appliers:
            states[index] = apply(states[index], event)
    if day is not None:
        writer.save(day, applied, max(knowledge, extra_knowledge.get(day, "")), states)
    writer.flush()
