"""The figures the charts plot, one point per claim, read from the events that made them.

Each point keeps its source's qualifier (bound) and range, and its event, so the page can draw
unverified claims hollow and drop claims not yet reported on the chosen knowledge day. Events
are read as records (plain JSON), so a kind whose payload gains fields still charts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from events.codec import event_to_record
from events.envelope import RecordedEvent


@attrs.frozen
class Series:
    """One chart: which kind it reads, the figure in its data, and what groups the points."""

    name: str
    title: str
    unit: str
    kind: str
    figure: str  # the payload field holding a Quantity
    group: Callable[[RecordedEvent, Mapping[str, Any]], str]
    label: Callable[[Mapping[str, Any]], str]
    wanted: Callable[[Mapping[str, Any]], bool] = lambda data: True


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


SERIES = (
    Series(
        name="area",
        title="Claimed area by claimant",
        unit="km²",
        kind="territory.claimed",
        figure="area_km2",
        group=lambda recorded, data: _text(data.get("claimant")) or recorded.event.source,
        label=lambda data: " ".join(filter(None, ["total", _text(data.get("region"))])),
        # A gain is an increment, not a claimed extent: it would sit far below the totals.
        wanted=lambda data: data.get("basis", "total") == "total",
    ),
    Series(
        name="displacement",
        title="Displaced people, by source",
        unit="people",
        kind="civilians.displaced",
        figure="count",
        group=lambda recorded, data: recorded.event.source,
        label=lambda data: " ".join(filter(None, [_text(data.get("basis")), _text(data.get("region"))])),
    ),
    Series(
        name="prisoners",
        title="Prisoners claimed, by source",
        unit="prisoners",
        kind="prisoners.captured",
        figure="count",
        group=lambda recorded, data: recorded.event.source,
        label=lambda data: " ".join(
            filter(None, [_text(data.get("basis")).replace("_", " "), "held by", _text(data.get("captor"))])
        ),
    ),
)
SERIES_BY_KIND = {series.kind: series for series in SERIES}


def _quantity(value: Any) -> tuple[float, str, float | None, float | None] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("value"), (int, float)):
        return None
    low, high = value.get("low"), value.get("high")
    return value["value"], _text(value.get("bound")) or "exact", low, high


def point(recorded: RecordedEvent) -> tuple[Series, str, list[Any]] | None:
    """(series, group, [value, bound, low, high, label]) for an event a chart plots, else None."""
    series = SERIES_BY_KIND.get(recorded.kind)
    if series is None:
        return None
    data = event_to_record(recorded.event).get("data", {})
    if not isinstance(data, Mapping) or not series.wanted(data):
        return None
    figure = _quantity(data.get(series.figure))
    if figure is None:
        return None
    value, bound, low, high = figure
    return series, series.group(recorded, data), [value, bound, low, high, series.label(data)]
