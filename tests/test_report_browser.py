"""The report in a real browser: Playwright driving the system's Chromium (headless shell).

`playwright install` cannot download browsers here, so the tests launch a Chromium found on the
machine (TIMELINE_CHROMIUM, else chromium-headless-shell or chromium on PATH). Without one (or
without the `browser` extra) they skip with the reason; with CI set, a missing browser fails.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import (
    HOSTILE,
    area_totals,
    every_day,
    hostile_log,
    learned_from_timeline,
    load_data,
    retracted_retraction_log,
    state_from_timeline,
)

from timeline.api import Timeline
from timeline.report import report_html

CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser")
LAUNCH_FLAGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run when CI is set: {reason}")
    pytest.skip(reason)


def find_chromium() -> str | None:
    named = os.environ.get("TIMELINE_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[browser]')")
    executable = find_chromium()
    if executable is None:
        _unavailable(
            "no Chromium found (apt-get install chromium-headless-shell, or set TIMELINE_CHROMIUM to its path)"
        )
    flags = [*LAUNCH_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]  # Chromium's sandbox refuses root
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=flags)
        yield launched
        launched.close()


class Page:
    """One page of a report, with every request and dialog it attempts recorded and refused."""

    def __init__(self, browser: Any, path: Path, fragment: str = ""):
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        # A load the page's own policy blocks never becomes a request: count those attempts too.
        self.page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.blockedURI));"
        )
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(self.url + fragment)
        self.page.wait_for_selector("body[data-ready]", state="attached")
        assert self.page.get_attribute("body", "data-ready") == "1", self.text("main")

    def _route(self, route: Any) -> None:
        if route.request.url.split("#")[0] == self.url:
            route.continue_()
        else:
            route.abort()  # the network is blocked: anything else is refused (and recorded above)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def attempted(self) -> list[str]:
        """Every fetch the page tried beyond its own file: requests, and loads its policy blocked."""
        requests = [url for url in self.requests if url.split("#")[0] != self.url]
        return requests + list(self.page.evaluate("window.__violations"))

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def slide_to(self, date: str) -> None:
        position = self.page.evaluate("(date) => window.timelineReport.positionOf(date)", date)
        self.page.locator("#day-slider").fill(str(position))

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def bundled_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html(Timeline.bundled(), log_name="the bundled Kursk 2024 log"), encoding="utf-8")
    return path


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(path: Path, fragment: str = "") -> Page:
        pages.append(Page(browser, path, fragment))
        return pages[-1]

    yield opener
    for page in pages:
        assert page.errors == [], page.errors
        page.close()


def sudzha_claims(page: Page) -> dict[str, str]:
    rows = page.page.locator('#settlements tr[data-settlement="Sudzha"] li.claim')
    return {rows.nth(n).get_attribute("data-claimant"): rows.nth(n).inner_text() for n in range(rows.count())}


def test_the_slider_on_16_august_shows_sudzha_contested_with_both_sides(open_page, bundled_report):
    page = open_page(bundled_report)
    page.slide_to("2024-08-16")
    assert page.text("#day-label").split() == ["2024-08-16", "day", "11"]
    assert page.page.get_attribute("body", "data-day") == "2024-08-16"
    assert "CONTESTED" in page.text('#settlements tr[data-settlement="Sudzha"] .status')
    claims = sudzha_claims(page)
    assert "controlled by Ukraine" in claims["Ukraine"] and "2024-08-15" in claims["Ukraine"]
    assert "contested" in claims["Russia"] and "Russian Ministry of Defence" in claims["Russia"]
    assert page.page.locator('#map g.marker[data-place="Sudzha"][data-contested="1"]').count() == 1
    assert "Krupets" in page.text("#map .unlocated")  # in the gazetteer without coordinates


def test_the_slider_on_13_august_shows_no_claim_on_sudzha_yet(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-16")
    page.slide_to("2024-08-13")
    assert page.page.get_attribute("body", "data-day") == "2024-08-13"
    assert "day 8" in page.text("#day-label")
    assert page.page.locator('#settlements tr[data-settlement="Sudzha"]').count() == 0
    assert "Sudzha" not in page.text("#settlements")
    assert page.page.locator('#map g.marker[data-place="Sudzha"]').count() == 0


def test_arrow_keys_move_one_day(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-16")
    page.page.locator("h1").click()  # focus outside the controls
    page.page.keyboard.press("ArrowLeft")
    assert page.page.get_attribute("body", "data-day") == "2024-08-15"
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.page.get_attribute("body", "data-day") == "2024-08-17"
    assert page.page.url.endswith("#2024-08-17")  # the address follows, so the day can be shared


def test_the_fragment_opens_that_day(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-16")
    assert page.page.get_attribute("body", "data-day") == "2024-08-16"
    assert "day 11" in page.text("#day-label")
    assert "CONTESTED" in page.text('#settlements tr[data-settlement="Sudzha"]')


def test_known_on_hides_a_backfilled_report_until_its_reported_day(open_page, bundled_report):
    dyumin = '#facts li.fact[data-path="appointments.Coordinator of the counter-terrorism response"]'
    page = open_page(bundled_report, "#2024-08-12")
    assert "Alexey Dyumin" in page.text(dyumin)  # full knowledge: appointed on the 12th
    page.page.select_option("#known-on", "2024-08-12")
    assert page.page.locator(dyumin).count() == 0  # made public on the 13th
    assert "k24-2024-08-12-dyumin-appointed" not in page.text("#events")
    assert page.page.url.endswith("#2024-08-12&known-on=2024-08-12")
    page.page.select_option("#known-on", "2024-08-13")
    assert "Alexey Dyumin" in page.text(dyumin)
    # The fragment carries the knowledge day too.
    shared = open_page(bundled_report, "#2024-08-16&known-on=2024-08-12")
    assert shared.page.locator(dyumin).count() == 0
    assert shared.page.input_value("#known-on") == "2024-08-12"


def test_the_page_answers_what_the_engine_answers_on_every_day_and_knowledge_day(open_page, bundled_report):
    timeline = Timeline.bundled()
    data = load_data(bundled_report.read_text(encoding="utf-8"))
    page = open_page(bundled_report)
    for day in every_day(data):
        for known in (None, *data["knowledge_days"]):
            shown = page.page.evaluate("([d, k]) => window.timelineReport.describeState(d, k)", [day, known])
            assert shown == state_from_timeline(timeline, day, known), (day, known)


def learned_panel(page: Page) -> tuple[str | None, dict[str, str], set[str]]:
    """The panel of what the known-on day added: its day, {event id: how} it lists, the fact paths it shows."""
    items = page.page.locator("#learned li[data-how]")
    events = {
        items.nth(n).get_attribute("data-event-id"): items.nth(n).get_attribute("data-how")
        for n in range(items.count())
    }
    changes = page.page.locator("#learned .change")
    paths = {changes.nth(n).get_attribute("data-path") for n in range(changes.count())}
    return page.page.get_attribute("#learned", "data-known-on"), events, paths


def expected_panel(timeline: Timeline, day: str, known: str) -> tuple[str, dict[str, str], set[str]]:
    found = learned_from_timeline(timeline, day, known)
    return known, found.events, set(found.changes)


def test_known_on_shows_what_that_day_made_public(open_page, bundled_report):
    timeline = Timeline.bundled()
    page = open_page(bundled_report, "#2024-08-16")
    last = timeline.bounds().last_reported
    assert last
    assert learned_panel(page) == expected_panel(timeline, "2024-08-16", last.isoformat())  # everything known
    page.page.select_option("#known-on", "2024-08-13")
    known, events, paths = learned_panel(page)
    assert (known, events, paths) == expected_panel(timeline, "2024-08-16", "2024-08-13")
    assert events["k24-2024-08-12-dyumin-appointed"] == "reported"  # the 12th's appointment, made public on the 13th
    assert "appointments.Coordinator of the counter-terrorism response" in paths
    assert "Known on 2024-08-13 but not on 2024-08-12, about 2024-08-16" in page.text("#learned")
    page.slide_to("2024-08-12")
    assert learned_panel(page) == expected_panel(timeline, "2024-08-12", "2024-08-13")
    assert "k24-2024-08-13-isw-800-km2" not in learned_panel(page)[1]  # occurred after the 12th
    # A day on which nothing was made public (the address allows any) added nothing, though it
    # knows what the 10th knew.
    quiet = open_page(bundled_report, "#2024-08-16&known-on=2024-08-11")
    assert learned_panel(quiet) == expected_panel(timeline, "2024-08-16", "2024-08-11") == ("2024-08-11", {}, set())
    assert "Nothing about 2024-08-16 was made public on 2024-08-11." in quiet.text("#learned")


@pytest.mark.parametrize(
    ("known", "shown"),
    [
        ("2024-08-01", "2024-08-01"),  # before the log: nothing made public, and nothing left out
        ("2024-08-00", "2024-08-00"),  # no such day: the panel still renders (the page raises no error)
        ("2030-01-01", "2024-08-24"),  # after the last report: everything known
    ],
)
def test_any_known_on_day_in_the_address_gives_the_panel(open_page, bundled_report, known, shown):
    page = open_page(bundled_report, f"#2024-08-16&known-on={known}")
    assert learned_panel(page) == (shown, {}, set())
    assert f"Nothing about 2024-08-16 was made public on {shown}." in page.text("#learned")
    assert "before this report's first day" not in page.text("#learned")


def test_known_on_shows_what_a_retraction_and_its_retraction_withdrew_and_restored(open_page, tmp_path):
    timeline = retracted_retraction_log(tmp_path / "retractions.db")
    path = tmp_path / "retractions.html"
    path.write_text(report_html(timeline), encoding="utf-8")
    page = open_page(path, "#2024-08-05")
    page.page.select_option("#known-on", "2024-08-03")
    assert learned_panel(page) == ("2024-08-03", {"a": "withdrawn", "r1": "reported"}, {"settlements.Sudzha"})
    page.page.select_option("#known-on", "2024-08-05")
    assert learned_panel(page) == (
        "2024-08-05",
        {"a": "restored", "r1": "withdrawn", "r2": "reported"},
        {"settlements.Sudzha"},
    )
    assert page.page.locator('#learned li[data-how="restored"] .badge.restored').count() == 1
    page.slide_to("2024-08-02")  # before r1 occurred: only A's claim is restored, by r2 of the 5th
    assert learned_panel(page) == ("2024-08-05", {"a": "restored", "r2": "reported"}, {"settlements.Sudzha"})
    page.page.select_option("#known-on", "")  # everything known: the 6th made B's claim of the 2nd public
    assert learned_panel(page) == ("2024-08-06", {"b": "reported"}, {"settlements.Sudzha"})
    # Cut from the 4th, the report embeds no event made public before it: the panel says so, and shows the facts.
    window = tmp_path / "window.html"
    window.write_text(report_html(timeline, first=dt.date(2024, 8, 4)), encoding="utf-8")
    cut = open_page(window, "#2024-08-04&known-on=2024-08-03")
    assert learned_panel(cut) == ("2024-08-03", {}, {"settlements.Sudzha"})
    assert "are before this report's first day (2024-08-04)" in cut.text("#learned")
    for day in every_day(load_data(path.read_text(encoding="utf-8"))):
        for known in ("2024-08-01", "2024-08-02", "2024-08-03", "2024-08-05", "2024-08-06"):
            shown = page.page.evaluate("([d, k]) => window.timelineReport.describeLearned(d, k)", [day, known])
            found = learned_from_timeline(timeline, day, known)
            assert shown["events"] == found.events, (day, known)
            assert {path: tuple(texts) for path, texts in shown["changes"].items()} == {
                path: change[:2] for path, change in found.changes.items()
            }, (day, known)


def test_the_page_adds_what_learned_says_on_every_day_and_knowledge_day(open_page, bundled_report):
    timeline = Timeline.bundled()
    data = load_data(bundled_report.read_text(encoding="utf-8"))
    page = open_page(bundled_report)
    for day in every_day(data):
        for known in data["knowledge_days"]:
            shown = page.page.evaluate("([d, k]) => window.timelineReport.describeLearned(d, k)", [day, known])
            found = learned_from_timeline(timeline, day, known)
            assert shown["events"] == found.events, (day, known)
            assert set(shown["changes"]) == set(found.changes), (day, known)


def test_a_hostile_event_runs_nothing_and_shows_as_text(open_page, tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(report_html(hostile_log(tmp_path / "hostile.db"), title="<script>alert(0)</script>"))
    page = open_page(path, "#2024-08-07")
    assert page.dialogs == []
    assert page.attempted() == []  # not even the image's src=x
    assert page.page.evaluate("window.__pwned") is None
    assert page.page.locator("img").count() == 0
    assert page.page.locator("b").count() == 0
    assert page.page.locator("script").count() == 2  # the data and the page's own script
    assert page.page.title() == "<script>alert(0)</script>"
    events = page.text("#events")
    assert f"Summary {HOSTILE}" in events
    assert f"Source {HOSTILE}" in events
    assert "<img src=x onerror=alert(6)>" in page.text("#settlements")
    assert "<b>Claimant</b>" in page.text("#settlements")
    page.page.locator("#map").scroll_into_view_if_needed()
    assert page.dialogs == [] and page.page.evaluate("window.__pwned") is None


def test_the_page_works_with_the_network_blocked(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-16")
    page.slide_to("2024-08-20")
    page.page.select_option("#known-on", "2024-08-14")
    assert page.page.locator("#charts svg").count() == 3
    assert page.page.locator("#map svg g.marker").count() >= 1
    assert page.attempted() == [], f"the page tried to fetch {page.attempted()}"


def test_a_compressed_report_reads_the_same(open_page, tmp_path):
    path = tmp_path / "packed.html"
    path.write_text(report_html(Timeline.bundled(), compress=True), encoding="utf-8")
    page = open_page(path, "#2024-08-16")
    assert set(sudzha_claims(page)) == {"Ukraine", "Russia", "Press reports"}
    assert page.attempted() == []


def test_a_screenshot_is_not_blank(open_page, bundled_report, tmp_path, require):
    image = require("PIL.Image", "Pillow (the 'browser' extra)")
    page = open_page(bundled_report, "#2024-08-16")
    shot = page.page.screenshot(full_page=True)
    (tmp_path / "report.png").write_bytes(shot)
    grey = image.open(io.BytesIO(shot)).convert("L")
    counts = grey.histogram()  # pixels per grey level 0-255
    total = sum(counts)
    mean = sum(level * count for level, count in enumerate(counts)) / total
    variance = sum(count * (level - mean) ** 2 for level, count in enumerate(counts)) / total
    assert grey.size[1] > 1000  # the whole page, not one screen
    assert variance > 500  # text, lines and markers, not one flat colour
    assert sum(1 for count in counts if count) > 32


def test_charts_draw_unverified_claims_hollow(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-22")
    unverified = page.page.locator('#charts [data-chart="area"] g.point.unverified circle')
    verified = page.page.locator('#charts [data-chart="area"] g.point:not(.unverified) circle')
    claims = area_totals(Timeline.bundled())
    hollow = sum(1 for recorded in claims if recorded.event.unverified)
    assert 0 < hollow < len(claims)  # the bundled log has both: Kyiv's unconfirmed figures, ISW's
    assert unverified.count() == hollow and verified.count() == len(claims) - hollow
    assert {unverified.nth(n).get_attribute("fill") for n in range(hollow)} == {"#fff"}
    assert "#fff" not in {verified.nth(n).get_attribute("fill") for n in range(len(claims) - hollow)}
    assert dt.date.fromisoformat(page.page.get_attribute("body", "data-day"))


def test_the_map_draws_the_borders_behind_the_places_and_credits_them(open_page, bundled_report):
    page = open_page(bundled_report, "#2024-08-16")
    border = page.page.locator('#map svg.base-map path.border.country[data-countries="Russia | Ukraine"]')
    assert border.count() >= 1
    assert page.page.locator("#map svg.base-map path.border.region").count() >= 2  # Kursk-Belgorod, and more
    labels = page.page.locator("#map svg.base-map text.area-label")
    names = {labels.nth(n).text_content() for n in range(labels.count())}
    assert {"RUSSIA", "UKRAINE", "Kursk Oblast", "Belgorod Oblast"} <= names
    note = page.text("#map .cite")
    assert "Borders: Natural Earth (public domain)" in note and "no map tiles" not in note
    # Behind the places: the borders come first in the map's drawing order.
    assert page.page.evaluate(
        "() => !!(document.querySelector('#map svg.base-map').compareDocumentPosition("
        "document.querySelector('#map g.marker')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    # In the places' projection: the border's nearest point to Sudzha is just west of it (under 10 km).
    west, away = page.page.evaluate(
        """() => {
          const marker = document.querySelector('#map g.marker[data-place="Sudzha"] rect');
          const box = marker.getBBox(), x = box.x + box.width / 2, y = box.y + box.height / 2;
          let best = null;
          document.querySelectorAll('#map path.border.country').forEach((path) => {
            for (let at = 0; at <= path.getTotalLength(); at += 0.5) {
              const point = path.getPointAtLength(at);
              if (best === null || Math.hypot(point.x - x, point.y - y) < Math.hypot(best.x - x, best.y - y)) best = point;
            }
          });
          // Map units per km, from two graticule lines of latitude (0.5 degrees, 55.6 km, apart).
          const parallels = [...document.querySelectorAll('#map text')].filter((t) => t.textContent.endsWith('°N'));
          const perKm = Math.abs(parallels[1].getAttribute('y') - parallels[0].getAttribute('y')) / 55.6;
          return [x - best.x, Math.hypot(best.x - x, best.y - y) / perKm];
        }"""
    )
    assert west > 0 and 3 < away < 15, (west, away)  # km: Natural Earth's 1:10m line, simplified
    assert page.attempted() == []


def test_the_map_draws_each_claimants_polygon_for_the_days_map_with_its_measured_area(open_page, tmp_path):
    from control_samples import CLAIMANT, CONTROLLER, SOURCE, feature, polygon, rectangle

    with Timeline.init(tmp_path / "maps.db") as timeline:
        for on, west in (("2024-09-01", 30.0), ("2024-09-02", 30.2)):
            document = json.dumps(feature(polygon(rectangle(west, 50, west + 1, 51)))).encode()
            options = {
                "claimant": CLAIMANT,
                "controller": CONTROLLER,
                "source": SOURCE,
                "on": dt.date.fromisoformat(on),
            }
            timeline.import_file(io.BytesIO(document), "geojson", name=f"{on}.geojson", **options)
        facts = {
            on: timeline.state(dt.date.fromisoformat(on)).fact("territory.mapped.DeepStateMap.Russia")
            for on in ("2024-09-01", "2024-09-02")
        }
        path = tmp_path / "maps.html"
        path.write_text(report_html(timeline), encoding="utf-8")
    page = open_page(path, "#2024-09-01")
    drawn = page.page.locator('#map svg g.control[data-claimant="DeepStateMap"]')
    assert drawn.count() == 1
    assert drawn.get_attribute("data-polygon-event") == facts["2024-09-01"].polygon_event
    assert drawn.get_attribute("data-controller") == "Russia"
    shape = drawn.locator("path")
    assert shape.get_attribute("d").count("L") == 4  # the rectangle's five positions
    box = shape.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50  # inside the frame, not a speck
    legend = page.text('#map .control-legend li[data-claimant="DeepStateMap"]')
    assert legend == (
        f"DeepStateMap: {facts['2024-09-01'].measured_area_km2:,.0f} km² held by Russia "
        "(measured from the polygon of 2024-09-01)"
    )
    assert "Mapped: DeepStateMap (map)" in page.text("#territory")
    assert "Spread" not in page.text("#territory")
    page.slide_to("2024-09-02")
    assert drawn.count() == 1
    assert drawn.get_attribute("data-polygon-event") == facts["2024-09-02"].polygon_event
    assert f"{facts['2024-09-02'].measured_area_km2:,.0f} km²" in page.text("#map .control-legend")
    assert page.attempted() == []
