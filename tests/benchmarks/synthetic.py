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
    count: int,
    *,
    days: int = 240,
    backfill_share: float = 0.05,
    backfill_days: int = 30,
    late_days: int = 0,
    retraction_share: float | None = None,
    retractions_reach: str = "recent",
    seed: int = 2024,
) -> Iterator[dict[str, Any]]:
    """`count` records in append order, each reported on its append day.

    A backfilled one (`backfill_share`) occurred 1 to `backfill_days` days earlier, so it folds
    into history behind events appended before it; any other occurred 0 to `late_days` days before
    it was reported. `retraction_share` overrides the share of retractions; each retracts one of
    the last thousand events (`retractions_reach="recent"`) or any earlier event (`"any"`), as a
    living dataset's corrections do."""
    rng = random.Random(seed)
    weights_by_kind = dict(KIND_WEIGHTS)
    if retraction_share is not None:
        others = sum(weight for kind, weight in weights_by_kind.items() if kind != "event.retracted")
        weights_by_kind["event.retracted"] = others * retraction_share / (1 - retraction_share)
    kinds = list(weights_by_kind)
    weights = list(weights_by_kind.values())
    recent_ids: list[str] = []
    retractions = bytearray(count)  # 1 where the event at that index is a retraction
    for index in range(count):
        day = min(days - 1, index * days // count)
        reported_on = FIRST_DAY + dt.timedelta(days=day)
        if day > 0 and rng.random() < backfill_share:
            occurred_on = reported_on - dt.timedelta(days=rng.randint(1, min(backfill_days, day)))
        else:
            occurred_on = reported_on - dt.timedelta(days=rng.randint(0, min(late_days, day)))
        kind = rng.choices(kinds, weights)[0]
        if kind == "event.retracted" and not recent_ids:
            kind = "statement.made"
        if index == 0:
            kind = "border.crossed"  # day 1 of the story
        event_id = f"e{index:08d}"
        if kind == "event.retracted" and retractions_reach == "any":
            target = rng.randrange(index)
            while retractions[target]:
                target = rng.randrange(index)
            data: dict[str, Any] = {"target_event_id": f"e{target:08d}", "reason": "The source withdrew the report."}
        else:
            data = _data(kind, rng, recent_ids)
        record = {
            "event_id": event_id,
            "kind": kind,
            "occurred_on": occurred_on.isoformat(),
            "reported_on": reported_on.isoformat(),
            "source": rng.choice(SOURCES),
            "data": data,
        }
        if kind == "event.retracted":
            retractions[index] = 1
        else:
            recent_ids.append(event_id)
            if len(recent_ids) > 1000:
                del recent_ids[:500]
        yield record


def write_jsonl(path: str, count: int, **options: Any) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        for record in synthetic_records(count, **options):
            stream.write(json.dumps(record) + "\n")
