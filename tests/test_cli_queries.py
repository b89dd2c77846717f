"""`timeline state / diff / days / why / export` through click's test runner."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import helpers
import pytest

from timeline.projectors import PROJECTORS

STATE_KEYS = {
    "as_of",
    "known_on",
    "day",
    "events_applied",
    "territory",
    "settlements",
    "emergencies",
    "prisoners",
    "appointments",
    "displacement",
    "casualties",
    "incidents",
}


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("TIMELINE_DB", raising=False)
    return helpers.invoke


def test_state_reads_the_bundled_log_without_a_database(run):
    result = run("state", "--as-of", "2024-08-16")
    assert result.exit_code == 0
    assert "Sudzha: CONTESTED" in result.output
    assert "at least 800 km²" in result.output


def test_state_json_has_the_documented_keys(run):
    result = run("state", "--day", "11", "--json")
    assert result.exit_code == 0
    state = json.loads(result.stdout)
    assert set(state) == STATE_KEYS
    assert state["as_of"] == "2024-08-16" and state["day"] == 11
    assert state["settlements"]["Sudzha"]["status"] == "contested"
    assert state["settlements"]["Sudzha"]["event_ids"]


def test_state_known_on_limits_what_is_known(run):
    late = json.loads(run("state", "--as-of", "2024-08-16", "--json").stdout)
    early = json.loads(run("state", "--as-of", "2024-08-16", "--known-on", "2024-08-12", "--json").stdout)
    assert early["known_on"] == "2024-08-12"
    assert early["events_applied"] < late["events_applied"]
    assert early["settlements"] == {} and late["settlements"]


def test_diff_json_shape(run):
    result = run("diff", "2024-08-09", "2024-08-16", "--json")
    assert result.exit_code == 0
    diff = json.loads(result.stdout)
    assert set(diff) >= {"from", "to", "changes", "events"}
    assert all(set(change) == {"path", "before", "after", "event_ids"} for change in diff["changes"])
    assert all("2024-08-09" < event["occurred_on"] <= "2024-08-16" for event in diff["events"])


def test_diff_of_a_day_with_itself_is_empty(run):
    diff = json.loads(run("diff", "2024-08-12", "2024-08-12", "--json").stdout)
    assert diff["changes"] == [] and diff["events"] == []


def test_days_and_why(run):
    days = run("days")
    assert days.exit_code == 0 and "2024-08-06" in days.output
    why = run("why", "settlements.Sudzha", "--as-of", "2024-08-16")
    assert why.exit_code == 0
    assert "k24-2024-08-15-russia-contests-sudzha" in why.output


def test_diff_text_shows_each_change_what_it_was_and_why(run):
    result = run("diff", "2024-08-14", "2024-08-15")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "From 2024-08-14 (day 9) to 2024-08-15 (day 10), everything known: 7 changes, 7 events"
    # A new fact: "+", then the events that made it.
    krupets = lines.index("  + settlements.Krupets: Krupets: controlled by Russia (Russia, 2024-08-15)")
    assert lines[krupets + 1] == "      because: k24-2024-08-15-russia-retakes-krupets"
    # A changed fact: "~" and the new wording, then what it was, then the events new to it.
    sudzha = next(n for n, line in enumerate(lines) if line.startswith("  ~ settlements.Sudzha: "))
    assert lines[sudzha].endswith(
        "Sudzha: CONTESTED: Ukraine: controlled by Ukraine (2024-08-15); Russia: contested (2024-08-15)"
    )
    assert lines[sudzha + 1] == "      was: Sudzha: controlled by Ukraine (Ukraine, 2024-08-14)"
    assert lines[sudzha + 2] == (
        "      because: k24-2024-08-15-sudzha-full-control, k24-2024-08-15-russia-contests-sudzha"
    )
    # One "+"/"~" line per change, in the order of the JSON output; then the events in between.
    changed = [line.split(": ")[0][4:] for line in lines if line.startswith(("  + ", "  ~ ", "  - "))]
    as_json = json.loads(run("diff", "2024-08-14", "2024-08-15", "--json").stdout)
    assert changed == [change["path"] for change in as_json["changes"]]
    events = lines[lines.index("Events:") + 1 :]
    assert [line.split()[:2] for line in events] == [["2024-08-15", event["event_id"]] for event in as_json["events"]]
    assert (
        "  2024-08-15  k24-2024-08-15-up-to-2000-captured  Ukraine holds up to 2,000 prisoners in total [unverified]"
        in events
    )


def test_days_json_has_one_entry_per_day_with_its_events_and_changes(run):
    result = run("days", "--json")
    assert result.exit_code == 0
    days = json.loads(result.stdout)
    assert all(set(day) == {"day", "date", "events", "changes"} for day in days)
    assert days[0] == {"day": 1, "date": "2024-08-06", "events": ["k24-2024-08-06-border-crossed"], "changes": []}
    # Every day from the first event to the last, numbered from the border crossing.
    first = dt.date(2024, 8, 6)
    assert [(day["day"], day["date"]) for day in days] == [
        (n + 1, (first + dt.timedelta(days=n)).isoformat()) for n in range(19)
    ]
    # Each logged event on the day it occurred, once.
    logged = [json.loads(line) for line in run("log", "--json").stdout.splitlines()]
    assert sorted(event_id for day in days for event_id in day["events"]) == sorted(e["event_id"] for e in logged)
    on_day = {event_id: day["date"] for day in days for event_id in day["events"]}
    assert all(on_day[event["event_id"]] == event["occurred_on"] for event in logged)
    # A day's changes are the diff from the day before.
    day_10 = next(day for day in days if day["day"] == 10)
    diff = json.loads(run("diff", "2024-08-14", "2024-08-15", "--json").stdout)
    assert day_10["changes"] == [change["path"] for change in diff["changes"]]
    assert day_10["events"] == [event["event_id"] for event in diff["events"]]


def test_why_json_gives_the_fact_and_the_events_behind_it(run):
    result = run("why", "settlements.Sudzha", "--as-of", "2024-08-16", "--json")
    assert result.exit_code == 0
    why = json.loads(result.stdout)
    assert set(why) == {"path", "fact", "events"}
    assert why["path"] == "settlements.Sudzha"
    fact = why["fact"]
    assert (fact["settlement"], fact["status"], fact["contested"]) == ("Sudzha", "contested", True)
    assert [claim["claimant"] for claim in fact["claims"]] == ["Ukraine", "Russia", "Press reports"]
    assert fact["event_ids"] == [
        "k24-2024-08-15-sudzha-full-control",
        "k24-2024-08-15-russia-contests-sudzha",
        "k24-2024-08-16-sudzha-fighting",
    ]
    # The events, in the fact's order, each as `log --json` prints it.
    assert [event["event_id"] for event in why["events"]] == fact["event_ids"]
    logged = {event["event_id"]: event for event in map(json.loads, run("log", "--json").stdout.splitlines())}
    assert why["events"] == [logged[event_id] for event_id in fact["event_ids"]]
    assert all(event["data"]["settlement"] == "Sudzha" for event in why["events"])


def test_state_of_an_empty_log_shows_every_projector_empty(run, tmp_path):
    db = str(tmp_path / "empty.db")
    assert run("init", "--db", db).exit_code == 0
    before = dt.date.today()
    text, as_json = run("state", "--db", db), run("state", "--db", db, "--json")
    after = dt.date.today()  # the default day is today: allow for midnight passing meanwhile
    assert text.exit_code == 0 and as_json.exit_code == 0
    header, *body = text.stdout.splitlines()
    assert header in {f"State as of {day.isoformat()}, everything known: 0 events applied" for day in (before, after)}
    assert body == [line for projector in PROJECTORS for line in ("", projector.name.upper(), "  (nothing yet)")]
    state = json.loads(as_json.stdout)
    assert state.pop("as_of") in {before.isoformat(), after.isoformat()}
    assert state == {"known_on": None, "day": None, "events_applied": 0} | {p.name: {} for p in PROJECTORS}
    # A day given by date is shown; a day given by number has nothing to count from.
    assert run("state", "--db", db, "--as-of", "2024-08-16").stdout.startswith(
        "State as of 2024-08-16, everything known: 0 events applied\n"
    )
    by_number = run("state", "--db", db, "--day", "3")
    assert by_number.exit_code == 2
    assert by_number.stderr == "Error: the log is empty, so it has no day 1\n"


def test_export_round_trips_through_import(run, tmp_path):
    exported = run("export", "--format", "jsonl").stdout
    db = str(tmp_path / "copy.db")
    assert run("init", "--db", db).exit_code == 0
    assert run("import", "-", "--db", db, input=exported).exit_code == 0
    assert run("export", "--db", db).stdout == exported
    original = json.loads(run("state", "--as-of", "2024-08-16", "--json").stdout)
    copied = json.loads(run("state", "--as-of", "2024-08-16", "--json", "--db", db).stdout)
    assert copied == original


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)], ids=["umask-022", "umask-027"])
def test_export_to_a_file_writes_the_log_as_an_ordinary_new_file(run, tmp_path, umask, mode):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "kursk.jsonl"
    previous = os.umask(umask)
    try:
        result = run("export", "-o", str(target))
    finally:
        os.umask(previous)
    assert result.exit_code == 0
    assert result.stdout == ""
    count = len(run("log", "--json").stdout.splitlines())
    assert result.stderr == f"exported {count} events to {target}\n"
    assert target.read_text(encoding="utf-8") == run("export").stdout
    # The permissions of a file the user created, not the temporary file's 0600; nothing else left behind.
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert os.listdir(folder) == ["kursk.jsonl"]
    # The file is the log: imported into a new database, it exports to the same bytes.
    db = str(tmp_path / "copy.db")
    assert run("init", "--db", db).exit_code == 0
    assert run("import", str(target), "--db", db).stdout == f"appended {count} events; the log ends at seq {count}\n"
    assert run("export", "--db", db).stdout == target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (("state", "--as-of", "2024-13-01"), "--as-of"),
        (("state", "--as-of", "2024-08-16", "--day", "3"), "not both"),
        (("state", "--day", "0"), "--day"),
        (("diff", "2024-08-16", "2024-08-09"), "after"),
        (("diff", "yesterday", "2024-08-09"), "FROM"),
        (("why", "settlements.Nowhere"), "no fact"),
        (("log", "--from", "2024-08-16", "--to", "2024-08-09"), "after"),
        (("append", "statement.made", "--on", "2024-08-16", "--source", "x", "--data", "{}"), "--db"),
    ],
)
def test_bad_query_input_is_one_line_and_exit_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_state_json_is_the_same_in_every_process():
    # Facts live in hash maps whose order follows string hashing, which each process seeds anew.
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "timeline.cli", "state", "--json"],
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(repo)},
            capture_output=True,
            check=True,
            cwd=repo,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outputs) == 1


def test_streamed_json_is_the_same_text_as_one_dump():
    from timeline.api import Timeline
    from timeline.cli import render, render_knowledge

    kursk = Timeline.bundled()
    for first, second in (("2024-08-06", "2024-08-16"), ("2024-08-14", "2024-08-15"), ("2024-08-16", "2024-08-16")):
        diff = kursk.diff(dt.date.fromisoformat(first), dt.date.fromisoformat(second))
        assert "\n".join(render.diff_json_chunks(diff)) == render.dumps(render.diff_json(diff))
    for as_of, known_on in (
        (dt.date(2024, 8, 16), None),
        (dt.date(2024, 8, 12), dt.date(2024, 8, 13)),
        (dt.date(2024, 7, 1), None),
    ):
        snapshot = kursk.state(as_of, known_on)
        assert "\n".join(render.state_json_chunks(snapshot)) == render.dumps(snapshot.to_json())
    learned = kursk.learned(dt.date(2024, 8, 12), dt.date(2024, 8, 16), dt.date(2024, 8, 12))
    nothing = kursk.learned(dt.date(2024, 8, 12), dt.date(2024, 8, 12), dt.date(2024, 8, 12))
    for each in (learned, nothing):
        assert "\n".join(render_knowledge.learned_json_chunks(each)) == render.dumps(
            render_knowledge.learned_json(each)
        )
    assert learned.changes and not nothing.changes  # a streamed array with items, and an empty one
    history = kursk.history("settlements.Sudzha")
    text = "\n".join(render_knowledge.history_json_chunks(history))
    assert text == render.dumps(json.loads(text)) and len(json.loads(text)["versions"]) == len(history.versions) > 1
    days = list(kursk.days())
    assert "\n".join(render.days_json_chunks(days)) == render.dumps(render.days_json(days))
    assert "\n".join(render.days_json_chunks([])) == render.dumps(render.days_json([]))


def test_a_diff_across_many_events_lists_a_few_and_counts_them_all(tmp_path):
    db = tmp_path / "many.db"
    helpers.ok("init", "--db", db)
    lines = "".join(json.dumps(helpers.statement(f"s{n}", f"2024-08-{10 + n % 10:02d}")) + "\n" for n in range(150))
    helpers.ok("import", "-", "--db", db, input=lines)
    text = helpers.ok("diff", "2024-08-09", "2024-08-19", "--db", db)
    assert "150 events" in text.splitlines()[0]
    assert text.count("\n  2024-08-") == 20 and "... and 130 more (--all-events lists them all)" in text
    full = helpers.ok("diff", "2024-08-09", "2024-08-19", "--all-events", "--db", db)
    assert full.count("\n  2024-08-") == 150 and "more (--all-events" not in full
    bounded = json.loads(helpers.ok("diff", "2024-08-09", "2024-08-19", "--json", "--db", db))
    assert bounded["events_total"] == 150 and len(bounded["events"]) == 100
    everything = json.loads(helpers.ok("diff", "2024-08-09", "2024-08-19", "--json", "--all-events", "--db", db))
    assert len(everything["events"]) == 150


def test_counts_in_headers_have_thousands_separators():
    import attrs

    from timeline.api import Timeline
    from timeline.cli import render

    snapshot = attrs.evolve(Timeline.bundled().state(dt.date(2024, 8, 16)), events_applied=1_055_919)
    assert "1,055,919 events applied" in render.state_text(snapshot).splitlines()[0]
