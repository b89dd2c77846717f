"""Checkpoints are an optimisation only: every answer equals a fresh full replay without them.

And they are used: a warm query folds nothing it need not (counted, not timed), and a write
that lands in the past brings exactly the checkpoints it changed up to date.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule
from strategies import AUGUST_2024, event_logs, events

from events.kinds import EventRetracted
from timeline.api import Timeline
from timeline.cli import cli
from timeline.diff import diff_facts
from timeline.fact_shapes import shape_tag
from timeline.store import memory_store

DAYS = st.dates(min_value=AUGUST_2024[0] - dt.timedelta(days=1), max_value=AUGUST_2024[1])
KNOWN_ON = st.one_of(st.none(), DAYS)
PROJECTED_KINDS = (
    "territory.claimed",
    "settlement.claimed",
    "emergency.declared",
    "emergency.lifted",
    "prisoners.captured",
    "official.appointed",
    "civilians.displaced",
    "casualties.reported",
    "prisoners.exchanged",
)
EVENTS = events(window=AUGUST_2024, small_pools=True, kinds=(*PROJECTED_KINDS, "statement.made"))


def assert_same_answer(with_checkpoints, without):
    assert with_checkpoints.facts() == without.facts()
    assert with_checkpoints.events_applied == without.events_applied
    assert with_checkpoints.to_json() == without.to_json()


def every_day(timeline: Timeline) -> list[dt.date]:
    first, last = timeline.first_day(), timeline.last_day()
    if first is None or last is None:
        return []
    return [first + dt.timedelta(days=n) for n in range(-1, (last - first).days + 2)]


def assert_every_checkpoint_is_exact(timeline: Timeline) -> None:
    """Each checkpoint equals a full replay of its day, for every knowledge day it claims to be exact for."""
    assert timeline.checkpoints.usable()
    scanned = timeline.store.db.execute("SELECT max(reported_on) FROM events").fetchone()[0]
    assert timeline.bounds().last_reported == dt.date.fromisoformat(scanned)  # read from the last checkpoint
    tables = timeline.store.checkpoint_tables
    rows = tables.between(None, "9999-12-31")
    last_reported = timeline.bounds().last_reported
    for row in rows:
        day = dt.date.fromisoformat(row.as_of)
        loaded = timeline.checkpoints.nearest(day)
        assert loaded is not None and loaded.as_of == day
        for known_on in (None, dt.date.fromisoformat(row.knowledge_day), last_reported):
            replayed = timeline.state(day, known_on, use_checkpoints=False)
            assert replayed.events_applied == row.events_applied, (row, known_on)
            assert replayed.states == loaded.states, (row, known_on)


class CheckpointedTimeline(RuleBasedStateMachine):
    """Appends (backfills, late reports and retractions included), rebuilds and queries, interleaved;
    after every step every checkpoint is compared with a full replay of its day."""

    logged = Bundle("logged")

    @initialize()
    def open_empty_log(self):
        self.folder = Path(tempfile.mkdtemp(prefix="timeline-checkpoints-"))
        self.timeline = Timeline.init(self.folder / "log.db")
        self.ids: set[str] = set()

    def teardown(self):
        if hasattr(self, "timeline"):
            self.timeline.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _append(self, event):
        if event.event_id in self.ids:
            event = attrs.evolve(event, event_id=f"{event.event_id}-{len(self.ids)}")
        self.timeline.append(event)
        self.ids.add(event.event_id)
        return event.event_id

    @rule(target=logged, event=EVENTS)
    def append(self, event):
        return self._append(event)

    @rule(batch=st.lists(EVENTS, min_size=2, max_size=6))
    def import_several(self, batch):
        """One write of events on several days (as an import is): its earliest day counts."""
        unique = []
        for position, event in enumerate(batch):
            event_id = f"{event.event_id}-{len(self.ids)}-{position}"
            unique.append(attrs.evolve(event, event_id=event_id))
        self.timeline.store.append(unique)
        self.ids.update(event.event_id for event in unique)

    @precondition(lambda self: self.ids)
    @rule(target=logged, data=st.data())
    def backfill_before_the_last_day(self, data):
        """An event that occurred before the last day in the log: it lands behind later ones."""
        last = self.timeline.last_day()
        event = data.draw(events(window=(AUGUST_2024[0], last), small_pools=True, kinds=PROJECTED_KINDS))
        return self._append(event)

    @rule(target=logged, target_id=logged, retraction=events("event.retracted", window=AUGUST_2024))
    def retract(self, target_id, retraction):
        retraction = attrs.evolve(retraction, payload=attrs.evolve(retraction.payload, target_event_id=target_id))
        return self._append(retraction)

    @rule()
    def rebuild_checkpoints(self):
        built = self.timeline.checkpoint()
        assert built == self.timeline.checkpoints.count()

    @rule(as_of=DAYS, known_on=KNOWN_ON)
    def query(self, as_of, known_on):
        assert_same_answer(
            self.timeline.state(as_of, known_on), self.timeline.state(as_of, known_on, use_checkpoints=False)
        )

    @rule(as_of=DAYS, known_on=KNOWN_ON)
    def query_from_another_reader(self, as_of, known_on):
        with Timeline.open(self.folder / "log.db", read_only=True) as reader:
            assert_same_answer(
                reader.state(as_of, known_on), self.timeline.state(as_of, known_on, use_checkpoints=False)
            )

    @rule(first=DAYS, second=DAYS, known_on=KNOWN_ON)
    def diff(self, first, second, known_on):
        first, second = sorted((first, second))
        diff = self.timeline.diff(first, second, known_on)
        full_first = self.timeline.state(first, known_on, use_checkpoints=False)
        full_second = self.timeline.state(second, known_on, use_checkpoints=False)
        assert diff.changes == diff_facts(full_first.facts(), full_second.facts())

    @rule(known_on=KNOWN_ON)
    def days(self, known_on):
        summaries = list(self.timeline.days(known_on))
        for summary in summaries:
            if summary.event_count:
                before = self.timeline.state(summary.date - dt.timedelta(days=1), known_on, use_checkpoints=False)
                after = self.timeline.state(summary.date, known_on, use_checkpoints=False)
                assert summary.event_count == after.events_applied - before.events_applied
                assert summary.changed == tuple(c.path for c in diff_facts(before.facts(), after.facts()))
                expected = [r.event_id for r in self.timeline.diff(before.as_of, after.as_of, known_on).events]
                assert [r.event_id for r in summary.events] == expected
                assert list(summary.event_ids) == expected

    @invariant()
    def every_checkpoint_is_exact(self):
        if hasattr(self, "timeline") and self.ids:
            assert_every_checkpoint_is_exact(self.timeline)


CheckpointedTimeline.TestCase.settings = settings(
    CheckpointedTimeline.TestCase.settings, stateful_step_count=12, suppress_health_check=[HealthCheck.too_slow]
)
TestCheckpointedTimeline = CheckpointedTimeline.TestCase


LOGS = event_logs(min_size=1, max_size=25, window=AUGUST_2024, small_pools=True)


def timeline_of(log) -> Timeline:
    timeline = Timeline(memory_store())
    timeline.store.append(log)
    return timeline


@given(LOGS, DAYS, KNOWN_ON)
def test_a_query_from_the_checkpoints_equals_a_full_replay(log, as_of, known_on):
    timeline = timeline_of(log)
    assert_same_answer(timeline.state(as_of, known_on), timeline.state(as_of, known_on, use_checkpoints=False))


@given(LOGS, DAYS)
def test_a_known_on_query_folds_only_what_was_reported_after_its_checkpoint(log, known_on):
    """Exactness is checked above; this checks the fast path is taken: the checkpoint chosen is the
    latest one exact for `known_on`, and only the events between it and `as_of` are folded."""
    timeline = timeline_of(log)
    as_of = max(event.occurred_on for event in log)
    snapshot = timeline.state(as_of, known_on)
    rows = timeline.store.checkpoint_tables.between(None, as_of.isoformat())
    exact = [row for row in rows if row.knowledge_day <= known_on.isoformat()]
    after = dt.date.fromisoformat(exact[-1].as_of) if exact else None
    later = [
        event
        for event in log
        if (after is None or event.occurred_on > after)
        and event.reported_on <= known_on
        and not isinstance(event.payload, EventRetracted)
    ]
    assert snapshot.folded <= len(later) + sum(isinstance(event.payload, EventRetracted) for event in log)
    if known_on >= max(event.reported_on for event in log):
        assert snapshot.folded == 0


def test_a_warm_query_folds_no_event(tmp_path, dataset_path):
    """Fails if state() stops starting from its checkpoint: right after an import, with no other
    command run, every day's answer comes from a checkpoint without folding one event."""
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    with Timeline.open(tmp_path / "kursk.db", read_only=True) as reader:
        for day in every_day(reader):
            snapshot = reader.state(day)
            assert snapshot.folded == 0, day
            assert_same_answer(snapshot, reader.state(day, use_checkpoints=False))
            assert reader.state(day, use_checkpoints=False).folded == snapshot.events_applied
        # Knowing everything reported by the last report day is full knowledge; knowing less,
        # a query folds at most the events after the latest checkpoint exact for it.
        for known_on in every_day(reader):
            last = reader.last_day()
            snapshot = reader.state(last, known_on)
            assert_same_answer(snapshot, reader.state(last, known_on, use_checkpoints=False))
            assert snapshot.folded < reader.state(last, known_on, use_checkpoints=False).folded or snapshot.folded == 0


def facts_by_day_of(timeline: Timeline) -> dict[str, dict[str, int]]:
    """day -> fact path -> value id, as the checkpoint tables hold them."""
    tables = timeline.store.checkpoint_tables
    keys = tables.keys()
    return {
        row.as_of: {
            ".".join((keys[key_id][0], *json.loads(keys[key_id][1]))): value_id
            for key_id, value_id in tables.fact_ids(row.as_of).items()
        }
        for row in tables.between(None, "9999-12-31")
    }


def test_a_backfill_updates_the_checkpoints_of_its_day_and_later_only(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    tables = timeline.store.checkpoint_tables
    before = {row.as_of: (row.id, row.events_applied) for row in tables.between(None, "9999-12-31")}
    facts_before = facts_by_day_of(timeline)
    day = dt.date(2024, 8, 16)
    timeline.append(
        {
            "event_id": "late-sudzha",
            "kind": "settlement.claimed",
            "occurred_on": "2024-08-10",
            "reported_on": "2024-08-20",
            "source": "Test",
            "data": {"settlement": "Sudzha", "region": "Kursk Oblast", "status": "raided", "claimant": "Test"},
        }
    )
    after = {row.as_of: (row.id, row.events_applied) for row in tables.between(None, "9999-12-31")}
    # The same checkpoint rows, patched (the count from the backfilled day on, and one fact),
    # and one new: the log had no event on the 10th.
    assert "2024-08-10" not in before
    assert {d: v[0] for d, v in after.items() if d != "2024-08-10"} == {d: v[0] for d, v in before.items()}
    assert all(after[d][1] == before[d][1] + (d >= "2024-08-10") for d in before)
    facts_after = facts_by_day_of(timeline)
    facts_before["2024-08-10"] = facts_before[max(d for d in before if d < "2024-08-10")]
    changed = {
        (day, path)
        for day, facts in facts_after.items()
        for path in facts.keys() | facts_before[day].keys()
        if facts.get(path) != facts_before[day].get(path)
    }
    assert changed == {(d, "settlements.Sudzha") for d in after if d >= "2024-08-10"}
    assert_every_checkpoint_is_exact(timeline)
    snapshot = timeline.state(day)
    assert snapshot.folded == 0
    assert "late-sudzha" in snapshot.facts()["settlements.Sudzha"].event_ids
    assert_same_answer(snapshot, timeline.state(day, use_checkpoints=False))
    # Reported on the 20th: a checkpoint from the 10th on is not exact for what was known before.
    known = timeline.state(day, known_on=dt.date(2024, 8, 16))
    assert "late-sudzha" not in known.facts()["settlements.Sudzha"].event_ids
    assert_same_answer(known, timeline.state(day, dt.date(2024, 8, 16), use_checkpoints=False))


def test_a_backfill_decodes_only_the_events_that_name_what_it_touches(tmp_path, dataset_path, monkeypatch):
    """Fails if the patch stops searching the log for the touched keys and decodes every row of their kinds."""
    from timeline.checkpoints import patch as checkpoint_patch

    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    decoded: list[str] = []
    original = checkpoint_patch.decode_replay_row

    def counting(row):
        decoded.append(row[0])
        return original(row)

    monkeypatch.setattr(checkpoint_patch, "decode_replay_row", counting)
    timeline.append(
        event_id="late-korenevo",
        kind="settlement.claimed",
        occurred_on="2024-08-07",
        reported_on="2024-08-20",
        source="Test",
        data={"settlement": "Korenevo", "region": "Kursk Oblast", "status": "fighting", "claimant": "Test"},
    )
    naming = {r.event_id for r in timeline.events(kind="settlement.claimed") if r.payload.settlement == "Korenevo"}
    others = {r.event_id for r in timeline.events(kind="settlement.claimed")} - naming
    assert others, "the bundled log has claims about other settlements"
    # The new event is decoded once to find its keys; the refold decodes only Korenevo's claims.
    assert set(decoded) == naming and "late-korenevo" in naming
    assert_every_checkpoint_is_exact(timeline)


def test_a_report_no_projector_reads_changes_no_fact(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    facts_before = facts_by_day_of(timeline)
    timeline.append(
        kind="statement.made",
        occurred_on="2024-08-30",
        reported_on="2024-09-02",
        source="Test",
        data={"speaker": "A spokesman", "summary": "A new day, and a late report."},
    )
    facts_after = facts_by_day_of(timeline)
    assert facts_after == {**facts_before, "2024-08-30": facts_before[max(facts_before)]}
    assert_every_checkpoint_is_exact(timeline)


def test_a_retraction_updates_the_checkpoints_from_its_targets_day(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    target = next(r for r in timeline.events(kind="settlement.claimed") if r.occurred_on == dt.date(2024, 8, 15))
    timeline.append(
        {
            "kind": "event.retracted",
            "occurred_on": "2024-08-18",
            "source": "Test",
            "data": {"target_event_id": target.event_id, "reason": "Wrong town."},
        }
    )
    for day in every_day(timeline):
        snapshot = timeline.state(day)
        assert snapshot.folded == 0
        assert_same_answer(snapshot, timeline.state(day, use_checkpoints=False))
        ids = {event_id for fact in snapshot.facts().values() for event_id in fact.event_ids}
        assert target.event_id not in ids
        # Before the retraction was reported, the target still counted.
        earlier = timeline.state(day, known_on=dt.date(2024, 8, 17))
        assert_same_answer(earlier, timeline.state(day, dt.date(2024, 8, 17), use_checkpoints=False))


def test_checkpoints_a_writer_did_not_update_are_not_trusted(tmp_path, dataset_path):
    """A log appended to without its checkpoints (an older program, a bug) is replayed, not misread."""
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    timeline.store.checkpoint_tables.set_head(timeline.store.count() - 1)
    timeline.store.db.conn.commit()
    assert not timeline.checkpoints.usable()
    assert timeline.state(dt.date(2024, 8, 16)).folded > 0


def test_a_fact_is_stored_once_per_change_not_once_per_day(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    db = timeline.store.db
    versions = db.execute("SELECT count(*) FROM checkpoint_versions").fetchone()[0]
    values = db.execute("SELECT count(*) FROM checkpoint_values").fetchone()[0]
    facts_by_day = sum(len(facts) for facts in facts_by_day_of(timeline).values())
    changes = 0
    previous: dict[str, int] = {}
    for _, facts in sorted(facts_by_day_of(timeline).items()):
        changes += sum(1 for path, value in facts.items() if previous.get(path) != value)
        changes += len(previous.keys() - facts.keys())
        previous = facts
    assert versions == changes < facts_by_day  # one row per change, not one per fact per day
    assert values <= versions


def test_clear_then_rebuild_gives_the_same_checkpoints(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    built = timeline.checkpoints.count()
    assert timeline.checkpoints.clear() == built
    assert timeline.state(dt.date(2024, 8, 16)).folded > 0  # replayed, and still right
    assert timeline.checkpoint() == built
    assert_every_checkpoint_is_exact(timeline)


def test_a_checkpoint_of_an_older_fact_shape_is_skipped_not_misread(tmp_path, dataset_path):
    # A checkpoint written before prisoners kept claims side by side named its facts by type
    # name alone, with another shape: such a checkpoint must be replayed past, never decoded.
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    timeline.checkpoint()
    day = dt.date(2024, 8, 16)
    db = timeline.store.db
    with timeline.store.write_transaction():
        db.execute(
            "UPDATE checkpoint_values SET type = 'CaptorPrisoners', "
            'value = \'{"captor": "Ukraine", "claimed_total": null}\' WHERE type LIKE \'CaptorPrisoners:%\''
        )
    assert timeline.checkpoints.nearest(day) is None
    assert_same_answer(timeline.state(day), timeline.state(day, use_checkpoints=False))


def _claim_class(*fields: str) -> type:
    """A fact class named Claim with the given int fields: the same name, whatever its shape."""
    return attrs.make_class("Claim", {name: attrs.field(type=int) for name in fields}, frozen=True)


def test_fact_shape_tags_change_with_the_fields_and_only_with_them():
    narrow, wider, again = _claim_class("count"), _claim_class("count", "day"), _claim_class("count")
    assert shape_tag(narrow).split(":")[0] == shape_tag(wider).split(":")[0] == "Claim"
    assert shape_tag(narrow) != shape_tag(wider)
    assert shape_tag(narrow) == shape_tag(again)


def test_checkpoint_clear_drops_every_checkpoint_and_says_how_many(tmp_path, dataset_path):
    db = str(tmp_path / "kursk.db")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--db", db])
        assert result.exit_code == 0, result.output
        return result.stdout

    run("init")
    run("import", str(dataset_path))
    days_with_events = len({json.loads(line)["occurred_on"] for line in run("log", "--json").splitlines()})
    assert run("checkpoint") == f"built {days_with_events} checkpoints\n"
    answer, head = run("state", "--as-of", "2024-08-16", "--json"), run("verify")
    assert run("checkpoint", "--clear") == f"dropped {days_with_events} checkpoints\n"
    with Timeline.open(db, read_only=True) as timeline:
        for table in ("checkpoints", "checkpoint_versions", "checkpoint_values"):
            assert timeline.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert run("checkpoint", "--clear") == "dropped 0 checkpoints\n"
    # Only the cache went: the log and the answers are the same.
    assert run("verify") == head
    assert run("state", "--as-of", "2024-08-16", "--json") == answer


def test_the_bundled_log_cannot_be_checkpointed():
    with pytest.raises(Exception, match="read-only"):
        Timeline.bundled().checkpoint()


def test_a_fact_that_changes_a_little_each_day_is_stored_as_its_difference_from_a_keyframe(tmp_path):
    """Fails if every version of a fact is stored whole; and a write that replaces the keyframe's
    days still reads every later version right."""
    timeline = Timeline.init(tmp_path / "deltas.db")
    start = dt.date(2024, 8, 6)
    for n in range(30):  # one more source's figure each day: the fact grows by one figure
        timeline.append(
            kind="civilians.displaced",
            occurred_on=(start + dt.timedelta(days=n)).isoformat(),
            source=f"Source {n}",
            data={"region": "Kursk Oblast", "count": {"value": 1000 + n}, "basis": "total"},
        )
    db = timeline.store.db
    whole, against = db.execute(
        "SELECT count(*) - count(base_id), count(base_id) FROM checkpoint_values WHERE type LIKE 'RegionDisplacement%'"
    ).fetchone()
    assert against > whole >= 1
    # A backfill into the first day rewrites every version, keyframes included.
    timeline.append(
        kind="civilians.displaced",
        occurred_on=start.isoformat(),
        reported_on=(start + dt.timedelta(days=40)).isoformat(),
        source="Late source",
        data={"region": "Kursk Oblast", "count": {"value": 5}, "basis": "total"},
    )
    assert_every_checkpoint_is_exact(timeline)
    orphans = db.execute(
        "SELECT count(*) FROM checkpoint_values v WHERE base_id IS NOT NULL "
        "AND base_id NOT IN (SELECT id FROM checkpoint_values)"
    ).fetchone()[0]
    assert orphans == 0
