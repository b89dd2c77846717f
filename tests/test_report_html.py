"""The HTML report without a browser: escaping, self-containment, and the embedded data's answers.

The data is held against `Timeline.state` for every (day, known-on) pair: it embeds only each
day's changes and, per knowledge day, the facts that differ, so this is where a wrong delta shows.
What a knowledge day added is held against `Timeline.learned` the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import sys
from collections import Counter

import pytest
from click.testing import CliRunner
from report_support import (
    HOSTILE,
    area_totals,
    every_day,
    hostile_log,
    learned_from_data,
    learned_from_timeline,
    load_data,
    retracted_retraction_log,
    state_from_data,
    state_from_timeline,
)
from synthetic import synthetic_records

from timeline.api import Timeline
from timeline.cli import cli
from timeline.errors import BadInput
from timeline.report import build_data, report_html
from timeline.report.page import script_json
from timeline.report.panels import panel_data


@pytest.fixture(scope="module")
def bundled_page() -> str:
    return report_html(Timeline.bundled(), log_name="bundled")


def every_pair_agrees(timeline: Timeline, data: dict) -> int:
    pairs = [(day, known) for day in every_day(data) for known in (None, *data["knowledge_days"])]
    for day, known in pairs:
        assert state_from_data(data, day, known) == state_from_timeline(timeline, day, known), (day, known)
    return len(pairs)


# -- the data answers what the engine answers ---------------------------------------------------


def test_every_day_and_knowledge_day_of_the_bundled_log_matches_state():
    timeline = Timeline.bundled()
    data = build_data(timeline)
    bounds = timeline.bounds()
    assert bounds.first_day and bounds.last_day
    days = (bounds.last_day - bounds.first_day).days + 1
    reported_days = {recorded.reported_on.isoformat() for recorded in timeline.events()}
    assert data["knowledge_days"] and set(data["knowledge_days"]) <= reported_days
    assert every_pair_agrees(timeline, data) == days * (1 + len(data["knowledge_days"]))
    # The backfilled reports are what the knowledge deltas hold: Dyumin's appointment (12 Aug,
    # public 13 Aug) is missing when known on the 12th.
    assert "appointments.Coordinator of the counter-terrorism response" not in state_from_data(
        data, "2024-08-16", "2024-08-12"
    )


def test_a_synthetic_log_with_backfills_and_retractions_matches_state(tmp_path):
    records = list(synthetic_records(1200, days=24, seed=11))
    assert any(record["kind"] == "event.retracted" for record in records)
    assert any(record["reported_on"] != record["occurred_on"] for record in records)
    timeline = Timeline.init(tmp_path / "synthetic.db")
    for record in records:
        timeline.append(record)
    data = build_data(timeline)
    assert data["known"], "backfills must give knowledge deltas"
    assert every_pair_agrees(timeline, data) > 500


def test_a_retracted_retraction_and_a_late_report_match_state(tmp_path):
    timeline = retracted_retraction_log(tmp_path / "retractions.db")
    data = build_data(timeline)
    assert every_pair_agrees(timeline, data) == 5 * 5  # 5 days; everything, or known on the 1st, 3rd, 5th
    events = {row[0]: row for row in data["events"]}
    assert events["a"][-1] == ["2024-08-03"]  # hidden while r1 stood alone; r2 (the 5th) restored it


# -- what a knowledge day added: the page's panel against `Timeline.learned` ------------------


def every_learned_agrees(timeline: Timeline, data: dict, knowledge_days: list[str] | None = None) -> Counter[str]:
    """Hold the data's answer for every (day, knowledge day K) against `learned(K - 1 day, K, day)`:
    event ids with how, and each changed fact (before, after, the events that made it). Returns
    how often each how (and a change) was expected, so a caller can check what its log exercises."""
    seen: Counter[str] = Counter()
    for day in every_day(data):
        for known in data["knowledge_days"] if knowledge_days is None else knowledge_days:
            expected = learned_from_timeline(timeline, day, known)
            assert learned_from_data(data, day, known) == expected, (day, known)
            seen.update(expected.events.values())
            seen["changes"] += len(expected.changes)
    return seen


def test_what_each_knowledge_day_added_on_the_bundled_log_is_what_learned_says():
    timeline = Timeline.bundled()
    data = build_data(timeline)
    seen = every_learned_agrees(timeline, data)
    assert seen["reported"] > 0 and seen["changes"] > 0
    # Known on the 13th: Dyumin's appointment of the 12th (made public a day late) and that day's claims.
    found = learned_from_data(data, "2024-08-16", "2024-08-13")
    assert found.events == {
        "k24-2024-08-12-dyumin-appointed": "reported",
        "k24-2024-08-13-isw-800-km2": "reported",
        "k24-2024-08-13-syrskyi-40-km2-gain": "reported",
        "k24-2024-08-13-syrskyi-74-settlements": "reported",
    }
    assert "appointments.Coordinator of the counter-terrorism response" in found.changes
    # About the 12th, the 16th added Kyiv's "more than 1,000 km²" of the 12th: one backfill, one change.
    backfill = learned_from_data(data, "2024-08-12", "2024-08-16")
    assert backfill.events == {"k24-2024-08-12-kyiv-more-than-1000-km2": "reported"}
    assert set(backfill.changes) == {"territory.claims.Ukraine"}


def test_a_backfill_a_retraction_and_its_retraction_are_what_learned_says(tmp_path):
    timeline = retracted_retraction_log(tmp_path / "retractions.db")
    data = build_data(timeline)
    seen = every_learned_agrees(timeline, data)
    assert seen["reported"] and seen["withdrawn"] and seen["restored"]
    assert learned_from_data(data, "2024-08-01", "2024-08-03").events == {"a": "withdrawn", "r1": "reported"}
    # r2 retracts r1: A's claim is restored, and r1 is withdrawn on the days it had occurred by.
    assert learned_from_data(data, "2024-08-02", "2024-08-05").events == {"a": "restored", "r2": "reported"}
    restored = learned_from_data(data, "2024-08-05", "2024-08-05")
    assert restored.events == {"a": "restored", "r1": "withdrawn", "r2": "reported"}
    assert set(restored.changes) == {"settlements.Sudzha"}
    assert learned_from_data(data, "2024-08-01", "2024-08-06").events == {}  # b occurred on the 2nd
    assert learned_from_data(data, "2024-08-02", "2024-08-06").events == {"b": "reported"}


def test_a_synthetic_log_adds_and_withdraws_what_learned_says(tmp_path):
    timeline = Timeline.init(tmp_path / "synthetic.db")
    for record in synthetic_records(400, days=14, seed=5):
        timeline.append(record)
    seen = every_learned_agrees(timeline, build_data(timeline))
    assert seen["reported"] and seen["withdrawn"] and seen["changes"]
    # A window: what its days' knowledge added includes backfills from before it that no fact cites.
    bounds = timeline.bounds()
    assert bounds.first_day
    window = build_data(timeline, _options(first=bounds.first_day + dt.timedelta(days=6)))
    from_first = [known for known in window["knowledge_days"] if known >= window["range"]["from"]]
    assert every_learned_agrees(timeline, window, from_first)["reported"]


def _without_exceptions(data: dict) -> dict:
    return {**data, "events": [[*row[:-1], []] for row in data["events"]]}


def _reported_a_day_late(data: dict) -> dict:
    late = [
        [*row[:3], (dt.date.fromisoformat(row[3]) + dt.timedelta(days=1)).isoformat(), *row[4:]]
        for row in data["events"]
    ]
    return {**data, "events": late}


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda data: {**data, "retractions": []}, id="no retraction links"),
        pytest.param(lambda data: {**data, "known": {}}, id="no knowledge deltas"),
        pytest.param(_without_exceptions, id="no visibility exceptions"),
        pytest.param(_reported_a_day_late, id="reported days shifted"),
    ],
)
def test_wrong_data_gives_a_different_answer_than_learned(tmp_path, corrupt):
    timeline = retracted_retraction_log(tmp_path / "retractions.db")
    data = build_data(timeline)
    with pytest.raises(AssertionError):
        every_learned_agrees(timeline, corrupt(data))


def test_a_window_adds_what_learned_says_from_its_first_day_and_the_facts_before(tmp_path):
    timeline = retracted_retraction_log(tmp_path / "retractions.db")
    data = build_data(timeline, _options(first=dt.date(2024, 8, 4)))
    # r2 (made public on the 5th) acts through r1 (the 3rd) on A's claim (the 1st): all three are embedded.
    events = [row[0] for row in data["events"]]
    assert {"a", "r1", "r2"} <= set(events)
    assert sorted([events[retraction], events[target]] for retraction, target in data["retractions"]) == [
        ["r1", "a"],
        ["r2", "r1"],
    ]
    from_first = [known for known in data["knowledge_days"] if known >= data["range"]["from"]]
    assert every_learned_agrees(timeline, data, from_first)["restored"]
    # Before the window the page names no event (none of that day's is embedded), but every fact it changed.
    for day in every_day(data):
        assert (
            learned_from_data(data, day, "2024-08-03").changes
            == learned_from_timeline(timeline, day, "2024-08-03").changes
        )


def test_a_knowledge_day_adds_nothing_but_its_own_reports():
    # The retraction links are the panel's only data of its own: the bundled log has no retraction.
    data = build_data(Timeline.bundled())
    assert data["retractions"] == []
    assert learned_from_data(data, "2024-08-16", "2024-08-11") == learned_from_timeline(
        Timeline.bundled(), "2024-08-16", "2024-08-11"
    )  # no report was made public on the 11th
    assert learned_from_data(data, "2024-08-16", "2024-08-11").events == {}


def test_from_and_to_show_a_window_with_the_state_before_it(tmp_path):
    timeline = Timeline.bundled()
    data = build_data(timeline, options=_options(first=dt.date(2024, 8, 13), last=dt.date(2024, 8, 16)))
    assert [day[0] for day in data["days"]] == ["2024-08-12", "2024-08-13", "2024-08-14", "2024-08-15", "2024-08-16"]
    for day in every_day(data):
        for known in (None, *data["knowledge_days"]):
            assert state_from_data(data, day, known) == state_from_timeline(timeline, day, known)


def _options(**fields):
    from timeline.report.data import ReportOptions

    return ReportOptions(**fields)


def test_a_range_outside_the_log_or_backwards_is_refused():
    with pytest.raises(BadInput, match="no day from 2030-01-01"):
        build_data(Timeline.bundled(), _options(first=dt.date(2030, 1, 1)))
    with pytest.raises(BadInput, match="is after"):
        build_data(Timeline.bundled(), _options(first=dt.date(2024, 8, 16), last=dt.date(2024, 8, 10)))


def test_an_empty_log_is_refused(tmp_path):
    with pytest.raises(BadInput, match="no events"):
        build_data(Timeline.init(tmp_path / "empty.db"))


# -- escaping -----------------------------------------------------------------------------------


def test_script_json_can_never_close_its_tag():
    text = script_json({"a": "</script><!-- <script> & \u2028\u2029"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text


def test_hostile_texts_stay_data(tmp_path):
    page = report_html(hostile_log(tmp_path / "hostile.db"), title="<script>alert('title')</script>")
    # The page's own two scripts and nothing else; no image, no handler, no javascript: URL in markup.
    assert len(re.findall(r"<script", page, re.I)) == 2
    assert len(re.findall(r"</script", page, re.I)) == 2
    data_element = re.search(r'(<script type="application/json" id="timeline-data">)(.*?)(</script>)', page, re.S)
    assert "<" not in data_element.group(2) and ">" not in data_element.group(2)
    markup = page.replace(data_element.group(2), "")
    assert not re.search(r"<img|onerror=|javascript:", markup, re.I)
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    data = load_data(page)
    texts = {row[0]: row for row in data["events"]}
    assert HOSTILE in texts["hostile-statement"][5]
    assert HOSTILE in texts["hostile-statement"][7]
    assert f"Source {HOSTILE}" in data["strings"]


def test_the_compressed_form_holds_the_same_data(tmp_path):
    timeline = Timeline.bundled()
    plain, packed = report_html(timeline, compress=False), report_html(timeline, compress=True)
    assert 'data-encoding="gzip+base64"' in packed and 'data-encoding="' not in plain
    assert load_data(plain) == load_data(packed)


# -- one self-contained file --------------------------------------------------------------------


def test_the_page_loads_nothing_from_anywhere(bundled_page):
    assert not re.search(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:|//)""", bundled_page, re.I)
    assert not re.search(r"<(?:link|iframe|object|embed|img)\b|@import|url\(", bundled_page, re.I)
    # The one URL in the page is the SVG namespace, which names elements and is never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", bundled_page)) == {"http://www.w3.org/2000/svg"}


def test_the_content_security_policy_allows_only_the_page_itself(bundled_page):
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', bundled_page).group(1)
    assert "default-src &#x27;none&#x27;" in policy
    script = re.search(r"<script>(.*?)</script>", bundled_page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", bundled_page, re.S).group(1)
    for text in (script, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"sha256-{digest}" in policy


def test_places_without_coordinates_are_kept_for_the_list_beside_the_map():
    data = build_data(Timeline.bundled())
    located = {row[6]: row[5] for row in data["facts"] if row[6] is not None}
    assert located["Sudzha"][:2] == [51.19, 35.27]
    assert located["Krupets"] is None  # in the gazetteer, without coordinates
    assert located["Girji"] is None


def test_charts_keep_each_claims_qualifier_range_and_source():
    data = build_data(Timeline.bundled())
    area = data["series"]["area"]["points"]
    by_event = {data["events"][point[0]][0]: point for point in area}
    assert by_event["k24-2024-08-13-isw-800-km2"][1:4] == ["ISW", 800, "at_least"]
    assert data["events"][by_event["k24-2024-08-12-syrskyi-1000-km2"][0]][6] == 1  # unverified: drawn hollow
    prisoners = data["series"]["prisoners"]["points"]
    # every prisoners.captured claim, grouped by its source
    assert len(prisoners) == len(list(Timeline.bundled().events(kind="prisoners.captured")))
    assert all(point[1] == data["strings"][data["events"][point[0]][4]] for point in prisoners)


# -- the commands -------------------------------------------------------------------------------


def test_report_command_writes_one_file(tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--from", "2024-08-10", "--to", "2024-08-16"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert load_data(out.read_text(encoding="utf-8"))["range"] == {"from": "2024-08-10", "to": "2024-08-16"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-08-16", "--to", "2024-08-10"], "is after"),
        (["--from", "2024-02-30"], "Invalid value for '--from'"),
        (["--from", "2031-01-01"], "no day from 2031-01-01"),
    ],
)
def test_report_command_refuses_bad_ranges_in_one_line(tmp_path, args, message):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_report_command_names_a_missing_folder(tmp_path):
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "nowhere" / "report.html")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_chart_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = CliRunner().invoke(cli, ["chart", "--out", str(tmp_path / "area.png")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "pip install -e '.[plot]'" in result.output


def test_chart_writes_a_png(tmp_path, require):
    require("matplotlib", "the 'plot' extra (pip install -e '.[plot]')")
    out = tmp_path / "area.png"
    result = CliRunner().invoke(cli, ["chart", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(area_totals(Timeline.bundled()))} claims" in result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    known = CliRunner().invoke(cli, ["chart", "--out", str(out), "--known-on", "2024-08-12"])
    assert "(1 claim)" in known.output  # only Kyiv's 1,000 km² had been made public


def test_every_claimants_territory_row_has_its_panel_with_each_report():
    # The panel reads the territory facts' own shape; a fact it cannot read falls back to one line,
    # which would hide the side-by-side table: every claimant must have its row.
    facts = Timeline.bundled().state(dt.date(2024, 8, 16)).projector_facts()["territory"]
    rows = {
        key[-1]: panel_data("territory", fact, lambda text: 0, lambda event_id: 0)
        for key, fact in facts.items()
        if key[0] == "claims"
    }
    assert set(rows) == {"ISW", "Russia", "Ukraine"} and all(panel is not None for panel in rows.values()), rows
    assert [report[0] for report in rows["ISW"][1]] == ["at least 800 km²", "about 800 km²"]  # AFP's and the article's
    assert rows["Russia"][1][0][1] == "in August 2024"  # dated as precisely as the source dated it
