"""A realistic synthetic event log for benchmarks: the bundled log's mix of kinds, many claimants
and settlements, spread over 240 days, with a share of reports backfilled into earlier days."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

FIRST_DAY = dt.date(2024, 8, 6)

# Weights follow the bundled Kursk log's mix of kinds (39 events).
KIND_WEIGHTS = {
    "territory.claimed": 7,
    "settlement.claimed": 7,
    "emergency.declared": 6,
    "emergency.lifted": 1,
    "statement.made": 6,
    "civilians.displaced": 4,
    "prisoners.captured": 4,
    "border.crossed": 2,
    "official.appointed": 1,
    "forces.redeployed": 1,
    "event.retracted": 0.1,
}

CLAIMANTS = [f"claimant-{i}" for i in range(8)]
SETTLEMENTS = [f"settlement-{i}" for i in range(300)]
REGIONS = [f"region-{i}" for i in range(30)]
ROLES = [f"role-{i}" for i in range(40)]
SOURCES = [f"source-{i}" for i in range(50)]
BOUNDS = ["exact", "approx", "at_least", "more_than", "at_most"]


def _quantity(rng: random.Random, top: int) -> dict[str, Any]:
    return {"value": rng.randint(1, top), "bound": rng.choice(BOUNDS)}


def _data(kind: str, rng: random.Random, recent_ids: list[str]) -> dict[str, Any]:
    pick = rng.choice
    if kind == "territory.claimed":
        data = {"claimant": pick(CLAIMANTS), "basis": rng.choice(["total", "total", "gain"]), "region": pick(REGIONS)}
        data["area_km2"] = _quantity(rng, 2000)
        if rng.random() < 0.5:
            data["settlements_count"] = _quantity(rng, 120)
        return data
    if kind == "settlement.claimed":
        status = pick(["controlled", "contested", "fighting", "raided", "withdrawn"])
        data = {"settlement": pick(SETTLEMENTS), "region": pick(REGIONS), "status": status, "claimant": pick(CLAIMANTS)}
        if status == "controlled":
            data["controller"] = pick(CLAIMANTS[:2])
        return data
    if kind in ("emergency.declared", "emergency.lifted"):
        return {
            "region": pick(REGIONS),
            "level": pick(["regional", "federal"]),
            "regime": pick(["emergency", "counter_terrorism"]),
            "authority": pick(SOURCES),
        }
    if kind == "statement.made":
        return {"speaker": pick(SOURCES), "summary": "A statement about the situation on the ground, as reported."}
    if kind == "civilians.displaced":
        return {"region": pick(REGIONS), "count": _quantity(rng, 250_000), "basis": pick(["total", "new"])}
    if kind == "prisoners.captured":
        return {
            "captor": pick(CLAIMANTS[:4]),
            "count": _quantity(rng, 2_000),
            "basis": pick(["single_action", "total"]),
        }
    if kind == "border.crossed":
        return {"force": "forces", "from_country": "Ukraine", "into_region": pick(REGIONS), "near": [pick(SETTLEMENTS)]}
    if kind == "official.appointed":
        return {"person": f"person-{rng.randint(0, 500)}", "role": pick(ROLES), "appointed_by": pick(SOURCES)}
    if kind == "forces.redeployed":
        return {"force": "reserves", "from_area": pick(REGIONS), "to_area": pick(REGIONS)}
    if kind == "event.retracted":
        return {"target_event_id": pick(recent_ids), "reason": "The source withdrew the report."}
    raise ValueError(kind)


def synthetic_records(
    count: int, *, days: int = 240, backfill_share: float = 0.05, seed: int = 2024
) -> Iterator[dict[str, Any]]:
    """`count` records in append order. Each is reported on its append day; a backfilled one
    occurred 1-30 days earlier, so it folds into history behind events appended before it."""
    rng = random.Random(seed)
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    recent_ids: list[str] = []
    for index in range(count):
        day = min(days - 1, index * days // count)
        reported_on = FIRST_DAY + dt.timedelta(days=day)
        occurred_on = reported_on
        if day > 0 and rng.random() < backfill_share:
            occurred_on = reported_on - dt.timedelta(days=rng.randint(1, min(30, day)))
        kind = rng.choices(kinds, weights)[0]
        if kind == "event.retracted" and not recent_ids:
            kind = "statement.made"
        if index == 0:
            kind = "border.crossed"  # day 1 of the story
        event_id = f"e{index:08d}"
        record = {
            "event_id": event_id,
            "kind": kind,
            "occurred_on": occurred_on.isoformat(),
            "reported_on": reported_on.isoformat(),
            "source": rng.choice(SOURCES),
            "data": _data(kind, rng, recent_ids),
        }
        if kind != "event.retracted":
            recent_ids.append(event_id)
            if len(recent_ids) > 1000:
                del recent_ids[:500]
        yield record


def write_jsonl(path: str, count: int, **options: Any) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        for record in synthetic_records(count, **options):
            stream.write(json.dumps(record) + "\n")
