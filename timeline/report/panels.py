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
    """[when, source index, event index, unverified] of an Attribution; `when` as precisely as the
    source dated it ('2024-08-16', 'in August 2024')."""
    when = getattr(claim, "occurred", None) or claim.on.isoformat()
    return [when, strings(claim.source), events(claim.event_id), int(bool(claim.unverified))]


def _reports(reports: Any, unit: str, strings: StringIndex, events: EventIndex) -> list[list[Any]] | None:
    """Each report of a claimant's latest figure (several when sources of one day word it differently)."""
    if not reports:
        return None
    return [[report.figure.describe(unit), *_attribution(report.claim, strings, events)] for report in reports]


def territory(fact: Any, strings: StringIndex, events: EventIndex) -> list[Any] | None:
    """A claimant's row: [claimant, area, settlements, gains text]; area and settlements are lists of
    reports, each [text, on, source, event, unverified]."""
    if not hasattr(fact, "claimant"):
        return None  # the spread: its describe() line says it all
    gains = [gain.area_km2.describe("km²") for gain in fact.gains_since if gain.area_km2 is not None]
    return [
        fact.claimant,
        _reports(fact.area_km2, "km²", strings, events),
        _reports(fact.settlements_count, "settlements", strings, events),
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
