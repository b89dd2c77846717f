"""Benchmark: import, replay and as-of queries at N events, beside two baselines run in the same process.

    python tests/benchmarks/benchmark.py --events 10000 --events 100000 [--events 1000000]

Baselines, measured in the same run on the same machine:
- the floor: a plain sqlite3 SELECT of the same rows in fold order with json.loads of each
  payload; replay throughput is printed as a ratio of it;
- a peer: the `eventsourcing` library (`pip install -e '.[benchmark]'`) storing the same events
  in one aggregate and reconstructing it at the same points, without and with snapshots
  every 1,000 events; our `state` latency is printed as a ratio of each.

- the backends: the same log on SQLite and on PostgreSQL (`backends.py`: import, full replay,
  `state` p50 and 4-writer throughput), at the sizes given by --backends-at (default 100000).

Prints one JSON object with every figure (and writes it to --output if given). Timings are
wall clock on a shared machine: compare ratios from one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from synthetic import FIRST_DAY, synthetic_records, write_jsonl  # noqa: E402

from timeline import Timeline  # noqa: E402


def summary_ms(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "samples": len(ordered),
    }


def timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - start, result


def floor_events_per_s(db_path: Path, last_day: str) -> float:
    """The floor: read the same rows in fold order and parse each payload, nothing more."""
    conn = sqlite3.connect(db_path)
    start = time.perf_counter()
    count = 0
    for (data,) in conn.execute("SELECT data FROM events WHERE occurred_on <= ? ORDER BY occurred_on, seq", [last_day]):
        json.loads(data)
        count += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return count / elapsed


def replay_rss_mb(db_path: Path) -> dict[str, float]:
    """Peak RSS of a fresh process that replays the whole log without checkpoints, and of one that only imports."""

    def child(code: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=HERE.parent.parent
        )
        return float(out.stdout.strip())

    prelude = "import sys; sys.path.insert(0, '.'); from timeline import Timeline; "
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's peak across fork and exec.
    peak = "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)"
    baseline = child(prelude + peak)
    replay = child(
        prelude + f"tl = Timeline.open({str(db_path)!r}, read_only=True); tl.state(use_checkpoints=False); " + peak
    )
    return {"replay_peak_rss_mb": round(replay, 1), "interpreter_and_imports_rss_mb": round(baseline, 1)}


def versions_at_days(records_path: Path, days: list[dt.date]) -> list[int]:
    """For each day, how many events had been appended by its end (the peer's aggregate version)."""
    last_position: dict[str, int] = {}
    with open(records_path, encoding="utf-8") as stream:
        for position, line in enumerate(stream, 1):
            last_position[json.loads(line)["reported_on"]] = position
    positions = []
    for day in days:
        known = [position for reported, position in last_position.items() if reported <= day.isoformat()]
        positions.append(max(known) if known else 1)
    return positions


def run(events: int, *, samples: int, cold_samples: int, peer: bool, workdir: Path, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    figures: dict[str, Any] = {"events": events}
    source = workdir / f"synthetic-{events}.jsonl"
    db_path = workdir / f"bench-{events}.db"
    write_jsonl(str(source), events, seed=seed)

    timeline = Timeline.init(db_path)
    elapsed, _ = timed(timeline.import_jsonl, source)
    figures["import_events_per_s"] = round(events / elapsed)
    last_day = timeline.last_day()
    days = [FIRST_DAY + dt.timedelta(days=rng.randrange((last_day - FIRST_DAY).days + 1)) for _ in range(samples)]

    # Floor and full replay, each best of two so that one noisy moment does not decide the ratio.
    floor = max(floor_events_per_s(db_path, last_day.isoformat()) for _ in range(2))
    replays = []
    for _ in range(2):
        elapsed, snapshot = timed(timeline.state, last_day, use_checkpoints=False)
        replays.append(snapshot.events_applied / elapsed)
    figures["floor_sqlite_json_events_per_s"] = round(floor)
    figures["replay_events_per_s"] = round(max(replays))
    figures["replay_to_floor_ratio"] = round(max(replays) / floor, 3)
    figures["facts_in_final_state"] = len(snapshot.facts())

    cold = []
    for day in days[:cold_samples]:
        elapsed, _ = timed(timeline.state, day, use_checkpoints=False)
        cold.append(elapsed * 1000)
    figures["state_cold_ms"] = summary_ms(cold)

    elapsed, built = timed(timeline.checkpoint)
    figures["checkpoint_build_s"] = round(elapsed, 2)
    figures["checkpoints"] = built
    timeline.close()

    # A fresh, read-only handle: nothing cached in this process but what the query itself loads.
    reader = Timeline.open(db_path, read_only=True)
    warm = []
    for day in days:
        elapsed, _ = timed(reader.state, day)
        warm.append(elapsed * 1000)
    figures["state_warm_ms"] = summary_ms(warm)
    materialised = []
    for day in days:
        elapsed, _ = timed(lambda as_of: reader.state(as_of).to_json(), day)
        materialised.append(elapsed * 1000)
    figures["state_warm_with_to_json_ms"] = summary_ms(materialised)
    pairs = []
    for day in days:
        other = FIRST_DAY + dt.timedelta(days=rng.randrange((last_day - FIRST_DAY).days + 1))
        pairs.append(tuple(sorted((day, other))))
    changes_only, with_events = [], []
    for earlier, later in pairs:
        elapsed, _ = timed(reader.diff, earlier, later, with_events=False)
        changes_only.append(elapsed * 1000)
    # `timeline diff` also lists every event in between: O(events in the range), so fewer samples.
    for earlier, later in pairs[:cold_samples]:
        # The events are read from the log as they are iterated: iterate them, as `timeline diff` does.
        elapsed, _ = timed(lambda a, b: list(reader.diff(a, b).events), earlier, later)
        with_events.append(elapsed * 1000)
    figures["diff_warm_changes_ms"] = summary_ms(changes_only)
    figures["diff_warm_with_events_ms"] = summary_ms(with_events)
    reader.close()
    figures.update(replay_rss_mb(db_path))
    figures["database_mb"] = round(db_path.stat().st_size / 1e6, 1)

    if peer:
        from peer_eventsourcing import measure_peer

        records = list(synthetic_records(events, seed=seed))
        versions = versions_at_days(source, days)
        peer_figures = measure_peer(records, versions, str(workdir))
        figures["peer"] = peer_figures
        ours = figures["state_warm_ms"]["p50"]
        figures["peer_snapshots_p50_over_our_warm_p50"] = round(peer_figures["read_with_snapshots_ms"]["p50"] / ours, 2)
        figures["peer_no_snapshots_p50_over_our_warm_p50"] = round(
            peer_figures["read_no_snapshots_ms"]["p50"] / ours, 2
        )
        figures["peer_no_snapshots_p50_over_our_cold_p50"] = round(
            peer_figures["read_no_snapshots_ms"]["p50"] / figures["state_cold_ms"]["p50"], 2
        )
        figures["import_over_peer_append_ratio"] = round(
            figures["import_events_per_s"] / peer_figures["append_events_per_s"], 2
        )
    return figures


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--events", type=int, action="append", help="log size; repeat for several (default 10000 and 100000)"
    )
    parser.add_argument("--samples", type=int, default=50, help="random days for warm state and diff (default 50)")
    parser.add_argument(
        "--cold-samples", type=int, default=None, help="days for cold state (default 50, 10 above 100k events)"
    )
    parser.add_argument(
        "--peer-max", type=int, default=100_000, help="largest log to run the eventsourcing peer on (default 100000)"
    )
    parser.add_argument(
        "--backends-at",
        type=int,
        action="append",
        help="log sizes at which to compare SQLite and PostgreSQL (default 100000; 0 for none)",
    )
    parser.add_argument(
        "--cli", type=int, action="append", default=[], help="also time every command as a process at this size"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    sizes = args.events if args.events is not None else ([] if args.cli else [10_000, 100_000])
    try:
        import eventsourcing  # noqa: F401

        have_peer = True
    except ImportError:
        have_peer = False
        print("eventsourcing is not installed (pip install -e '.[benchmark]'): skipping the peer", file=sys.stderr)

    result: dict[str, Any] = {
        "machine": machine(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="timeline-bench-") as workdir:
        for size in sizes:
            cold = args.cold_samples if args.cold_samples is not None else (50 if size <= 100_000 else 10)
            print(f"running {size:,} events...", file=sys.stderr)
            figures = run(
                size,
                samples=args.samples,
                cold_samples=cold,
                peer=have_peer and size <= args.peer_max,
                workdir=Path(workdir),
                seed=args.seed,
            )
            result["runs"].append(figures)
            print(json.dumps(figures), file=sys.stderr)
        for size in [size for size in (args.backends_at or [100_000]) if size > 0]:
            from backends import compare

            result.setdefault("backends", []).append(compare(size, Path(workdir), seed=args.seed))
            print(json.dumps(result["backends"][-1]), file=sys.stderr)
        for size in args.cli:
            from cli_bench import markdown_table, measure_cli

            print(f"timing the commands at {size:,} events...", file=sys.stderr)
            figures = measure_cli(size, Path(workdir), seed=args.seed, peer=have_peer)
            result.setdefault("cli", []).append(figures)
            print(markdown_table(figures), file=sys.stderr)
    runs = {run_["events"]: run_ for run_ in result["runs"]}
    if len(runs) > 1:
        smallest, largest = runs[min(runs)], runs[max(runs)]
        result["warm_p50_largest_over_smallest"] = round(
            largest["state_warm_ms"]["p50"] / smallest["state_warm_ms"]["p50"], 2
        )
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
