"""Prisoners: per captor, the largest capture in a single action and the latest claimed total."""

from __future__ import annotations

import attrs

from events.envelope import Event
from events.kinds import CaptureBasis, PrisonersCaptured
from events.quantity import Quantity
from timeline.projectors.base import Attribution, Projector, State, merge_ids


@attrs.frozen
class Capture:
    count: Quantity
    claim: Attribution
    unit: str | None = None

    def describe(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.count.describe()}{unit} {self.claim.label()}"


@attrs.frozen
class CaptorPrisoners:
    captor: str
    largest_single_action: Capture | None = None
    claimed_total: Capture | None = None
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        if self.claimed_total:
            parts.append(f"total {self.claimed_total.describe()}")
        if self.largest_single_action:
            parts.append(f"largest single capture {self.largest_single_action.describe()}")
        return f"held by {self.captor}: " + "; ".join(parts)


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, PrisonersCaptured):
        return state
    key = (payload.captor,)
    current: CaptorPrisoners = state.get(key) or CaptorPrisoners(captor=payload.captor)
    capture = Capture(payload.count, Attribution.of(event), payload.unit)
    if payload.basis is CaptureBasis.SINGLE_ACTION:
        largest = current.largest_single_action
        if largest is None or payload.count.value > largest.count.value:
            current = attrs.evolve(current, largest_single_action=capture)
    else:
        current = attrs.evolve(current, claimed_total=capture)
    anchors = (current.claimed_total, current.largest_single_action)
    ids = merge_ids(tuple(c.claim.event_id for c in anchors if c))
    return state.set(key, attrs.evolve(current, event_ids=ids))


projector = Projector(name="prisoners", reads=(PrisonersCaptured,), apply=apply, fact_types=(CaptorPrisoners,))
