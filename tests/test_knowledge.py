"""`learned` and `history`: the questions of knowledge time.

Laws: what was learned between K1 and K2 about D is exactly the difference between D as known on
K1 and D as known on K2 (with the events that became known, were withdrawn or were restored in
between); each version `history` gives is the fact's value in the state at its (valid_from,
known_from), and the versions of a fact are all its values.
"""

from __future__ import annotations

import datetime as dt
import json

import helpers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AUGUST_2024, event_logs

from timeline import replay
from timeline.api import Timeline
from timeline.diff import diff_facts
from timeline.errors import BadInput
from timeline.knowledge import _superseded_on
from timeline.store import memory_store
from timeline.store.fact_tables import Version

DAYS = st.dates(min_value=AUGUST_2024[0] - dt.timedelta(days=1), max_value=AUGUST_2024[1])
LOGS = event_logs(min_size=1, max_size=20, window=AUGUST_2024, small_pools=True)
QUICK = settings(suppress_health_check=[HealthCheck.too_slow])


def timeline_of(log) -> Timeline:
    timeline = Timeline(memory_store())
    timeline.store.append(log)
    return timeline


@QUICK
@given(LOGS, DAYS, DAYS, DAYS)
def test_what_was_learned_is_the_difference_between_the_two_knowledge_days(log, as_of, first, second):
    first, second = sorted((first, second))
    timeline = timeline_of(log)
    result = timeline.learned(first, second, as_of)
    before = timeline.state(as_of, first, use_checkpoints=False)
    after = timeline.state(as_of, second, use_checkpoints=False)
    assert result.changes == diff_facts(before.facts(), after.facts())
    logged_by_k2 = {
        recorded.event_id for recorded in timeline.events() if recorded.reported_on <= second
    }  # what the log held by K2
    for item in result.events:
        recorded = item.recorded
        assert recorded.event_id in logged_by_k2
        # A retraction acts on the day asked about whatever day it occurred: anything else occurred by then.
        assert recorded.occurred_on <= as_of or recorded.kind == "event.retracted"
        if item.how == "reported":
            assert first < recorded.reported_on <= second
        else:
            assert recorded.reported_on <= first
            # Withdrawn: folded as known on K1, not on K2; restored: the other way round. A
            # retraction folds nothing itself: it is withdrawn when a retraction of it is known.
            if recorded.kind == "event.retracted":
                was = recorded.event_id not in replay.hidden_event_ids(timeline.store, first)
                now = recorded.event_id not in replay.hidden_event_ids(timeline.store, second)
            else:
                was = recorded.event_id in {r.event_id for r in timeline.visible_events(as_of, first)}
                now = recorded.event_id in {r.event_id for r in timeline.visible_events(as_of, second)}
            assert (was, now) == ((True, False) if item.how == "withdrawn" else (False, True))
    # And every event the two knowledge days fold differently is listed.
    then = {r.event_id for r in timeline.visible_events(as_of, first)}
    now = {r.event_id for r in timeline.visible_events(as_of, second)}
    listed = {item.recorded.event_id for item in result.events}
    assert then ^ now <= listed


@QUICK
@given(LOGS)
def test_every_version_of_a_fact_is_its_value_where_it_starts(log):
    timeline = timeline_of(log)
    derived = ("territory.spread", "territory.settlements_spread")  # derived from the claims: no history
    paths = {path for path in timeline.state().facts() if not path.startswith(derived)}
    paths |= {
        path
        for recorded in timeline.events()
        for path in timeline.state(recorded.occurred_on, recorded.reported_on).facts()
        if not path.startswith(derived)
    }
    for path in sorted(paths):
        history = timeline.history(path)
        assert history.versions
        for version in history.versions:
            state = timeline.state(version.valid_from, version.known_from, use_checkpoints=False)
            assert state.facts().get(path) == version.value, (path, version)
        # And a value the fact had at any day it changed is one of its versions.
        values = [version.value for version in history.versions]
        for recorded in timeline.events():
            fact = timeline.state(recorded.occurred_on, recorded.reported_on).facts().get(path)
            assert fact in values or fact is None


@pytest.fixture(scope="module")
def kursk() -> Timeline:
    return Timeline.bundled()


def test_the_kyiv_figure_reported_four_days_late_is_learned_on_the_16th(kursk):
    result = kursk.learned(dt.date(2024, 8, 12), dt.date(2024, 8, 16), dt.date(2024, 8, 12))
    assert "territory.claims.Ukraine" in [change.path for change in result.changes]
    learned = {item.recorded.event_id: item.how for item in result.events}
    assert learned.get("k24-2024-08-12-kyiv-more-than-1000-km2") == "reported"


def test_nothing_is_learned_between_a_day_and_itself(kursk):
    result = kursk.learned(dt.date(2024, 8, 14), dt.date(2024, 8, 14))
    assert result.changes == () and result.events == ()


def test_a_retraction_learned_later_withdraws_and_its_own_retraction_restores(tmp_path):
    with Timeline.init(tmp_path / "log.db") as timeline:
        timeline.append(helpers.statement("base", "2024-08-10", source="S"))
        timeline.append(
            kind="settlement.claimed",
            event_id="claim",
            occurred_on="2024-08-10",
            source="Press",
            data={"settlement": "Sudzha", "region": "Kursk Oblast", "status": "fighting", "claimant": "Press"},
        )
        timeline.append(
            kind="event.retracted",
            event_id="no",
            occurred_on="2024-08-12",
            source="Press",
            data={"target_event_id": "claim", "reason": "Wrong town."},
        )
        timeline.append(
            kind="event.retracted",
            event_id="yes",
            occurred_on="2024-08-14",
            source="Press",
            data={"target_event_id": "no", "reason": "It was right after all."},
        )
        day = dt.date(2024, 8, 10)
        withdrawn = timeline.learned(dt.date(2024, 8, 11), dt.date(2024, 8, 12), day)
        assert [change.path for change in withdrawn.changes] == ["settlements.Sudzha"]
        assert withdrawn.changes[0].after is None
        # The retraction is listed too: it occurred after the day asked about, but acts on it.
        assert {(item.recorded.event_id, item.how) for item in withdrawn.events} == {
            ("claim", "withdrawn"),
            ("no", "reported"),
        }
        restored = timeline.learned(dt.date(2024, 8, 12), dt.date(2024, 8, 14), day)
        assert {(item.recorded.event_id, item.how) for item in restored.events} == {
            ("claim", "restored"),
            ("yes", "reported"),
        }
        assert restored.changes[0].before is None and restored.changes[0].after is not None
        versions = timeline.history("settlements.Sudzha").versions
        assert [(str(v.valid_from), str(v.known_from), str(v.known_to)) for v in versions] == [
            ("2024-08-10", "2024-08-10", "2024-08-12"),
            ("2024-08-10", "2024-08-14", "None"),
        ]
        assert all(version.withdrawn == () for version in versions)  # restored: nothing stays withdrawn


def test_learned_and_history_on_the_command_line(tmp_path, dataset_path):
    db = tmp_path / "kursk.db"
    helpers.ok("init", "--db", db)
    helpers.ok("import", dataset_path, "--db", db)
    learned = json.loads(
        helpers.ok("learned", "2024-08-12", "2024-08-16", "--as-of", "2024-08-12", "--json", "--db", db)
    )
    assert set(learned) == {"as_of", "from_known", "to_known", "changes", "events", "events_total"}
    assert learned["as_of"] == "2024-08-12" and learned["from_known"] == "2024-08-12"
    state = json.loads(helpers.ok("state", "--as-of", "2024-08-12", "--known-on", "2024-08-16", "--json", "--db", db))
    ukraine = next(change for change in learned["changes"] if change["path"] == "territory.claims.Ukraine")
    assert ukraine["after"] == state["territory"]["claims"]["Ukraine"]  # the same shape as state --json
    assert {"learned": "reported", "event_id": "k24-2024-08-12-kyiv-more-than-1000-km2"}.items() <= next(
        event for event in learned["events"] if event["event_id"] == "k24-2024-08-12-kyiv-more-than-1000-km2"
    ).items()
    history = json.loads(helpers.ok("history", "settlements.Sudzha", "--json", "--db", db))
    assert history["path"] == "settlements.Sudzha" and len(history["versions"]) == 3
    for version in history["versions"]:
        assert set(version) >= {"valid_from", "known_from", "value", "event_ids"}
        state = json.loads(
            helpers.ok(
                "state", "--as-of", version["valid_from"], "--known-on", version["known_from"], "--json", "--db", db
            )
        )
        assert state["settlements"]["Sudzha"] == version["value"]
    bounded = json.loads(helpers.ok("history", "settlements.Sudzha", "--from", "2024-08-15", "--json", "--db", db))
    assert [version["valid_from"] for version in bounded["versions"]] == ["2024-08-15", "2024-08-16"]
    text = helpers.ok("history", "settlements.Sudzha", "--db", db)
    assert text.startswith("settlements.Sudzha: 3 versions")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("history", "nowhere.Sudzha"), "names no fact"),
        (("history", "settlements.Nowhere"), "holds no such fact"),
        (("history", "territory.spread"), "is not a stored fact"),
        (("learned", "2024-08-16", "2024-08-12"), "K1 2024-08-16 is after K2 2024-08-12"),
    ],
)
def test_a_bad_question_is_refused_in_one_line(args, fragment):
    result = helpers.invoke(*args)
    assert result.exit_code == 2 and fragment in result.stderr and result.stderr.count("\n") == 1


def test_history_needs_the_stored_state(tmp_path):
    with Timeline.init(tmp_path / "log.db") as timeline:
        timeline.store.fact_tables.set_head(-5)
        with pytest.raises(BadInput.__mro__[1], match="stored state"):
            timeline.history("settlements.Sudzha")


def _bands(draw_bounds: list[int]) -> list[tuple[str, str]]:
    """Disjoint [from, to) knowledge intervals from sorted cut points (day numbers as text)."""
    days = [f"2024-08-{day:02d}" for day in sorted(set(draw_bounds))]
    return [(days[position], days[position + 1]) for position in range(0, len(days) - 1, 2)]


@st.composite
def stored_versions(draw):
    """A fact's versions as stored: by valid day, then knowledge day; one valid day's versions
    hold disjoint knowledge days."""
    rows = []
    for valid_day in sorted(draw(st.sets(st.integers(1, 28), max_size=8))):
        for known_from, known_to in _bands(draw(st.lists(st.integers(1, 29), max_size=8))):
            rows.append(Version(f"2024-08-{valid_day:02d}", known_from, known_to, None))
    return rows


@given(stored_versions(), st.integers(1, 29))
def test_history_from_a_day_keeps_the_version_in_force_on_it_and_every_later_one(rows, day):
    """The versions `history --from DAY` drops: those starting before DAY that a later version
    starting by DAY overlaps in knowledge days (the definition, checked pair by pair)."""
    lowest = f"2024-08-{day:02d}"
    expected = {
        position
        for position, row in enumerate(rows)
        if row.valid_from < lowest
        and any(
            other.valid_from <= lowest and other.known_from < row.known_to and other.known_to > row.known_from
            for other in rows[position + 1 :]
        )
    }
    assert _superseded_on(rows, lowest) == expected


def test_a_retraction_of_a_retraction_restores_its_target_and_withdraws_the_retraction():
    """A claim on Sudzha reported, retracted the same day, and the retraction itself retracted
    the next day. Between the two days: the claim is back (Sudzha changes), the first retraction
    is withdrawn, the second is what was reported."""
    timeline = Timeline(memory_store())
    claim = {"settlement": "Sudzha", "region": "Kursk Oblast", "status": "contested", "claimant": "Ukraine"}
    timeline.append(event_id="C1", kind="settlement.claimed", occurred_on="2024-08-06", source="S", data=claim)
    timeline.append(
        event_id="R1",
        kind="event.retracted",
        occurred_on="2024-08-06",
        source="S",
        data={"target_event_id": "C1", "reason": "not confirmed"},
    )
    timeline.append(
        event_id="R2",
        kind="event.retracted",
        occurred_on="2024-08-07",
        source="S",
        data={"target_event_id": "R1", "reason": "confirmed after all"},
    )
    day, next_day = dt.date(2024, 8, 6), dt.date(2024, 8, 7)
    learned = timeline.learned(day, next_day, day)
    assert [(item.how, item.event_id) for item in learned.events] == [
        ("restored", "C1"),
        ("withdrawn", "R1"),
        ("reported", "R2"),
    ]
    assert [(change.path, change.before, change.event_ids) for change in learned.changes] == [
        ("settlements.Sudzha", None, ("C1",))
    ]
