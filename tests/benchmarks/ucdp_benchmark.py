"""Benchmark: importing a UCDP-GED-shaped CSV, then a later download of it.

    python tests/benchmarks/ucdp_benchmark.py --rows 100000 [--output ucdp-results.json]

1. Generates a UCDP-GED-shaped CSV of N made-up rows (5 countries, 60 first-order regions, 3,000
   places, the three types of violence, two years of dates, a tenth of them spans of days;
   deaths by side and a best estimate within a low-high range).
2. Times its first import into a new log (`timeline import --format ucdp --known-on DAY`).
3. Times the import of a later download, known a month later, in which 1% of the rows are
   revised (another toll), 0.5% removed and 0.5% new, and every other row is written another
   way (dates with midnight, `3.0` for 3, `true` for TRUE): the change-only path, which reads
   each row as values and compares it with what the log holds.

Each import runs in a fresh process, which also reports its peak RSS. Prints one JSON object.
Wall-clock figures on a shared machine: compare within one run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from ucdp_samples import COLUMNS  # noqa: E402  (the tests' own column list)

COUNTRIES = (("Russia (Soviet Union)", 365), ("Ukraine", 369), ("Belarus", 370), ("Moldova", 359), ("Georgia", 372))
VIOLENCE = ((1, 70), (2, 10), (3, 20))
FIRST_DAY = dt.date(2023, 1, 1)
DAYS = 730
FIRST_KNOWN_ON = dt.date(2025, 2, 1)
SECOND_KNOWN_ON = dt.date(2025, 3, 1)


def _row(rng: random.Random, record_id: int, places: list[tuple[Any, ...]]) -> dict[str, Any]:
    country, country_id, adm_1, adm_2, place, latitude, longitude = rng.choice(places)
    violence = rng.choice([code for code, weight in VIOLENCE for _ in range(weight)])
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    end = start + dt.timedelta(days=rng.randrange(1, 6)) if rng.random() < 0.1 else start
    deaths = [rng.choice((0, 0, 1, 2, 5)) for _ in range(4)]
    best = sum(deaths)
    return {
        "id": record_id, "relid": f"X-{start.year}-{violence}-{record_id}", "year": start.year,
        "active_year": "TRUE", "code_status": "Clear", "type_of_violence": violence,
        "conflict_new_id": 13_000 + violence, "conflict_name": f"Conflict {violence}",
        "dyad_new_id": 14_000 + violence, "dyad_name": f"Side A {violence} - Side B {violence}",
        "side_a_new_id": 57, "side_a": f"Side A {violence}", "side_b_new_id": 199, "side_b": f"Side B {violence}",
        "number_of_sources": rng.randrange(1, 5),
        "source_article": f"Outlet {rng.randrange(200)}, {start.isoformat()}, 'Fighting near {place}'",
        "source_office": f"Outlet {rng.randrange(200)}", "source_date": start.isoformat(),
        "source_headline": f"Fighting near {place}", "source_original": "Ministry of Defence",
        "where_prec": rng.choice((1, 1, 2, 3, 4)), "where_coordinates": f"{place} town",
        "where_description": f"{place}, {adm_1}", "adm_1": adm_1, "adm_2": adm_2,
        "latitude": latitude, "longitude": longitude, "geom_wkt": f"POINT ({longitude} {latitude})",
        "priogrid_gid": 180_000 + rng.randrange(5_000), "country": country, "country_id": country_id,
        "region": "Europe", "event_clarity": rng.choice((1, 1, 2)), "date_prec": 1 if end == start else 2,
        "date_start": start.isoformat(), "date_end": end.isoformat(),
        "deaths_a": deaths[0], "deaths_b": deaths[1], "deaths_civilians": deaths[2], "deaths_unknown": deaths[3],
        "best": best, "high": best + rng.randrange(0, 4), "low": max(0, best - rng.randrange(0, 2)),
        "gwnoa": str(country_id), "gwnob": "",
    }  # fmt: skip


def _places(rng: random.Random) -> list[tuple[Any, ...]]:
    places = []
    for n in range(3_000):
        country, country_id = COUNTRIES[n % len(COUNTRIES)]
        places.append(
            (country, country_id, f"Region {n % 60}", f"District {n % 400}", f"Place {n}",
             round(rng.uniform(44, 56), 4), round(rng.uniform(22, 45), 4))
        )  # fmt: skip
    return places


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(first: Path, second: Path, rows: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    places = _places(rng)
    body = [_row(rng, n + 1, places) for n in range(rows)]
    _write(first, body)
    counts = {"revised": 0, "removed": 0, "new": 0}
    later = []
    for values in body:
        draw = rng.random()
        if draw < 0.005:
            counts["removed"] += 1
            continue
        if draw < 0.015:
            counts["revised"] += 1
            values = {**values, "best": values["best"] + 1, "high": values["high"] + 1}
        else:  # the same row, written another way
            values = {**values, "date_start": f"{values['date_start']}T00:00:00", "best": f"{values['best']}.0",
                      "active_year": "true"}  # fmt: skip
        later.append(values)
    for n in range(rows // 200):
        later.append(_row(rng, rows + n + 1, places))
        counts["new"] += 1
    _write(second, later)
    return counts


CHILD = """
import datetime as dt, json, sys, time
sys.path.insert(0, {repo!r})
import attrs
from timeline import Timeline
tl = Timeline.init({db!r}) if {create!r} else Timeline.open({db!r})
start = time.perf_counter()
result = tl.import_ucdp({source!r}, dt.date.fromisoformat({known_on!r}))
elapsed = time.perf_counter() - start
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(json.dumps({{"seconds": elapsed, "appended": result.append.count, "peak_rss_mb": peak,
                  "counts": attrs.asdict(result.counts)}}))
"""


def in_child(db: Path, source: Path, known_on: dt.date, *, create: bool) -> dict[str, Any]:
    code = CHILD.format(repo=str(REPO), db=str(db), source=str(source), known_on=known_on.isoformat(), create=create)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--workdir", type=Path, help="Where the files go (default: a temporary folder).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=options.workdir) as folder:
        work = Path(folder)
        first, second, db = work / "ged-1.csv", work / "ged-2.csv", work / "ged.db"
        changes = generate(first, second, options.rows, options.seed)
        initial = in_child(db, first, FIRST_KNOWN_ON, create=True)
        again = in_child(db, second, SECOND_KNOWN_ON, create=False)
        events = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
        second_rows = options.rows - changes["removed"] + changes["new"]
        figures = {
            "rows": options.rows,
            "csv_mb": round(first.stat().st_size / 1e6, 1),
            "first_import": {
                "rows_per_s": round(options.rows / initial["seconds"]),
                "seconds": round(initial["seconds"], 1),
                "events_appended": initial["appended"],
                "peak_rss_mb": round(initial["peak_rss_mb"], 1),
            },
            "reimport": {
                "rows": second_rows,
                "rows_per_s": round(second_rows / again["seconds"]),
                "seconds": round(again["seconds"], 1),
                "made": changes,
                "counts": again["counts"],
                "events_appended": again["appended"],
                "peak_rss_mb": round(again["peak_rss_mb"], 1),
            },
            "events_in_log": events,
            "db_mb": round(db.stat().st_size / 1e6, 1),
            "python": platform.python_version(),
            "measured_on": dt.date.today().isoformat(),
        }
    text = json.dumps(figures, indent=2)
    print(text)
    if options.output:
        options.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
