"""Benchmark: importing an ACLED-shaped CSV, then a newer copy of it, beside a plain JSONL import.

    python tests/benchmarks/acled_benchmark.py --rows 500000 [--output acled-results.json]

1. Generates an ACLED-shaped CSV of N rows (5 countries, 60 admin1 regions, 3,000 locations,
   ACLED's event and sub-event types, notes of ~200 characters, two years of dates; 2% of the
   rows transfer territory, so they also yield a settlement claim).
2. Times its first import into a new log (`timeline import --format acled`).
3. Times the re-import of a copy with 1% of the rows revised (newer timestamp, another toll),
   0.5% removed and 1% new: the change-only path that appends a retraction and a new version
   per revised row, a retraction per removed row and the new rows' events.
4. Times a plain JSONL import of the same log (`timeline export` of step 2, into a new log):
   the engine's own format, for comparison.

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

COLUMNS = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,"
    "inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"
).split(",")
COUNTRIES = (
    ("Russia", "RUS", 643),
    ("Ukraine", "UKR", 804),
    ("Belarus", "BLR", 112),
    ("Moldova", "MDA", 498),
    ("Georgia", "GEO", 268),
)
TYPES = (
    ("Battles", "Armed clash", 30),
    ("Battles", "Government regains territory", 1),
    ("Battles", "Non-state actor overtakes territory", 1),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 35),
    ("Explosions/Remote violence", "Air/drone strike", 20),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 3),
    ("Violence against civilians", "Attack", 3),
    ("Strategic developments", "Disrupted weapons use", 4),
    ("Protests", "Peaceful protest", 3),
)
ACTORS = (
    "Military Forces of Russia (2000-)",
    "Military Forces of Ukraine (2019-)",
    "Civilians (Ukraine)",
    "Protesters (Russia)",
)
FIRST_DAY = dt.date(2023, 1, 1)
DAYS = 730
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    places = []
    for n in range(3_000):
        country, code, iso = COUNTRIES[n % len(COUNTRIES)]
        places.append(
            (
                country,
                code,
                iso,
                f"Region {n % 60}",
                f"District {n % 400}",
                f"Place {n}",
                round(rng.uniform(44, 56), 4),
                round(rng.uniform(22, 45), 4),
            )
        )
    kinds = [(event_type, sub) for event_type, sub, weight in TYPES for _ in range(weight)]
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for n in range(rows):
            country, code, iso, admin1, admin2, location, latitude, longitude = rng.choice(places)
            event_type, sub_event_type = rng.choice(kinds)
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
            revised = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(
                days=rng.randrange(1, 15), seconds=rng.randrange(86_400)
            )
            actor1, actor2 = rng.sample(ACTORS, 2)
            notes = (
                f"On {day:%d %B %Y}, {actor1} and {actor2} clashed near {location} ({admin1}). "
                + "Details. " * rng.randrange(10, 20)
            )
            writer.writerow(
                [f"{code}{n + 1}", day.isoformat(), day.year, rng.choice("1112"), "Political violence", event_type, sub_event_type,
                 actor1, "", "State forces", actor2, "", "State forces", "State forces-State forces", "", iso, "Europe",
                 country, admin1, admin2, "", location, latitude, longitude, rng.choice("112"), "Source " + str(rng.randrange(200)),
                 "National", notes, rng.choice((0, 0, 0, 1, 2, 5)), "", int((revised - EPOCH).total_seconds())]
            )  # fmt: skip


def revise(source: Path, target: Path, changed: float, removed: float, seed: int, added: float = 0.0) -> dict[str, int]:
    """A newer export: `changed` of the rows revised a week after the latest timestamp, `removed`
    dropped, and `added` as many new rows (ids the export never had, stamped that week)."""
    rng = random.Random(seed)
    with open(source, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], rows[1:]
    at = {name: header.index(name) for name in ("event_id_cnty", "timestamp", "fatalities", "notes")}
    latest = max(int(cells[at["timestamp"]]) for cells in body)
    counts = {"changed": 0, "removed": 0, "added": 0}
    with open(target, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for cells in body:
            draw = rng.random()
            if draw < removed:
                counts["removed"] += 1
                continue
            if draw < removed + changed:
                counts["changed"] += 1
                cells = list(cells)
                cells[at["timestamp"]] = str(latest + 7 * 86_400 + rng.randrange(86_400))
                cells[at["fatalities"]] = str(int(cells[at["fatalities"]]) + 1)
                cells[at["notes"]] += " Revised."
            writer.writerow(cells)
        for n in range(round(len(body) * added)):
            cells = list(rng.choice(body))  # a new row like an old one, in the same place and days
            cells[at["event_id_cnty"]] = f"NEW{n + 1}"
            cells[at["timestamp"]] = str(latest + 7 * 86_400 + rng.randrange(86_400))
            writer.writerow(cells)
            counts["added"] += 1
    return counts


CHILD = """
import json, sys, time
sys.path.insert(0, {repo!r})
import attrs
from timeline import Timeline
tl = Timeline.init({db!r}) if {create!r} else Timeline.open({db!r})
start = time.perf_counter()
result = getattr(tl, {method!r})({source!r})
elapsed = time.perf_counter() - start
counts = attrs.asdict(result.counts) if hasattr(result, "counts") else None
appended = result.append.count if hasattr(result, "append") else result.count
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(json.dumps({{"seconds": elapsed, "appended": appended, "peak_rss_mb": peak, "counts": counts}}))
"""


def in_child(method: str, db: Path, source: Path, *, create: bool) -> dict[str, Any]:
    code = CHILD.format(repo=str(REPO), db=str(db), method=method, source=str(source), create=create)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--workdir", type=Path, help="Where the files go (default: a temporary folder).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=options.workdir) as folder:
        work = Path(folder)
        first, second, db = work / "acled-1.csv", work / "acled-2.csv", work / "acled.db"
        generate(first, options.rows, options.seed)
        changes = revise(first, second, changed=0.01, removed=0.005, added=0.01, seed=options.seed + 1)
        initial = in_child("import_acled", db, first, create=True)
        again = in_child("import_acled", db, second, create=False)
        exported = work / "log.jsonl"
        jsonl_db = work / "jsonl.db"
        subprocess.run([sys.executable, "-m", "timeline.cli", "export", "--db", str(db), "-o", str(exported)], check=True, cwd=REPO, capture_output=True)  # fmt: skip
        jsonl_events = sum(1 for _ in open(exported, encoding="utf-8"))
        jsonl = in_child("import_jsonl", jsonl_db, exported, create=True)
        events = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
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
                "rows_per_s": round((options.rows - changes["removed"] + changes["added"]) / again["seconds"]),
                "seconds": round(again["seconds"], 1),
                "changed_rows": changes["changed"],
                "removed_rows": changes["removed"],
                "new_rows": changes["added"],
                "counts": again["counts"],
                "events_appended": again["appended"],
                "peak_rss_mb": round(again["peak_rss_mb"], 1),
            },
            "jsonl_import_same_log": {
                "events_per_s": round(jsonl_events / jsonl["seconds"]),
                "seconds": round(jsonl["seconds"], 1),
                "events": jsonl_events,
                "peak_rss_mb": round(jsonl["peak_rss_mb"], 1),
            },
            "log_events_after_both": events,
            "database_mb": round(db.stat().st_size / 1e6, 1),
            "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
            "measured_on": dt.date.today().isoformat(),
        }
    text = json.dumps(figures, indent=2)
    print(text)
    if options.output:
        options.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
