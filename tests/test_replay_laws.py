"""The laws of replay, snapshots and diffs (DESIGN.md), as hypothesis properties."""

from __future__ import annotations

import datetime as dt
import itertools

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import AUGUST_2024, event_logs, events

from events.kinds import EventRetracted
from timeline.api import Timeline
from timeline.diff import apply_changes, diff_facts
from timeline.store import memory_store

DAYS = st.dates(min_value=AUGUST_2024[0] - dt.timedelta(days=1), max_value=AUGUST_2024[1])
KNOWN_ON = st.one_of(st.none(), DAYS)
LOGS = event_logs(min_size=1, max_size=25, window=AUGUST_2024, small_pools=True)


def timeline_of(log) -> Timeline:
    timeline = Timeline(memory_store())
    timeline.store.append(log)
    return timeline


def fold_order_preserving_reorder(log):
    """Another append order with the same fold order: days ascending, each day's events in their
    original relative order; retractions (which fold nothing) last, in their original order."""
    plain = [event for event in log if not isinstance(event.payload, EventRetracted)]
    retractions = [event for event in log if isinstance(event.payload, EventRetracted)]
    return sorted(plain, key=lambda event: event.occurred_on) + retractions


@given(LOGS, DAYS, KNOWN_ON)
def test_a_snapshot_depends_on_the_events_not_on_how_they_were_appended(log, as_of, known_on):
    # The same events in the same order, appended in one batch, or one at a time with the same
    # query after each: other transactions, other recording times, and what a query keeps (the
    # retracted ids; checkpoints, saved here after every event) made on a shorter log.
    at_once = timeline_of(log).state(as_of, known_on)
    one_by_one = Timeline(memory_store())
    one_by_one.auto_checkpoint_events = 1
    for event in log:
        one_by_one.append(event)
        one_by_one.state(as_of, known_on)
    answer = one_by_one.state(as_of, known_on)
    assert answer.facts() == at_once.facts()
    assert answer.to_json() == at_once.to_json()


@given(LOGS, DAYS, KNOWN_ON)
def test_append_order_within_the_fold_order_does_not_matter(log, as_of, known_on):
    appended_as_drawn = timeline_of(log).state(as_of, known_on)
    appended_by_day = timeline_of(fold_order_preserving_reorder(log)).state(as_of, known_on)
    assert appended_by_day.facts() == appended_as_drawn.facts()
    assert appended_by_day.events_applied == appended_as_drawn.events_applied


@given(LOGS, DAYS, KNOWN_ON)
def test_diff_of_a_snapshot_with_itself_is_empty(log, as_of, known_on):
    assert timeline_of(log).diff(as_of, as_of, known_on).changes == ()


@given(LOGS, KNOWN_ON)
def test_a_diff_is_empty_exactly_when_the_facts_are_equal(log, known_on):
    # Between every two of the days the log's events occurred on, and the day before the first:
    # pairs of snapshots that differ, and (with knowledge or retractions hiding events) pairs that do not.
    timeline = timeline_of(log)
    days = sorted(
        {event.occurred_on for event in log} | {min(event.occurred_on for event in log) - dt.timedelta(days=1)}
    )
    facts = {day: timeline.state(day, known_on).facts() for day in days}
    for a, b in itertools.product(days, repeat=2):
        changes = diff_facts(facts[a], facts[b])
        assert (changes == ()) == (facts[a] == facts[b])
        for change in changes:  # a path whose fact differs, with each side as it is
            assert change.before != change.after
            assert (change.before, change.after) == (facts[a].get(change.path), facts[b].get(change.path))
        assert apply_changes(facts[a], changes) == facts[b]
    # The diff between snapshots, which compares facts without decoding them, agrees.
    for a, b in itertools.pairwise(days):
        assert timeline.diff(a, b, known_on, with_events=False).changes == diff_facts(facts[a], facts[b])


@given(LOGS, DAYS, DAYS, KNOWN_ON)
def test_applying_diff_a_b_to_a_gives_b(log, day_a, day_b, known_on):
    day_a, day_b = sorted((day_a, day_b))
    timeline = timeline_of(log)
    diff = timeline.diff(day_a, day_b, known_on)
    a, b = timeline.state(day_a, known_on), timeline.state(day_b, known_on)
    assert diff.before.facts() == a.facts()
    assert diff.after.facts() == b.facts()
    assert apply_changes(a.facts(), diff.changes) == b.facts()
    # Between any two arbitrary days too, in either direction, at the level of facts.
    assert apply_changes(b.facts(), diff_facts(b.facts(), a.facts())) == a.facts()


@given(LOGS, DAYS, KNOWN_ON)
def test_every_fact_points_at_events_that_are_visible(log, as_of, known_on):
    timeline = timeline_of(log)
    snapshot = timeline.state(as_of, known_on)
    by_id = {event.event_id: event for event in log}
    for fact in snapshot.facts().values():
        assert fact.event_ids
        for event_id in fact.event_ids:
            event = by_id[event_id]
            assert event.occurred_on <= as_of
            assert known_on is None or event.reported_on <= known_on


@given(st.data())
def test_a_retraction_hides_its_target_once_known(data):
    log = data.draw(LOGS)
    candidates = [e for e in log if not isinstance(e.payload, EventRetracted)]
    assume(candidates)
    target = data.draw(st.sampled_from(candidates))
    assume(not any(isinstance(e.payload, EventRetracted) and e.payload.target_event_id == target.event_id for e in log))
    retraction = data.draw(events("event.retracted", window=AUGUST_2024))
    retraction = attrs.evolve(retraction, payload=attrs.evolve(retraction.payload, target_event_id=target.event_id))
    assume(retraction.event_id not in {e.event_id for e in log})
    as_of, known_on = data.draw(DAYS), data.draw(KNOWN_ON)

    with_retraction = timeline_of([*log, retraction]).state(as_of, known_on)
    ids_in_facts = {event_id for fact in with_retraction.facts().values() for event_id in fact.event_ids}
    if known_on is None or retraction.reported_on <= known_on:
        # Known: the snapshot is exactly the one of a log that never held the target.
        without_target = timeline_of([e for e in log if e.event_id != target.event_id])
        assert target.event_id not in ids_in_facts
        assert with_retraction.facts() == without_target.state(as_of, known_on).facts()
    else:
        # Not yet known: the retraction changes nothing.
        assert with_retraction.facts() == timeline_of(log).state(as_of, known_on).facts()


@given(LOGS, DAYS, DAYS, KNOWN_ON)
def test_events_applied_grows_with_as_of(log, day_a, day_b, known_on):
    day_a, day_b = sorted((day_a, day_b))
    timeline = timeline_of(log)
    assert timeline.state(day_a, known_on).events_applied <= timeline.state(day_b, known_on).events_applied


def test_retracting_a_retraction_restores_its_target():
    def record(event_id, kind, day, data, reported=None):
        return {
            "event_id": event_id,
            "kind": kind,
            "occurred_on": f"2024-08-{day:02d}",
            "reported_on": f"2024-08-{reported or day:02d}",
            "source": "Wire",
            "data": data,
        }

    timeline = Timeline(memory_store())
    timeline.append(
        record(
            "claim",
            "settlement.claimed",
            10,
            {"settlement": "Sudzha", "region": "Kursk Oblast", "status": "controlled", "claimant": "Ukraine"},
        )
    )
    timeline.append(record("withdrawn", "event.retracted", 12, {"target_event_id": "claim", "reason": "Wrong town."}))
    timeline.append(
        record(
            "withdrawal-withdrawn",
            "event.retracted",
            14,
            {"target_event_id": "withdrawn", "reason": "It was the right town."},
        )
    )
    day = dt.date(2024, 8, 20)
    assert "settlements.Sudzha" not in timeline.state(day, known_on=dt.date(2024, 8, 13)).facts()
    assert "settlements.Sudzha" in timeline.state(day, known_on=dt.date(2024, 8, 11)).facts()
    assert "settlements.Sudzha" in timeline.state(day).facts()
