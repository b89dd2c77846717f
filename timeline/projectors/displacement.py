"""Displacement: per region, the latest figure; differing figures from the same day are all kept."""

from __future__ import annotations

import datetime as dt

import attrs

from events.envelope import Event
from events.kinds import CiviliansDisplaced, DisplacementBasis
from events.quantity import Quantity
from timeline.projectors.base import Attribution, Projector, State, merge_ids


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
    on: dt.date
    figures: tuple[Figure, ...]  # the latest day's figures, one per source
    contested: bool
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.contested:
            return f"{self.region}: CONTESTED: " + " vs ".join(figure.describe() for figure in self.figures)
        figure = self.figures[-1]
        return f"{self.region}: {figure.count.describe()} displaced {figure.claim.label()}"


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, CiviliansDisplaced):
        return state
    key = (payload.region,)
    current: RegionDisplacement | None = state.get(key)
    figure = Figure(payload.count, payload.basis, Attribution.of(event))
    if current is None or event.occurred_on > current.on:
        figures: tuple[Figure, ...] = (figure,)
    else:
        # Same day: another source's figure stands beside this one; a source's own update replaces it.
        figures = (*tuple(f for f in current.figures if f.claim.source != figure.claim.source), figure)
    contested = len({(f.count, f.basis) for f in figures}) > 1
    ids = merge_ids(tuple(f.claim.event_id for f in figures))
    return state.set(key, RegionDisplacement(payload.region, event.occurred_on, figures, contested, ids))


projector = Projector(name="displacement", reads=(CiviliansDisplaced,), apply=apply, fact_types=(RegionDisplacement,))
