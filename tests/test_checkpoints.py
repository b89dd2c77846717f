"""Checkpoints are an optimisation only: every answer equals a fresh full replay without them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from strategies import AUGUST_2024, events

from timeline.api import Timeline
from timeline.cli import cli
from timeline.diff import diff_facts
from timeline.fact_shapes import shape_tag

DAYS = st.dates(min_value=AUGUST_2024[0] - dt.timedelta(days=1), max_value=AUGUST_2024[1])
KNOWN_ON = st.one_of(st.none(), DAYS)
EVENTS = events(
    window=AUGUST_2024,
    small_pools=True,
    kinds=tuple(
        kind
        for kind in (
            "territory.claimed",
            "settlement.claimed",
            "emergency.declared",
            "emergency.lifted",
            "prisoners.captured",
            "official.appointed",
            "civilians.displaced",
            "casualties.reported",
            "prisoners.exchanged",
            "statement.made",
        )
    ),
)


def assert_same_answer(with_checkpoints, without):
    assert with_checkpoints.facts() == without.facts()
    assert with_checkpoints.events_applied == without.events_applied
    assert with_checkpoints.to_json() == without.to_json()


class CheckpointedTimeline(RuleBasedStateMachine):
    """Appends (backfills and retractions included), checkpoint builds and queries, interleaved."""

    logged = Bundle("logged")

    @initialize()
    def open_empty_log(self):
        self.folder = Path(tempfile.mkdtemp(prefix="timeline-checkpoints-"))
        self.timeline = Timeline.init(self.folder / "log.db")
        # Save a checkpoint at every day boundary a query passes, to exercise them hard.
        self.timeline.auto_checkpoint_events = 1
        self.ids: set[str] = set()

    def teardown(self):
        if hasattr(self, "timeline"):
            self.timeline.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @rule(target=logged, event=EVENTS)
    def append(self, event):
        if event.event_id in self.ids:
            event = attrs.evolve(event, event_id=f"{event.event_id}-{len(self.ids)}")
        self.timeline.append(event)
        self.ids.add(event.event_id)
        return event.event_id

    @rule(target=logged, target_id=logged, retraction=events("event.retracted", window=AUGUST_2024))
    def retract(self, target_id, retraction):
        if retraction.event_id in self.ids:
            retraction = attrs.evolve(retraction, event_id=f"{retraction.event_id}-{len(self.ids)}")
        retraction = attrs.evolve(retraction, payload=attrs.evolve(retraction.payload, target_event_id=target_id))
        self.timeline.append(retraction)
        self.ids.add(retraction.event_id)
        return retraction.event_id

    @rule()
    def build_checkpoints(self):
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

    @invariant()
    def checkpoints_never_claim_more_than_the_log(self):
        if hasattr(self, "timeline"):
            rows = self.timeline.store.db.execute("SELECT max(log_seq) FROM checkpoints").fetchone()[0]
            assert rows is None or rows <= self.timeline.store.count()


CheckpointedTimeline.TestCase.settings = settings(CheckpointedTimeline.TestCase.settings, stateful_step_count=25)
TestCheckpointedTimeline = CheckpointedTimeline.TestCase


def test_a_warm_query_uses_a_checkpoint_and_an_append_invalidates_it(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    assert timeline.checkpoint() == len({recorded.occurred_on for recorded in timeline.events()})
    day = dt.date(2024, 8, 16)
    assert timeline.checkpoints.nearest(day).as_of == day
    backfill = {
        "kind": "statement.made",
        "occurred_on": "2024-08-10",
        "reported_on": "2024-08-20",
        "source": "Test",
        "data": {"speaker": "Test", "summary": "A report filed late."},
    }
    timeline.append(backfill)
    # Checkpoints from the backfilled day on are gone; earlier ones remain.
    assert timeline.checkpoints.nearest(day).as_of < dt.date(2024, 8, 10)
    assert_same_answer(timeline.state(day), timeline.state(day, use_checkpoints=False))


def test_checkpoint_values_are_stored_once(tmp_path, dataset_path):
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    timeline.checkpoint()
    db = timeline.store.db
    references = db.execute("SELECT count(*) FROM checkpoint_facts").fetchone()[0]
    values = db.execute("SELECT count(*) FROM checkpoint_values").fetchone()[0]
    assert values < references


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
        for table in ("checkpoints", "checkpoint_facts", "checkpoint_values"):
            assert timeline.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert run("checkpoint", "--clear") == "dropped 0 checkpoints\n"
    # Only the cache went: the log and the answers are the same.
    assert run("verify") == head
    assert run("state", "--as-of", "2024-08-16", "--json") == answer


def test_the_bundled_log_cannot_be_checkpointed():
    with pytest.raises(Exception, match="read-only"):
        Timeline.bundled().checkpoint()


def test_why_over_a_damaged_checkpoint_is_a_one_line_error(tmp_path, dataset_path):
    # Checkpoints are a cache outside the hash chain: an edit there must not crash `why`.
    db = tmp_path / "kursk.db"
    with Timeline.init(db) as timeline:
        timeline.import_jsonl(dataset_path)
        timeline.checkpoint()
        timeline.store.db.execute(
            "UPDATE checkpoint_values SET value = replace(value, 'k24-2024-08-15-russia-contests-sudzha', 'gone')"
        )
        timeline.store.db.conn.commit()
    result = CliRunner().invoke(cli, ["why", "settlements.Sudzha", "--as-of", "2024-08-16", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {db}: settlements.Sudzha rests on event 'gone', which is not in the log: "
        "a checkpoint is damaged (`timeline checkpoint --clear` drops them all)"
    ]
