"""The map's layer of controlled territory: each mapped area's polygon, drawn for the slider's day.

Shape, under the report data's own key `control_polygons`:

- `shapes`: {polygon event id: MultiPolygon coordinates}, each polygon once however many days
  and facts draw it, simplified for the screen (detail under DRAWN_DETAIL degrees dropped, its
  topology kept); the measured area is always the full polygon's.
- `facts`: {fact index: [claimant, controller, polygon event id, measured km², day of the map,
  unchanged since]} for each `territory.mapped` fact the report shows, so the page finds the
  polygon of any fact in the state it has rebuilt for a day.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.kinds.territory import MultiPolygonCoordinates
from timeline.geometry import simplified
from timeline.projectors.territory import MappedArea
from timeline.report.tables import Interned

# About 100 m at these latitudes: finer than a map of a front line drawn 760 pixels wide can show.
DRAWN_DETAIL = 0.001


def control_layer(
    facts: Interned[tuple[str, Any]], polygon: Callable[[str], MultiPolygonCoordinates | None]
) -> dict[str, Any]:
    shapes: dict[str, Any] = {}
    drawn: dict[str, list[Any]] = {}
    for index, (_, fact) in enumerate(facts.keys()):
        if not isinstance(fact, MappedArea):
            continue
        if fact.polygon_event not in shapes:
            coordinates = polygon(fact.polygon_event)
            if coordinates is None:
                continue
            shapes[fact.polygon_event] = simplified(coordinates, DRAWN_DETAIL)
        drawn[str(index)] = [
            fact.claimant,
            fact.controller,
            fact.polygon_event,
            fact.measured_area_km2,
            fact.claim.occurred,
            fact.since.isoformat(),
        ]
    return {"shapes": shapes, "facts": drawn}
