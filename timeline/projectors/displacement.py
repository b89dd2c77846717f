"""Displacement: per region, every source's latest figure of each basis, side by side.

A source's new figure replaces its own earlier one of the same basis; another source's figure
never does, whatever its day. `contested` marks a region where the sources' figures of one
basis differ (115,000 against 133,000 evacuees). Figures of different bases (displaced in
total, subject to evacuation) are different questions, not a disagreement.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs

from events.envelope import Event
from events.kinds import CiviliansDisplaced, DisplacementBasis
from events.quantity import Quantity
from timeline.projectors.base import Attribution, FactKey, Projector, State, disagree, merge_ids, put

_HEADINGS = {
    DisplacementBasis.TOTAL: "displaced in total",
    DisplacementBasis.NEW: "newly displaced",
    DisplacementBasis.SUBJECT_TO_EVACUATION: "subject to evacuation",
}


@attrs.frozen
class Figure:
    count: Quantity
    basis: DisplacementBasis
    claim: Attribution

    def describe(self) -> str:
        return f"{self.count.describe()} {self.claim.label(self.claim.source)}"


@attrs.frozen
class RegionDisplacement:
    region: str
    figures: tuple[Figure, ...]  # each source's latest figure of each basis, in the order first given
    contested: bool  # two sources give different figures of one basis
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        for basis, heading in _HEADINGS.items():
            figures = [figure for figure in self.figures if figure.basis is basis]
            if figures:
                differ = len({figure.count for figure in figures}) > 1
                joined = " vs ".join(figure.describe() for figure in figures)
                parts.append(f"{heading}{' CONTESTED' if differ else ''}: {joined}")
        return f"{self.region}: " + "; ".join(parts)


def _figure_key(figure: Figure) -> Hashable:
    # One figure per source and basis (its latest), so a region's fact stays the same size however
    # long the log grows: keeping every day's increment made each fold step and checkpoint grow.
    return (figure.basis, figure.claim.source)


def keys(event: Event) -> tuple[FactKey, ...]:
    return ((event.payload.region,),) if isinstance(event.payload, CiviliansDisplaced) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, CiviliansDisplaced):
        return state
    (key,) = keys(event)
    current: RegionDisplacement | None = state.get(key)
    figure = Figure(payload.count, payload.basis, Attribution.of(event))
    figures = put(current.figures if current else (), figure, _figure_key)
    contested = any(disagree(f.count for f in figures if f.basis is basis) for basis in DisplacementBasis)
    ids = merge_ids(tuple(f.claim.event_id for f in figures))
    return state.set(key, RegionDisplacement(payload.region, figures, contested, ids))


projector = Projector(
    name="displacement", reads=(CiviliansDisplaced,), apply=apply, fact_types=(RegionDisplacement,), keys=keys
)
