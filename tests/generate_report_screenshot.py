"""Take the screenshot docs/report.md shows: the bundled log's report on 2024-08-16, down to the map.

    python tests/generate_report_screenshot.py      # writes timeline/report/samples/report.png

It drives the Chromium the browser tests use (TIMELINE_CHROMIUM, else one on PATH).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from test_report_browser import LAUNCH_FLAGS, find_chromium

from timeline.api import Timeline
from timeline.report import report_html

OUT = Path(__file__).resolve().parent.parent / "timeline" / "report" / "samples" / "report.png"
VIEWPORT = {"width": 1400, "height": 1240}  # the header, the two panels and the whole map


def main() -> int:
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        print("no Chromium found: install chromium-headless-shell or set TIMELINE_CHROMIUM", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "report.html"
        page_file.write_text(report_html(Timeline.bundled(), log_name="the bundled Kursk 2024 log"), encoding="utf-8")
        flags = [*LAUNCH_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=flags)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(page_file.resolve().as_uri() + "#2024-08-16")
            page.wait_for_selector("body[data-ready='1']", state="attached")
            page.screenshot(path=str(OUT))
            browser.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
