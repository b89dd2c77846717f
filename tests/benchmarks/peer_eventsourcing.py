"""Peer benchmark: the same events stored and replayed with the `eventsourcing` library (9.x).

Our as-of query latency means little on its own; this module measures what a widely used
event-sourcing library costs for the equivalent work (append one log, rebuild state at a
version) on the same machine, in the same run, with its own SQLite persistence.

The whole log is one aggregate, because our timeline is one stream replayed as a whole.
Event N of the log becomes aggregate version N: the first record travels in the aggregate's
creation event, every later one in a `Recorded` event, so `versions` map one to one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib.metadata import version as package_version
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

APPEND_BATCH_SIZE = 1_000


class Timeline(Aggregate):
    """The whole log as one aggregate, keeping a small per-kind summary so replay does real work."""

    class Started(Aggregate.Created):
        """Creation event; carries the first record so versions equal record counts."""

        record: dict[str, Any]

    class Recorded(Aggregate.Event):
        """One appended record, stored as plain JSON values."""

        record: dict[str, Any]

        def apply(self, aggregate: Timeline) -> None:
            aggregate.absorb(self.record)

    def __init__(self, record: dict[str, Any]) -> None:
        self.counts_by_kind: dict[str, int] = {}
        self.last_by_kind: dict[str, dict[str, Any]] = {}
        self.absorb(record)

    def record(self, record: dict[str, Any]) -> None:
        """Command: append one record as the next event."""
        self.trigger_event(self.Recorded, record=record)

    def absorb(self, record: dict[str, Any]) -> None:
        """State transition shared by both event classes."""
        kind = record["kind"]
        self.counts_by_kind[kind] = self.counts_by_kind.get(kind, 0) + 1
        self.last_by_kind[kind] = record


class TimelineApplication(Application):
    """Stores and reconstructs the `Timeline` aggregate; no snapshots."""


def _application_class(snapshot_interval: int | None) -> type[TimelineApplication]:
    """The library configures snapshotting per aggregate class on the application class,
    so the snapshotting run gets a subclass carrying `snapshotting_intervals`."""
    if not snapshot_interval:
        return TimelineApplication

    class SnapshottingTimelineApplication(TimelineApplication):
        snapshotting_intervals = {Timeline: snapshot_interval}

    return SnapshottingTimelineApplication


def _open_application(db_path: str, snapshot_interval: int | None) -> TimelineApplication:
    """A fresh application over a new SQLite file (stale files would mix runs)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db_path}
    return _application_class(snapshot_interval)(env=env)


def _batches(records: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _append_all(app: TimelineApplication, records: Sequence[dict[str, Any]]) -> tuple[UUID, float]:
    """Store every record in one aggregate, saving once per batch; returns (id, seconds)."""
    started = time.perf_counter()
    timeline: Timeline | None = None
    for batch in _batches(records, APPEND_BATCH_SIZE):
        for record in batch:
            if timeline is None:
                timeline = Timeline(record=record)
            else:
                timeline.record(record)
        app.save(timeline)
    elapsed = time.perf_counter() - started
    assert timeline is not None
    return timeline.id, elapsed


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; works for any sample count, unlike statistics.quantiles."""
    rank = max(1, -(-len(ordered) * share // 1))  # ceil without importing math
    return ordered[int(rank) - 1]


def _summary(samples_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan"), "samples": 0}
    return {"p50": _percentile(ordered, 0.50), "p95": _percentile(ordered, 0.95), "samples": len(ordered)}


def _read_at_versions(app: TimelineApplication, timeline_id: UUID, versions: Iterable[int]) -> list[float]:
    """Milliseconds to reconstruct the aggregate at each version, checked outside the timing."""
    samples_ms = []
    for version in versions:
        started = time.perf_counter()
        timeline = app.repository.get(timeline_id, version=version)
        samples_ms.append((time.perf_counter() - started) * 1000.0)
        if timeline.version != version or sum(timeline.counts_by_kind.values()) != version:
            raise AssertionError(f"reconstructed version {timeline.version}, expected {version}")
    return samples_ms


def _run(
    records: Sequence[dict[str, Any]], versions: Sequence[int], db_path: str, snapshot_interval: int | None
) -> tuple[float, list[float]]:
    """One isolated pass (own database file): append everything, then read at each version."""
    app = _open_application(db_path, snapshot_interval)
    try:
        timeline_id, append_seconds = _append_all(app, records)
        return append_seconds, _read_at_versions(app, timeline_id, versions)
    finally:
        app.close()


def measure_peer(records: list[dict], versions: list[int], workdir: str, snapshot_interval: int = 1000) -> dict:
    """Append `records` into one eventsourcing aggregate and time reconstruction at `versions`,
    once without and once with snapshots (two separate SQLite files under `workdir`)."""
    if not records:
        raise ValueError("records must not be empty")
    for version in versions:
        if not 1 <= version <= len(records):
            raise ValueError(f"version {version} outside 1..{len(records)}")
    os.makedirs(workdir, exist_ok=True)

    plain_seconds, plain_ms = _run(records, versions, os.path.join(workdir, "peer_eventsourcing.sqlite"), None)
    snap_seconds, snap_ms = _run(
        records, versions, os.path.join(workdir, "peer_eventsourcing_snapshots.sqlite"), snapshot_interval
    )
    return {
        "peer": f"eventsourcing {package_version('eventsourcing')}",
        "events": len(records),
        "append_events_per_s": len(records) / plain_seconds,
        # Appending with snapshotting also pays for taking a snapshot every interval.
        "append_with_snapshots_events_per_s": len(records) / snap_seconds,
        "snapshot_interval": snapshot_interval,
        "read_no_snapshots_ms": _summary(plain_ms),
        "read_with_snapshots_ms": _summary(snap_ms),
    }


def measure_peer_append(records: list[dict], workdir: str) -> float:
    """Events per second appending `records` into one aggregate (no reads), in a new SQLite file."""
    app = _open_application(os.path.join(workdir, "peer_append_only.sqlite"), None)
    try:
        _, seconds = _append_all(app, records)
    finally:
        app.close()
    return len(records) / seconds


def _fallback_records(count: int, seed: int) -> list[dict[str, Any]]:
    """Minimal records of the same shape, for when the project's generator is not importable."""
    import datetime as dt
    import random

    rng = random.Random(seed)
    kinds = ["territory.claimed", "settlement.claimed", "emergency.declared", "statement.made"]
    first_day = dt.date(2024, 8, 6)
    records = []
    for index in range(count):
        day = (first_day + dt.timedelta(days=index * 240 // count)).isoformat()
        records.append(
            {
                "event_id": f"e{index:08d}",
                "kind": rng.choice(kinds),
                "occurred_on": day,
                "reported_on": day,
                "source": f"source-{rng.randrange(50)}",
                "data": {
                    "region": f"region-{rng.randrange(30)}",
                    "count": {"value": rng.randint(1, 2000), "bound": "approx"},
                },
            }
        )
    return records


def _self_check_records(count: int, seed: int) -> list[dict[str, Any]]:
    generate: Callable[..., Iterable[dict[str, Any]]]
    try:
        from synthetic import synthetic_records as generate  # sibling module when run as a script
    except ImportError:
        return _fallback_records(count, seed)
    return list(generate(count, seed=seed))


if __name__ == "__main__":
    import json
    import random
    import sys
    import tempfile

    record_count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    version_count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    sample_records = _self_check_records(record_count, seed=2024)
    sample_versions = random.Random(7).sample(range(1, record_count + 1), min(version_count, record_count))
    with tempfile.TemporaryDirectory(prefix="peer-eventsourcing-") as scratch:
        result = measure_peer(sample_records, sample_versions, scratch)
    print(json.dumps(result, indent=2))
