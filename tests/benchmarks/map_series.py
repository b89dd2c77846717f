"""The size of a year of daily maps of controlled territory, each polygon stored once.

    python tests/benchmarks/map_series.py [--days 365] [--every 7] [--points 2900]

Imports one DeepStateMap-sized GeoJSON file per day (a MultiPolygon of 6 parts and `--points`
positions) whose polygon changes every `--every` days, one import per file as a user would, into
a fresh SQLite log; prints one JSON object: the files' size, the log's size (after VACUUM), the
JSONL export's, how many events carry coordinates, the stored state's size and the time taken.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

from control_samples import CLAIMANT, CONTROLLER, SOURCE, front  # noqa: E402

from timeline import Timeline  # noqa: E402


def measure(days: int, every: int, points: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "maps.db"
        files_bytes = 0
        started = time.perf_counter()
        with Timeline.init(db) as timeline:
            for n in range(days):
                document = json.dumps(front(n // every, points=points)).encode()
                files_bytes += len(document)
                options = {"claimant": CLAIMANT, "controller": CONTROLLER, "source": SOURCE}
                options["on"] = dt.date(2024, 1, 1) + dt.timedelta(days=n)
                timeline.import_file(io.BytesIO(document), "geojson", name=f"day-{n}.geojson", **options)
            seconds = time.perf_counter() - started
            exported = io.StringIO()
            timeline.export("jsonl", exported)
            carriers = sum(1 for r in timeline.events() if getattr(r.payload, "coordinates", None) is not None)
        connection = sqlite3.connect(db)
        connection.execute("VACUUM")
        (state_bytes,) = connection.execute("SELECT sum(length(value)) FROM fact_values").fetchone()
        connection.close()
        return {
            "days": days,
            "polygon_changes_every_days": every,
            "points_per_map": points,
            "files_mb": round(files_bytes / 1e6, 2),
            "log_mb": round(db.stat().st_size / 1e6, 2),
            "jsonl_export_mb": round(len(exported.getvalue().encode()) / 1e6, 2),
            "events_with_coordinates": carriers,
            "stored_state_kb": round(state_bytes / 1e3, 1),
            "import_seconds": round(seconds, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--points", type=int, default=2_900)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.days, arguments.every, arguments.points), indent=2))


if __name__ == "__main__":
    main()
