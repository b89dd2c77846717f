"""Settlements: every claimant's latest claim about each settlement, and a status derived from them.

When claimants disagree (on status or on who holds it) the status is `contested`; the
snapshot shows each claim beside it and never picks one.
"""

from __future__ import annotations

import attrs

from events.envelope import Event
from events.kinds import SettlementClaimed, SettlementStatus
from timeline.projectors.base import Attribution, FactKey, Projector, State, merge_ids


@attrs.frozen
class SettlementClaim:
    claimant: str
    status: SettlementStatus
    controller: str | None
    claim: Attribution

    def describe(self) -> str:
        held = f" by {self.controller}" if self.controller else ""
        return f"{self.claimant}: {self.status.value}{held} {self.claim.label()}"


@attrs.frozen
class Settlement:
    settlement: str
    region: str
    status: SettlementStatus
    controller: str | None
    contested: bool
    claims: tuple[SettlementClaim, ...]  # one per claimant, in the order claimants first spoke
    district: str | None = None
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.contested:
            return f"{self.settlement}: CONTESTED: " + "; ".join(claim.describe() for claim in self.claims)
        held = f" by {self.controller}" if self.controller else ""
        return f"{self.settlement}: {self.status.value}{held} " + "; ".join(
            c.claim.label(c.claimant) for c in self.claims
        )


def _derive(settlement: str, region: str, district: str | None, claims: tuple[SettlementClaim, ...]) -> Settlement:
    positions = {(claim.status, claim.controller) for claim in claims}
    agreed = len(positions) == 1
    status, controller = next(iter(positions)) if agreed else (SettlementStatus.CONTESTED, None)
    return Settlement(
        settlement=settlement,
        region=region,
        status=status,
        controller=controller,
        contested=not agreed or status is SettlementStatus.CONTESTED,
        claims=claims,
        district=district,
        event_ids=merge_ids(tuple(claim.claim.event_id for claim in claims)),
    )


def keys(event: Event) -> tuple[FactKey, ...]:
    return ((event.payload.settlement,),) if isinstance(event.payload, SettlementClaimed) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, SettlementClaimed):
        return state
    (key,) = keys(event)
    current: Settlement | None = state.get(key)
    new_claim = SettlementClaim(payload.claimant, payload.status, payload.controller, Attribution.of(event))
    claims = current.claims if current else ()
    if any(claim.claimant == payload.claimant for claim in claims):
        claims = tuple(new_claim if claim.claimant == payload.claimant else claim for claim in claims)
    else:
        claims = (*claims, new_claim)
    district = payload.district or (current.district if current else None)
    return state.set(key, _derive(payload.settlement, payload.region, district, claims))


projector = Projector(name="settlements", reads=(SettlementClaimed,), apply=apply, fact_types=(Settlement,), keys=keys)
