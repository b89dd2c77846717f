"""The HTML report's size, build time and load time in headless Chromium, for the bundled log and synthetic logs.

    python tests/benchmarks/report_benchmark.py --events 100000 [--chromium /usr/bin/chromium-headless-shell]

Load time is from navigation to the page's first full render (body[data-ready]), median of
three loads in fresh pages; a day change is the median time to move the slider one day and
render. Prints one JSON object. Needs the `browser` extra and a Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import write_jsonl  # noqa: E402

from timeline import Timeline  # noqa: E402
from timeline.report import report_html  # noqa: E402


def measure_page(path: Path, chromium: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    loads, steps = [], []
    flags = ["--disable-gpu", "--disable-background-networking", *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=flags)
        for _ in range(3):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), timeout=300_000)
            page.wait_for_selector("body[data-ready]", state="attached", timeout=300_000)
            loads.append(time.perf_counter() - start)
            last = int(page.get_attribute("#day-slider", "max"))
            for position in range(max(1, last - 5), last):
                begin = time.perf_counter()
                page.locator("#day-slider").fill(str(position))
                steps.append(time.perf_counter() - begin)
            page.close()
        browser.close()
    return {
        "load_s_median": round(statistics.median(loads), 2),
        "day_change_ms_median": round(1000 * statistics.median(steps)),
    }


def measure(timeline: Timeline, name: str, out: Path, chromium: str | None) -> dict[str, Any]:
    start = time.perf_counter()
    page = report_html(timeline, log_name=name)
    built = time.perf_counter() - start
    out.write_text(page, encoding="utf-8")
    result: dict[str, Any] = {
        "log": name,
        "events": len(timeline),
        "build_s": round(built, 1),
        "bytes": out.stat().st_size,
        "compressed": 'data-encoding="gzip+base64"' in page,
    }
    if chromium:
        result.update(measure_page(out, chromium))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", default=[], help="synthetic log sizes (repeatable)")
    parser.add_argument("--chromium", default=shutil.which("chromium-headless-shell") or shutil.which("chromium"))
    parser.add_argument("--keep", type=Path, help="keep the reports in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-benchmark-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = [measure(Timeline.bundled(), "bundled", folder / "bundled.html", args.chromium)]
    for count in args.events:
        jsonl, db = folder / f"synthetic-{count}.jsonl", folder / f"synthetic-{count}.db"
        write_jsonl(str(jsonl), count)
        db.unlink(missing_ok=True)
        with Timeline.init(db) as timeline:
            timeline.import_jsonl(jsonl)
            results.append(measure(timeline, f"synthetic {count:,}", folder / f"synthetic-{count}.html", args.chromium))
    print(json.dumps({"chromium": args.chromium, "results": results}, indent=2))


if __name__ == "__main__":
    main()
