"""The stored state is an optimisation only: every answer at any (as_of, known_on) equals a fresh
full replay without it, after any sequence of writes (late reports, backfills, retractions that
reach far back, retractions of retractions).

And it is used: a query folds nothing, and a write rebuilds only the facts it touches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import tempfile
import zlib
from pathlib import Path

import attrs
import helpers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule
from strategies import AUGUST_2024, event_logs, events

from events.codec import event_from_record
from timeline import replay
from timeline.api import Timeline
from timeline.checkpoints import upkeep
from timeline.diff import diff_facts
from timeline.fact_shapes import shape_tag
from timeline.snapshot import Snapshot
from timeline.store import memory_store
from timeline.store.value_codec import apply_difference, difference

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
DAY = dt.timedelta(days=1)


def assert_same_answer(stored, replayed):
    assert stored.facts() == replayed.facts()
    assert stored.events_applied == replayed.events_applied
    assert stored.to_json() == replayed.to_json()


def _spread(days: list, most: int) -> list:
    """At most `most` of `days`, evenly spaced, the first and the last always among them."""
    if len(days) <= most:
        return days
    step = (len(days) - 1) / (most - 1)
    return [days[round(position * step)] for position in range(most)]


def corners_of(timeline: Timeline, most: int) -> tuple[list[dt.date], list[dt.date | None]]:
    """Valid days and knowledge days at which an answer can change (and the day before the first
    and after the last), at most `most` of each."""
    events = list(timeline.events())
    if not events:
        return [], []
    occurred = sorted({recorded.occurred_on for recorded in events})
    reported = sorted({recorded.reported_on for recorded in events})
    valid = [occurred[0] - DAY, *_spread(occurred, most - 2), occurred[-1] + DAY]
    known = [None, reported[0] - DAY, *_spread(reported, most - 2)]
    return valid, known


def replayed(timeline: Timeline, known_on: dt.date | None) -> list[tuple[dt.date, tuple, int]]:
    """The full replay's state at the end of every day, as known on `known_on` (one fold)."""
    knowledge = timeline.bounds().knowledge(known_on)
    last = timeline.last_day() or dt.date.min
    days = replay.fold_visible(
        replay.initial_states(),
        timeline.store,
        last,
        knowledge,
        hidden=replay.hidden_event_ids(timeline.store, knowledge),
    )
    return [(dt.date.fromisoformat(day), states, count) for day, states, count in days]


def assert_exact_everywhere(timeline: Timeline, most: int = 1_000) -> None:
    """Every answer at valid and knowledge days where anything can change (at most `most` of
    each) equals the full replay's."""
    assert timeline.checkpoints.usable()
    valid, known = corners_of(timeline, most)
    for known_on in known:
        ends = replayed(timeline, known_on)
        for as_of in valid:
            stored = timeline.state(as_of, known_on)
            assert stored.folded == 0
            before = [end for end in ends if end[0] <= as_of]
            states, count = (before[-1][1], before[-1][2]) if before else (replay.initial_states(), 0)
            expected = Snapshot(as_of, known_on, stored.day, count, states)
            assert_same_answer(stored, expected)


def unread_values(path: Path) -> tuple[set[int], set[int]]:
    """The ids of stored values no version reads, directly or as the base of one it reads; and
    the ids noted unused, awaiting a sweep."""
    with sqlite3.connect(path) as connection:
        base_of = dict(connection.execute("SELECT id, base_id FROM fact_values"))
        read = {row[0] for row in connection.execute("SELECT value_id FROM fact_versions WHERE value_id IS NOT NULL")}
        noted = {row[0] for row in connection.execute("SELECT id FROM fact_values_unused")}
    reached: set[int] = set()
    for value_id in read:
        while value_id is not None and value_id not in reached:
            reached.add(value_id)
            value_id = base_of.get(value_id)
    return set(base_of) - reached, noted


def test_a_small_write_leaves_its_unused_values_to_a_later_sweep_which_drops_them_all(tmp_path, monkeypatch):
    """Fails if a write sweeps before enough values wait (each sweep reads the versions and the
    values whole), or if a sweep leaves any unread value behind."""
    timeline = Timeline.init(tmp_path / "log.db")
    for day in range(1, 21):
        timeline.append(sudzha_claim(f"claim-{day}", f"2024-08-{day:02}", f"2024-08-{day:02}"))
    tables = timeline.store.fact_tables
    with sqlite3.connect(tmp_path / "log.db") as connection:
        (highest,) = connection.execute("SELECT max(id) FROM fact_values").fetchone()
    assert tables.sweep_threshold() == 1 + highest // 64  # a sixty-fourth of the values may wait
    monkeypatch.setattr(type(tables), "sweep_threshold", lambda self: 10**6)  # a log of millions of values
    # two late claims on the 2nd known the same day, in two writes: the second rewrites what the first wrote
    timeline.append(sudzha_claim("late", "2024-08-02", "2024-08-25", status="contested"))
    timeline.append(sudzha_claim("later", "2024-08-02", "2024-08-25", status="fighting"))
    unread, noted = unread_values(tmp_path / "log.db")
    assert unread and unread <= noted  # the values the second write replaced wait
    with timeline.store.write_transaction():
        assert tables.collect_garbage(at_least=len(noted) + 1) == 0  # not yet due: nothing swept
        assert tables.collect_garbage(at_least=len(noted)) == len(unread)
    assert unread_values(tmp_path / "log.db") == (set(), set())
    assert_exact_everywhere(timeline)
    timeline.close()


def split_versions(path: Path) -> list[tuple[int, str, str]]:
    """(key id, valid day, knowledge day) where a version ends and the next one of the same key
    and valid day begins with the same value: one version stored as two."""
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT a.key_id, a.valid_from, a.known_to FROM fact_versions a JOIN fact_versions b "
            "ON b.key_id = a.key_id AND b.valid_from = a.valid_from AND b.known_from = a.known_to "
            "WHERE a.value_id IS b.value_id"
        ).fetchall()


class StoredTimeline(RuleBasedStateMachine):
    """Appends (backfills, late reports and retractions of anything, retractions included),
    rebuilds and queries, interleaved; after every step every answer is compared with a replay."""

    logged = Bundle("logged")

    @initialize()
    def open_empty_log(self):
        self.folder = Path(tempfile.mkdtemp(prefix="timeline-state-"))
        self.timeline = Timeline.init(self.folder / "log.db")
        self.ids: set[str] = set()

    def teardown(self):
        if hasattr(self, "timeline"):
            self.timeline.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _unique(self, event, suffix: str = ""):
        if event.event_id in self.ids:
            event = attrs.evolve(event, event_id=f"{event.event_id}-{len(self.ids)}{suffix}")
        self.ids.add(event.event_id)
        return event

    @rule(target=logged, event=EVENTS)
    def append(self, event):
        event = self._unique(event)
        self.timeline.append(event)
        return event.event_id

    @rule(batch=st.lists(EVENTS, min_size=2, max_size=6))
    def import_several(self, batch):
        """One write of events on several days and report days, as an import is."""
        unique = [self._unique(event, f"-{position}") for position, event in enumerate(batch)]
        self.timeline.store.append(unique)

    @precondition(lambda self: self.ids)
    @rule(target=logged, data=st.data())
    def backfill(self, data):
        """An event that occurred before the last day, reported late: it lands behind later ones."""
        last = self.timeline.last_day()
        event = data.draw(events(window=(AUGUST_2024[0], last), small_pools=True, kinds=PROJECTED_KINDS))
        event = self._unique(attrs.evolve(event, reported_on=max(event.reported_on, last)))
        self.timeline.append(event)
        return event.event_id

    @rule(target=logged, target_id=logged, retraction=events("event.retracted", window=AUGUST_2024))
    def retract(self, target_id, retraction):
        """A retraction of anything logged (a retraction too), reported on any day of the window."""
        retraction = attrs.evolve(retraction, payload=attrs.evolve(retraction.payload, target_event_id=target_id))
        retraction = self._unique(retraction)
        self.timeline.append(retraction)
        return retraction.event_id

    @rule()
    def rebuild(self):
        built = self.timeline.checkpoint()
        assert built == self.timeline.checkpoints.count()

    @rule(first=DAYS, second=DAYS, known_on=KNOWN_ON)
    def diff(self, first, second, known_on):
        first, second = sorted((first, second))
        diff = self.timeline.diff(first, second, known_on)
        full_first = self.timeline.state(first, known_on, use_checkpoints=False)
        full_second = self.timeline.state(second, known_on, use_checkpoints=False)
        assert diff.changes == diff_facts(full_first.facts(), full_second.facts())

    @rule(known_on=KNOWN_ON)
    def days(self, known_on):
        for summary in self.timeline.days(known_on):
            before = self.timeline.state(summary.date - DAY, known_on, use_checkpoints=False)
            after = self.timeline.state(summary.date, known_on, use_checkpoints=False)
            assert summary.event_count == after.events_applied - before.events_applied
            assert summary.changed == tuple(c.path for c in diff_facts(before.facts(), after.facts()))

    @rule(as_of=DAYS, known_on=KNOWN_ON)
    def query_from_another_reader(self, as_of, known_on):
        with Timeline.open(self.folder / "log.db", read_only=True) as reader:
            assert_same_answer(
                reader.state(as_of, known_on), self.timeline.state(as_of, known_on, use_checkpoints=False)
            )

    @invariant()
    def every_answer_is_exact(self):
        if hasattr(self, "timeline") and self.ids:
            assert_exact_everywhere(self.timeline, most=8)

    @invariant()
    def every_stored_value_is_read_or_awaits_a_sweep(self):
        """No value outlives what reads it unseen: each is a version's, or on the chain of one, or
        noted unused for the next sweep."""
        if hasattr(self, "timeline"):
            unread, noted = unread_values(self.folder / "log.db")
            assert unread <= noted

    @invariant()
    def a_value_known_on_consecutive_days_is_one_version(self):
        """One row per run of knowledge days with the same value, however many writes made it."""
        if hasattr(self, "timeline"):
            assert split_versions(self.folder / "log.db") == []


StoredTimeline.TestCase.settings = settings(
    StoredTimeline.TestCase.settings, stateful_step_count=10, suppress_health_check=[HealthCheck.too_slow]
)
TestStoredTimeline = StoredTimeline.TestCase


LOGS = event_logs(min_size=1, max_size=25, window=AUGUST_2024, small_pools=True)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(LOGS)
def test_a_log_written_at_once_answers_every_day_as_a_replay(log):
    timeline = Timeline(memory_store())
    timeline.store.append(log)
    assert_exact_everywhere(timeline, most=10)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(LOGS, st.one_of(st.none(), DAYS))
def test_a_walk_over_days_names_the_same_changes_as_a_replay(log, known_on):
    """Each day's changed facts, taken from the keys the stored state set that day, are the ones
    a replay finds by comparing every fact with the day before (late reports, retractions)."""
    stored, replayed = Timeline(memory_store()), Timeline(memory_store())
    stored.store.append(log)
    replayed.store.append(log)
    replayed.checkpoints.clear()
    assert stored.checkpoints.usable() and not replayed.checkpoints.usable()

    def walk(timeline: Timeline) -> list:
        return [(day.date, day.event_count, day.changed) for day in timeline.days(known_on)]

    assert walk(stored) == walk(replayed)


@pytest.fixture
def kursk(tmp_path, dataset_path) -> Timeline:
    timeline = Timeline.init(tmp_path / "kursk.db")
    timeline.import_jsonl(dataset_path)
    yield timeline
    timeline.close()


def sudzha_claim(event_id: str, occurred_on: str, reported_on: str, status: str = "raided") -> dict:
    return {
        "event_id": event_id,
        "kind": "settlement.claimed",
        "occurred_on": occurred_on,
        "reported_on": reported_on,
        "source": "Test",
        "data": {"settlement": "Sudzha", "region": "Kursk Oblast", "status": status, "claimant": "Test"},
    }


def test_a_write_rebuilds_only_the_facts_it_touches(kursk, monkeypatch):
    """Fails if a write refolds facts it does not touch: a backfilled Sudzha claim rebuilds Sudzha alone."""
    rebuilt = []
    original = upkeep.rederive

    def counting(tables, codec, apply, key, *rest):
        rebuilt.append((codec.projector, key))
        return original(tables, codec, apply, key, *rest)

    monkeypatch.setattr(upkeep, "rederive", counting)
    kursk.append(sudzha_claim("late-sudzha", "2024-08-10", "2024-08-20"))
    assert rebuilt == [("settlements", ("Sudzha",))]
    assert_exact_everywhere(kursk)
    assert "late-sudzha" in kursk.state(dt.date(2024, 8, 16)).facts()["settlements.Sudzha"].event_ids
    known = kursk.state(dt.date(2024, 8, 16), known_on=dt.date(2024, 8, 16))
    assert "late-sudzha" not in known.facts()["settlements.Sudzha"].event_ids


def test_a_late_report_that_stops_mattering_leaves_the_versions_after_it_whole(tmp_path):
    """A source's late claim is replaced by its own later one: from that day the fact is as it
    was, and each such version stays one row, not one cut where the late report became known."""
    timeline = Timeline.init(tmp_path / "log.db")
    timeline.append(sudzha_claim("first", "2024-08-10", "2024-08-10"))
    timeline.append(sudzha_claim("replacing", "2024-08-14", "2024-08-14", status="controlled"))
    before = timeline.history("settlements.Sudzha")
    timeline.append(sudzha_claim("late", "2024-08-12", "2024-08-20", status="contested"))
    assert split_versions(tmp_path / "log.db") == []
    after = timeline.history("settlements.Sudzha")
    # the late claim adds the versions of the 12th and 13th as known from the 20th, nothing else
    assert len(after.versions) == len(before.versions) + 1
    assert_exact_everywhere(timeline)
    timeline.close()


def test_a_retraction_that_reaches_back_rebuilds_its_targets_facts_only(kursk, monkeypatch):
    target = min(kursk.events(kind="settlement.claimed"), key=lambda recorded: (recorded.occurred_on, recorded.seq))
    rebuilt = []
    original = upkeep.rederive

    def counting(tables, codec, apply, key, *rest):
        rebuilt.append((codec.projector, key))
        return original(tables, codec, apply, key, *rest)

    monkeypatch.setattr(upkeep, "rederive", counting)
    kursk.append(
        kind="event.retracted",
        occurred_on="2024-08-30",
        source="Test",
        data={"target_event_id": target.event_id, "reason": "Wrong town."},
    )
    assert rebuilt == [("settlements", (target.payload.settlement,))]
    assert_exact_everywhere(kursk)
    day = target.occurred_on
    now = kursk.state(day).facts().get("settlements.Sudzha")
    assert now is None or target.event_id not in now.event_ids
    earlier = kursk.state(day, known_on=dt.date(2024, 8, 29))  # the day before the retraction was known
    assert target.event_id in earlier.facts()["settlements.Sudzha"].event_ids


def test_a_report_no_projector_reads_touches_no_fact(kursk):
    versions = kursk.checkpoints.count()
    kursk.append(
        kind="statement.made",
        occurred_on="2024-08-30",
        reported_on="2024-09-02",
        source="Test",
        data={"speaker": "A spokesman", "summary": "A new day, and a late report."},
    )
    assert kursk.checkpoints.count() == versions
    assert kursk.state(dt.date(2024, 8, 30)).events_applied == len(kursk)
    assert_exact_everywhere(kursk)


def test_a_state_a_writer_did_not_keep_up_is_not_trusted(kursk):
    """A log appended to without its stored state (an older program, a bug) is replayed, not misread."""
    kursk.store.fact_tables.set_head(kursk.store.count() - 1)
    kursk.store.db.conn.commit()
    assert not kursk.checkpoints.usable()
    assert kursk.state(dt.date(2024, 8, 16)).folded > 0
    kursk.append(sudzha_claim("after", "2024-08-20", "2024-08-20"))  # the next write rebuilds it all
    assert_exact_everywhere(kursk)


def test_clear_then_rebuild_gives_the_same_versions(kursk):
    rows = "SELECT * FROM fact_versions ORDER BY key_id, valid_from, known_from"
    before = kursk.store.db.execute(rows).fetchall()
    built = kursk.checkpoints.count()
    assert kursk.checkpoints.clear() == built == len(before)
    assert kursk.state(dt.date(2024, 8, 16)).folded > 0  # replayed, and still right
    assert kursk.checkpoint() == built
    assert kursk.store.db.execute(rows).fetchall() == before
    assert_exact_everywhere(kursk)


def test_a_value_of_an_older_fact_shape_is_replayed_past_not_misread(kursk):
    # A value written when prisoners' facts had another shape must never be decoded as today's.
    day = dt.date(2024, 8, 16)
    with kursk.store.write_transaction():
        kursk.store.db.execute(
            "UPDATE fact_values SET type = 'CaptorPrisoners', "
            'value = \'{"captor": "Ukraine", "claimed_total": null}\' WHERE type LIKE \'CaptorPrisoners:%\''
        )
    assert kursk.checkpoints.state(day, None) is None
    assert_same_answer(kursk.state(day), kursk.state(day, use_checkpoints=False))


def _claim_class(*fields: str) -> type:
    """A fact class named Claim with the given int fields: the same name, whatever its shape."""
    return attrs.make_class("Claim", {name: attrs.field(type=int) for name in fields}, frozen=True)


def test_fact_shape_tags_change_with_the_fields_and_only_with_them():
    narrow, wider, again = _claim_class("count"), _claim_class("count", "day"), _claim_class("count")
    assert shape_tag(narrow).split(":")[0] == shape_tag(wider).split(":")[0] == "Claim"
    assert shape_tag(narrow) != shape_tag(wider)
    assert shape_tag(narrow) == shape_tag(again)


def test_checkpoint_rebuilds_and_clears_the_stored_state_and_says_how_much(tmp_path, dataset_path):
    db = str(tmp_path / "kursk.db")
    helpers.ok("init", "--db", db)
    helpers.ok("import", dataset_path, "--db", db)
    built = helpers.ok("checkpoint", "--db", db)
    assert built.startswith("rebuilt the stored state: ") and built.endswith(" fact versions\n")
    versions = int(built.split(": ")[1].split()[0])
    answer, head = helpers.ok("state", "--as-of", "2024-08-16", "--json", "--db", db), helpers.ok("verify", "--db", db)
    assert helpers.ok("checkpoint", "--clear", "--db", db) == f"dropped the stored state ({versions} fact versions)\n"
    with Timeline.open(db, read_only=True) as timeline:
        for table in ("fact_versions", "fact_values", "fact_events", "event_counts"):
            assert timeline.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    # Only the stored state went: the log and the answers are the same.
    assert helpers.ok("verify", "--db", db) == head
    assert helpers.ok("state", "--as-of", "2024-08-16", "--json", "--db", db) == answer


def test_the_bundled_log_cannot_be_rebuilt():
    with pytest.raises(Exception, match="read-only"):
        Timeline.bundled().checkpoint()


def test_a_fact_that_changes_a_little_each_day_is_stored_as_its_difference_from_the_day_before(tmp_path):
    """Fails if every version of a fact is stored whole; and a backfill that rewrites its days still
    reads every version right."""
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
        "SELECT count(*) - count(base_id), count(base_id) FROM fact_values WHERE type LIKE 'RegionDisplacement%'"
    ).fetchone()
    assert against > whole >= 1
    timeline.append(
        kind="civilians.displaced",
        occurred_on=start.isoformat(),
        reported_on=(start + dt.timedelta(days=40)).isoformat(),
        source="Late source",
        data={"region": "Kursk Oblast", "count": {"value": 5}, "basis": "total"},
    )
    assert_exact_everywhere(timeline)
    orphans = db.execute(
        "SELECT count(*) FROM fact_values v WHERE base_id IS NOT NULL AND base_id NOT IN (SELECT id FROM fact_values)"
    ).fetchone()[0]
    assert orphans == 0


def test_a_value_is_read_through_at_most_one_difference_per_set_bit_of_its_place_in_its_chain(tmp_path):
    """Fails if each value is stored against the one just before it (a read of the 16th would
    decompress 16 differences), and if a key's values stored over several writes (the chain then
    continues from the stored one) lose their order. Every version still reads right."""
    timeline = Timeline.init(tmp_path / "skips.db")
    start = dt.date(2024, 8, 6)
    for write in range(3):
        timeline.store.append(
            [
                event_from_record(
                    {
                        "kind": "civilians.displaced",
                        "occurred_on": (start + dt.timedelta(days=n)).isoformat(),
                        "source": f"Source {n}",
                        "data": {"region": "Kursk Oblast", "count": {"value": 1000 + n}, "basis": "total"},
                    }
                )
                for n in range(write * 15, write * 15 + 15)
            ]
        )
    rows = {
        value_id: (base, depth)
        for value_id, base, depth in timeline.store.db.execute(
            "SELECT id, base_id, depth FROM fact_values WHERE type LIKE 'RegionDisplacement%'"
        )
    }
    assert len(rows) >= 40 and max(depth for _, depth in rows.values()) >= 15
    for value_id, (base, depth) in rows.items():
        links = 0
        while base is not None:
            assert rows[base][1] == depth & (depth - 1), (value_id, depth, rows[base][1])
            links += 1
            base, depth = rows[base]
        assert links <= 4
    assert_exact_everywhere(timeline)


def test_a_chain_stored_each_value_against_the_one_before_goes_on_in_skips():
    """A store written before skip differences holds chains of consecutive differences: a key's
    next value there is stored against the value its position names, which that chain holds."""
    store = memory_store()
    tables = store.fact_tables
    filler = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(10))  # compresses to half, no better

    def value(n: int) -> bytes:
        return f'{{"n": {n}, "filler": "{filler}"}}'.encode()

    with store.write_transaction():
        tables.store._execute_many(
            "INSERT INTO fact_values (id, digest, type, value, base_id, depth) VALUES (?, ?, 'T', ?, ?, ?)",
            [
                (
                    n + 1,
                    bytes([n]) * 16,
                    zlib.compress(value(0)) if n == 0 else difference(value(n - 1), value(n)),
                    n or None,
                    n,
                )
                for n in range(6)
            ],
        )
        continued = tables.previous_of(6)
        assert continued is not None and [link[0] for link in continued.path] == [0, 1, 2, 3, 4, 5]
        ids, _ = tables.store_values([(b"\x07" * 16, "T", value(6))], continued)
        base = tables.store._execute("SELECT base_id, depth FROM fact_values WHERE id = ?", [ids[b"\x07" * 16]])
        assert base == [(continued.path[4][1], 6)]  # position 6 against position 4
        assert tables.values([ids[b"\x07" * 16]])[ids[b"\x07" * 16]] == ("T", value(6))


@given(
    st.binary(max_size=400),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 8), st.binary(max_size=12)), max_size=6),
)
def test_a_value_stored_as_a_difference_reads_back_exactly(old, edits):
    """Any new value from any old one (each edit: delete some bytes at a place, insert others)."""
    new = bytearray(old)
    for at, removed, inserted in edits:
        at = min(at, len(new))
        new[at : at + removed] = inserted
    assert apply_difference(old, difference(old, bytes(new))) == bytes(new)


def test_a_difference_in_the_earlier_layout_still_reads():
    """Stores written before differences were zlib with a dictionary named the shared blocks as
    operations (copy 5 bytes from 0, insert b"xyz"): their values read as they were written."""
    old = b'{"count": 12345}'
    operations = b"c" + (0).to_bytes(4, "big") + (5).to_bytes(4, "big") + b"i" + (3).to_bytes(4, "big") + b"xyz"
    writer = zlib.compressobj(1, zdict=old)
    assert apply_difference(old, writer.compress(operations) + writer.flush()) == b'{"couxyz'


def test_a_refold_shares_its_events_equal_strings_and_changes_none_of_them():
    """Fails if sharing alters an event, or leaves two equal short strings two objects."""
    from timeline.checkpoints.rederive import SharedStrings

    def incident(event_id: str, notes: str) -> dict:
        data = {"event_type": "Battles", "country": "Ukraine", "location": "Sudzha", "admin1": "Kursk", "notes": notes}
        record = {"event_id": event_id, "kind": "incident.reported", "occurred_on": "2024-08-10", "source": "ACLED"}
        # json.loads makes new string objects each time, as decoding each stored row does
        return json.loads(json.dumps({**record, "data": data}))

    notes = "On 10 August 2024, forces clashed near Sudzha. " * 4
    first, second = (event_from_record(incident(name, notes)) for name in ("a", "b"))
    assert first.payload.country is not second.payload.country
    shared = SharedStrings(share_from=0)
    one, two = shared.event(first), shared.event(second)
    assert (one, two) == (event_from_record(incident("a", notes)), event_from_record(incident("b", notes)))
    assert one.payload.country is two.payload.country and one.source is two.source
    assert one.payload.notes is not two.payload.notes  # long text: left as it was
    third, fourth, fifth = (event_from_record(incident(name, notes)) for name in ("c", "d", "e"))
    late = SharedStrings(share_from=1)
    kept, *pooled = (late.event(event) for event in (third, fourth, fifth))
    assert pooled[0].payload.country is pooled[1].payload.country  # shared from the second on
    assert kept.payload.country is not pooled[0].payload.country  # the first is kept as decoded
