"""SQLite beside PostgreSQL in one run: import, full replay, `state` p50 and 4-writer throughput.

    python tests/benchmarks/benchmark.py --events 100000        (the backends column is part of it)
    python tests/benchmarks/backends.py --events 100000         (only this comparison)

PostgreSQL is a throwaway cluster started here with fsync on (as SQLite's WAL commits are
durable), or the server TIMELINE_BENCH_POSTGRES_URL names (it must allow CREATE DATABASE).
Both stores get the same synthetic log; the writers are 4 processes, each appending one event
of the log's last day per transaction (what a team of reporters does) to the log that already
holds it all.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import FIRST_DAY, write_jsonl  # noqa: E402

from timeline import Timeline  # noqa: E402
from timeline.integrity.verify import verify_log  # noqa: E402
from timeline.store import open_store  # noqa: E402

WRITERS = 4
APPENDS_PER_WRITER = 250


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on a benchmark server, or None (with the reason on stderr) when there is none."""
    import postgres_server

    try:
        url = os.environ.get("TIMELINE_BENCH_POSTGRES_URL")
        with postgres_server.server(fsync=True) if not url else contextlib.nullcontext(url) as server_url:
            databases = postgres_server.Databases(server_url)
            try:
                yield databases.new()
            finally:
                databases.close()
    except postgres_server.Unavailable as exc:
        print(f"no PostgreSQL for the benchmark: {exc}", file=sys.stderr)
        yield None


def _writer(target: str, writer: int, appends: int, start: Any) -> None:
    from events.envelope import Event
    from events.kinds import StatementMade

    store = open_store(target)
    # Reporters record what happened today: the log's last day. (A backfill into an early day
    # refolds the checkpoints from that day on, seconds at 100,000 events: not what a desk does
    # many times a minute.)
    today = dt.date.fromisoformat(store.bounds()[1] or FIRST_DAY.isoformat())
    start.wait()
    try:
        for n in range(appends):
            event = Event(StatementMade("Reporter", f"Report {n}."), today, f"desk {writer}", event_id=f"w{writer}-{n}")
            store.append([event])
    finally:
        store.close()


def writers_throughput(target: str) -> float:
    """Appends per second of WRITERS processes appending one event per transaction at once."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [context.Process(target=_writer, args=(target, n, APPENDS_PER_WRITER, start)) for n in range(WRITERS)]
    for process in processes:
        process.start()
    time.sleep(2.0)  # let every writer open its store before the clock starts
    began = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    if any(process.exitcode != 0 for process in processes):
        raise RuntimeError("a writer failed")
    return WRITERS * APPENDS_PER_WRITER / elapsed


def measure(target: str, source: Path, *, samples: int, seed: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    timeline = Timeline.init(target)
    began = time.perf_counter()
    result = timeline.import_jsonl(source)
    figures["import_events_per_s"] = round(result.count / (time.perf_counter() - began))
    last_day = timeline.last_day()
    assert last_day is not None
    replays = []
    for _ in range(2):
        began = time.perf_counter()
        snapshot = timeline.state(last_day, use_checkpoints=False)
        replays.append(snapshot.events_applied / (time.perf_counter() - began))
    figures["full_replay_events_per_s"] = round(max(replays))
    timeline.checkpoint()
    timeline.close()
    reader = Timeline.open(target, read_only=True)
    rng = random.Random(seed)
    latencies = []
    for _ in range(samples):
        day = FIRST_DAY + dt.timedelta(days=rng.randrange((last_day - FIRST_DAY).days + 1))
        began = time.perf_counter()
        reader.state(day)
        latencies.append((time.perf_counter() - began) * 1000)
    figures["state_p50_ms"] = round(statistics.median(latencies), 2)
    figures["checkpoints"] = reader.checkpoints.count()
    reader.close()
    figures[f"{WRITERS}_writers_appends_per_s"] = round(writers_throughput(target))
    check = open_store(target)
    try:
        report = verify_log(check)
        figures["verify_ok_after_writers"] = report.ok and report.events == result.count + WRITERS * APPENDS_PER_WRITER
    finally:
        check.close()
    return figures


def compare(events: int, workdir: Path, *, samples: int = 30, seed: int = 2024) -> dict[str, Any]:
    source = workdir / f"backends-{events}.jsonl"
    write_jsonl(str(source), events, seed=seed)
    result: dict[str, Any] = {"events": events}
    print(f"backends at {events:,} events: SQLite...", file=sys.stderr)
    result["sqlite"] = measure(str(workdir / f"backends-{events}.db"), source, samples=samples, seed=seed)
    with postgres_database() as url:
        if url is not None:
            print(f"backends at {events:,} events: PostgreSQL...", file=sys.stderr)
            result["postgresql"] = measure(url, source, samples=samples, seed=seed)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="timeline-backends-") as workdir:
        print(json.dumps(compare(args.events, Path(workdir), samples=args.samples), indent=2))


if __name__ == "__main__":
    main()
