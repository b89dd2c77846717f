"""`timeline state / diff / days / why / export` through click's test runner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from timeline.cli import cli

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
}


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("TIMELINE_DB", raising=False)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


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


def test_export_round_trips_through_import(run, tmp_path):
    exported = run("export", "--format", "jsonl").stdout
    db = str(tmp_path / "copy.db")
    assert run("init", "--db", db).exit_code == 0
    assert run("import", "-", "--db", db, input=exported).exit_code == 0
    assert run("export", "--db", db).stdout == exported
    original = json.loads(run("state", "--as-of", "2024-08-16", "--json").stdout)
    copied = json.loads(run("state", "--as-of", "2024-08-16", "--json", "--db", db).stdout)
    assert copied == original


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
    from timeline import render
    from timeline.api import Timeline

    kursk = Timeline.bundled()
    for first, second in (("2024-08-06", "2024-08-16"), ("2024-08-14", "2024-08-15"), ("2024-08-16", "2024-08-16")):
        diff = kursk.diff(dt.date.fromisoformat(first), dt.date.fromisoformat(second))
        assert "\n".join(render.diff_json_chunks(diff)) == render.dumps(render.diff_json(diff))
    days = list(kursk.days())
    assert "\n".join(render.days_json_chunks(days)) == render.dumps(render.days_json(days))
    assert "\n".join(render.days_json_chunks([])) == render.dumps(render.days_json([]))
