"""The CLI section of the benchmark: every command a user runs, timed as a whole process.

Builds an N-event log the way a new user would (`timeline init`, `timeline import`, and no other
command), then times each read command as its own process, start-up included, beside the bare
interpreter and `timeline --version` measured in the same run. Each figure is the median of a
few runs over different days; peak RSS is that process's own high-water mark (wait4).

    python tests/benchmarks/benchmark.py --cli 1000000
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from synthetic import FIRST_DAY, write_jsonl

TIMELINE = [sys.executable, "-m", "timeline.cli"]
TIME = "/usr/bin/time"  # GNU time, for each command's own peak RSS


def run_process(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, output bytes) of one process; its output is read and dropped.

    The peak comes from GNU time (%M), which forks the command from its own small process: the
    rusage of a child forked from this benchmark would carry this process's own peak.
    """
    env = {**os.environ}
    env.pop("TIMELINE_DB", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [TIME, "-f", "peak_rss_kb=%M", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    size = 0
    assert process.stdout is not None and process.stderr is not None
    while chunk := process.stdout.read(1 << 16):
        size += len(chunk)
    errors = process.stderr.read().decode()
    process.wait()
    elapsed = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}: {errors}")
    peak_kb = int(errors.rsplit("peak_rss_kb=", 1)[1].split()[0])
    return elapsed, peak_kb / 1024, size


def timed_commands(name: str, commands: list[list[str]]) -> dict[str, Any]:
    runs = [run_process(command) for command in commands]
    seconds = [run[0] for run in runs]
    return {
        "command": name,
        "median_s": round(statistics.median(seconds), 3),
        "worst_s": round(max(seconds), 3),
        "runs": len(runs),
        "peak_rss_mb": round(max(run[1] for run in runs), 1),
        "output_kb": round(statistics.median(run[2] for run in runs) / 1024, 1),
    }


def measure_cli(events: int, workdir: Path, *, seed: int = 2024, samples: int = 5, peer: bool = True) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    source = workdir / f"cli-{events}.jsonl"
    db = workdir / f"cli-{events}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    # As living data arrives: reports up to 5 days late, 5% backfilled up to 20 days, and 0.5% of
    # events retracting any earlier one (a correction months later, as a living dataset makes).
    write_jsonl(
        str(source),
        events,
        seed=seed,
        backfill_days=20,
        late_days=5,
        retraction_share=0.005,
        retractions_reach="any",
    )
    figures: dict[str, Any] = {"events": events, "jsonl_mb": round(source.stat().st_size / 1e6, 1)}

    run_process([*TIMELINE, "init", "--db", str(db)])
    elapsed, rss, _ = run_process([*TIMELINE, "import", str(source), "--db", str(db)])
    figures["import"] = {
        "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed),
        "peak_rss_mb": round(rss, 1),
    }
    figures["database_mb"] = round(
        sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists()) / 1e6, 1
    )
    figures["database_over_jsonl"] = round(figures["database_mb"] / figures["jsonl_mb"], 2)

    last = FIRST_DAY + dt.timedelta(days=239)
    span = (last - FIRST_DAY).days

    def day() -> dt.date:
        return FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))

    def iso(value: dt.date) -> str:
        return value.isoformat()

    base = ["--db", str(db)]
    table = [
        timed_commands("python -c pass (the interpreter)", [[sys.executable, "-c", "pass"]] * samples),
        timed_commands("timeline --version", [[*TIMELINE, "--version"]] * samples),
        timed_commands("state --as-of D", [[*TIMELINE, "state", "--as-of", iso(day()), *base] for _ in range(samples)]),
    ]
    known = []
    for _ in range(samples):
        as_of, known_on = day(), day()
        known.append([*TIMELINE, "state", "--as-of", iso(as_of), "--known-on", iso(known_on), *base])
    table.append(timed_commands("state --as-of D --known-on K (random D, K)", known))
    table.append(
        timed_commands(
            "state --as-of D --known-on K (K before D)",
            [
                [
                    *TIMELINE,
                    "state",
                    "--as-of",
                    iso(d),
                    "--known-on",
                    iso(d - dt.timedelta(days=rng.randint(1, 20))),
                    *base,
                ]
                for d in (day() for _ in range(samples))
            ],
        )
    )
    week = []
    months = []
    for _ in range(samples):
        start = FIRST_DAY + dt.timedelta(days=rng.randrange(span - 7))
        week.append([*TIMELINE, "diff", iso(start), iso(start + dt.timedelta(days=7)), *base])
        start = FIRST_DAY + dt.timedelta(days=rng.randrange(span - 90))
        months.append([*TIMELINE, "diff", iso(start), iso(start + dt.timedelta(days=90)), *base])
    table.append(timed_commands("diff A A+7", week))
    table.append(timed_commands("diff A A+90", months))
    table.append(timed_commands("diff A A+90 --all-events (every event, to a pipe)", [[*months[0], "--all-events"]]))
    learned = []
    for _ in range(samples):
        first = FIRST_DAY + dt.timedelta(days=rng.randrange(span - 7))
        learned.append(
            [*TIMELINE, "learned", iso(first), iso(first + dt.timedelta(days=7)), "--as-of", iso(first), *base]
        )
    table.append(timed_commands("learned K K+7 --as-of K (a week's news about a day)", learned))
    histories = [[*TIMELINE, "history", f"settlements.settlement-{rng.randrange(300)}", *base] for _ in range(samples)]
    table.append(timed_commands("history settlements.X", histories))
    table.append(timed_commands("days", [[*TIMELINE, "days", *base]] * samples))
    table.append(
        timed_commands(
            "why settlements.X",
            [[*TIMELINE, "why", f"settlements.settlement-{rng.randrange(300)}", *base] for _ in range(samples)],
        )
    )
    table.append(
        timed_commands(
            "log --from D --to D (one day)",
            [[*TIMELINE, "log", "--from", iso(d), "--to", iso(d), *base] for d in (day() for _ in range(samples))],
        )
    )
    table.append(
        timed_commands(
            "log --kind official.appointed", [[*TIMELINE, "log", "--kind", "official.appointed", *base]] * samples
        )
    )
    # Every check re-hashes every row; beside it the floor, a process that only reads the same rows.
    floor = (
        f"import sqlite3\nfor row in sqlite3.connect({str(db)!r}).execute('SELECT * FROM events ORDER BY seq'): pass"
    )
    table.append(timed_commands("floor: read every row (sqlite3)", [[sys.executable, "-c", floor]] * samples))
    table.append(timed_commands("verify", [[*TIMELINE, "verify", *base]] * samples))
    table.append(timed_commands("verify --quick", [[*TIMELINE, "verify", "--quick", *base]] * samples))
    table.append(timed_commands("verify --full (every event decoded too)", [[*TIMELINE, "verify", "--full", *base]]))

    # Last, as they change the log: one report per process, reported on the log's last day and
    # landing on it, a month before it, or in its first week. Each keeps the checkpoints up to
    # date before it returns (the reads above never wait for them).
    def append(kind: str, on: dt.date, data: str) -> list[str]:
        reported = ["--reported-on", iso(last), "--source", "benchmark", "--data", data]
        return [*TIMELINE, "append", kind, "--on", iso(on), *reported, *base]

    settlement = (
        '{"settlement": "settlement-%d", "region": "region-1", "status": "contested", "claimant": "claimant-1"}'
    )
    displaced = '{"region": "region-%d", "count": {"value": 5000}, "basis": "total"}'
    for label, on in (
        ("on the last day", last),
        ("30 days back", last - dt.timedelta(days=30)),
        ("into the first week", FIRST_DAY + dt.timedelta(days=rng.randrange(7))),
    ):
        table.append(
            timed_commands(
                f"append settlement.claimed, {label}",
                [append("settlement.claimed", on, settlement % rng.randrange(300)) for _ in range(samples)],
            )
        )
    table.append(
        timed_commands(
            "append civilians.displaced, into the first week",
            [
                append(
                    "civilians.displaced",
                    FIRST_DAY + dt.timedelta(days=rng.randrange(7)),
                    displaced % rng.randrange(30),
                )
                for _ in range(samples)
            ],
        )
    )
    figures["commands"] = table

    if peer:
        from peer_eventsourcing import measure_peer_append
        from synthetic import synthetic_records

        peer_rate = measure_peer_append(list(synthetic_records(events, seed=seed)), str(workdir))
        figures["peer_append_events_per_s"] = round(peer_rate)
        figures["import_over_peer_append"] = round(figures["import"]["events_per_s"] / peer_rate, 2)
    return figures


def markdown_table(figures: dict[str, Any]) -> str:
    lines = [
        f"| command ({figures['events']:,} events) | median (s) | worst (s) | peak RSS (MB) |",
        "|---|---|---|---|",
    ]
    imported = figures["import"]
    lines.append(
        f"| `import` ({imported['events_per_s']:,} events/s) | {imported['seconds']} | | {imported['peak_rss_mb']} |"
    )
    for row in figures["commands"]:
        lines.append(f"| `{row['command']}` | {row['median_s']} | {row['worst_s']} | {row['peak_rss_mb']} |")
    return "\n".join(lines)
