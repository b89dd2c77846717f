"""Compact data for the panels that show more than a fact's one line: territory side by side, settlements.

Facts are read by attribute and defensively: if a projector's fact changes shape, its panel
data is None and the page shows the fact's `describe()` line like any other projector's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

StringIndex = Callable[[str], int]
EventIndex = Callable[[str], "int | None"]


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _attribution(claim: Any, strings: StringIndex, events: EventIndex) -> list[Any]:
    """[on, source index, event index, unverified] of an Attribution."""
    return [claim.on.isoformat(), strings(claim.source), events(claim.event_id), int(bool(claim.unverified))]


def _figure(quantity: Any, unit: str, claim: Any, strings: StringIndex, events: EventIndex) -> list[Any] | None:
    if quantity is None or claim is None:
        return None
    return [quantity.describe(unit), *_attribution(claim, strings, events)]


def territory(fact: Any, strings: StringIndex, events: EventIndex) -> list[Any] | None:
    """A claimant's row: [claimant, area, settlements, gains text], each figure [text, on, source, event, unverified]."""
    if not hasattr(fact, "claimant"):
        return None  # the spread: its describe() line says it all
    gains = [gain.area_km2.describe("km²") for gain in fact.gains_since if gain.area_km2 is not None]
    return [
        fact.claimant,
        _figure(fact.area_km2, "km²", fact.area_claim, strings, events),
        _figure(fact.settlements_count, "settlements", fact.settlements_claim, strings, events),
        ", ".join(gains) or None,
    ]


def settlements(fact: Any, strings: StringIndex, events: EventIndex) -> list[Any]:
    """[status, controller, contested, region, [[claimant, status, controller, on, source, event, unverified]...]]."""
    return [
        _value(fact.status),
        fact.controller,
        int(bool(fact.contested)),
        fact.region,
        [
            [claim.claimant, _value(claim.status), claim.controller, *_attribution(claim.claim, strings, events)]
            for claim in fact.claims
        ],
    ]


PANELS: dict[str, Callable[[Any, StringIndex, EventIndex], list[Any] | None]] = {
    "territory": territory,
    "settlements": settlements,
}


def panel_data(projector: str, fact: Any, strings: StringIndex, events: EventIndex) -> list[Any] | None:
    make = PANELS.get(projector)
    if make is None:
        return None
    try:
        return make(fact, strings, events)
    except (AttributeError, TypeError):
        return None  # a fact of another shape: shown by its describe() line
