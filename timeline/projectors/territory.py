"""Territory: each claimant's latest total area and settlement count, gains since, and the spread."""

from __future__ import annotations

from typing import Any

import attrs

from events.envelope import Event
from events.kinds import AreaBasis, TerritoryClaimed
from events.quantity import Quantity
from timeline.projectors.base import Attribution, Projector, State, merge_ids


@attrs.frozen
class Gain:
    area_km2: Quantity | None
    settlements_count: Quantity | None
    advance_km: Quantity | None
    claim: Attribution


@attrs.frozen
class ClaimantTerritory:
    claimant: str
    region: str | None = None
    area_km2: Quantity | None = None
    area_claim: Attribution | None = None
    settlements_count: Quantity | None = None
    settlements_claim: Attribution | None = None
    advance_km: Quantity | None = None
    gains_since: tuple[Gain, ...] = ()
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        # A figure and the claim it came from are always set together (see `apply`).
        if self.area_km2 is not None and self.area_claim is not None:
            parts.append(f"{self.area_km2.describe('km²')} {self.area_claim.label()}")
        if self.settlements_count is not None and self.settlements_claim is not None:
            parts.append(f"{self.settlements_count.describe('settlements')} {self.settlements_claim.label()}")
        if self.gains_since:
            gained = ", ".join(gain.area_km2.describe("km²") for gain in self.gains_since if gain.area_km2)
            parts.append(f"gains since: {gained or 'settlements only'}")
        return f"{self.claimant}: " + "; ".join(parts)


@attrs.frozen
class Spread:
    """How far apart the claimants' total areas are; never a pick between them."""

    low_claimant: str
    low_km2: Quantity
    high_claimant: str
    high_km2: Quantity
    difference_km2: int | float
    claimants: int
    event_ids: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{self.low_claimant} {self.low_km2.describe('km²')} vs {self.high_claimant} "
            f"{self.high_km2.describe('km²')}: {self.difference_km2:,} km² apart (disputed)"
        )


def _with_ids(claims: ClaimantTerritory) -> ClaimantTerritory:
    anchors = tuple(claim.event_id for claim in (claims.area_claim, claims.settlements_claim) if claim)
    return attrs.evolve(claims, event_ids=merge_ids(anchors, tuple(gain.claim.event_id for gain in claims.gains_since)))


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, TerritoryClaimed):
        return state
    key = ("claims", payload.claimant)
    current: ClaimantTerritory = state.get(key) or ClaimantTerritory(claimant=payload.claimant)
    claim = Attribution.of(event)
    if payload.basis is AreaBasis.GAIN:
        gain = Gain(payload.area_km2, payload.settlements_count, payload.advance_km, claim)
        updated = attrs.evolve(current, gains_since=(*current.gains_since, gain))
    else:
        changes: dict[str, Any] = {"region": payload.region or current.region}
        if payload.area_km2 is not None:
            # A new total supersedes the gains reported since the previous one.
            changes.update(area_km2=payload.area_km2, area_claim=claim, advance_km=payload.advance_km, gains_since=())
        if payload.settlements_count is not None:
            changes.update(settlements_count=payload.settlements_count, settlements_claim=claim)
        updated = attrs.evolve(current, **changes)
    return state.set(key, _with_ids(updated))


def facts(state: State) -> State:
    # By claimant: a map's order depends on string hashing, which differs between processes.
    with_area = sorted(
        (claims for claims in state.values() if claims.area_km2 is not None), key=lambda claims: claims.claimant
    )
    if len(with_area) < 2:
        return state
    low = min(with_area, key=lambda claims: (claims.area_km2.value, claims.claimant))
    high = max(with_area, key=lambda claims: (claims.area_km2.value, claims.claimant))
    spread = Spread(
        low_claimant=low.claimant,
        low_km2=low.area_km2,
        high_claimant=high.claimant,
        high_km2=high.area_km2,
        difference_km2=high.area_km2.value - low.area_km2.value,
        claimants=len(with_area),
        event_ids=merge_ids(*((claims.area_claim.event_id,) for claims in with_area)),
    )
    return state.set(("spread",), spread)


projector = Projector(
    name="territory", reads=(TerritoryClaimed,), apply=apply, facts=facts, fact_types=(ClaimantTerritory, Spread)
)
