"""Prisoners: per captor, every claim side by side, by source, and the exchanges.

Sources disagree on how many prisoners a side holds, and one figure never replaces another
source's: each source's latest claimed total stands beside the others', and `contested` marks
totals that differ. Counts of one day and captures in one action are kept as they were given,
never read as totals. An exchange is listed beside the claims; the totals are not adjusted for
it, since no source gave a figure after it and a net figure would be invented.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs

from events.envelope import Event
from events.kinds import CaptureBasis, PrisonersCaptured, PrisonersExchanged
from events.quantity import Quantity
from timeline.projectors.base import Attribution, FactKey, Projector, State, disagree, merge_ids, put


@attrs.frozen
class PrisonerClaim:
    count: Quantity
    basis: CaptureBasis
    claim: Attribution
    unit: str | None = None

    def describe(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.count.describe()}{unit} {self.claim.label(self.claim.source)}"


@attrs.frozen
class Exchange:
    """One exchange seen from one side: what it released, to whom, and what it got back."""

    released: Quantity
    counterpart: str
    received: Quantity
    claim: Attribution

    def describe(self) -> str:
        return (
            f"released {self.released.describe()} to {self.counterpart} for {self.received.describe()} "
            f"{self.claim.label(self.claim.source)}"
        )


@attrs.frozen
class CaptorPrisoners:
    captor: str
    # Per source: its latest total, its latest one-day count and its largest single capture, in the
    # order first given.
    claims: tuple[PrisonerClaim, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    contested: bool = False  # the sources' claimed totals differ
    event_ids: tuple[str, ...] = ()

    def of_basis(self, basis: CaptureBasis) -> tuple[PrisonerClaim, ...]:
        return tuple(claim for claim in self.claims if claim.basis is basis)

    def describe(self) -> str:
        parts = []
        totals = self.of_basis(CaptureBasis.TOTAL)
        if totals:
            heading = "totals CONTESTED" if self.contested else "total"
            parts.append(f"{heading}: " + " vs ".join(claim.describe() for claim in totals))
        for basis, heading in ((CaptureBasis.DAY, "in one day"), (CaptureBasis.SINGLE_ACTION, "in one action")):
            claims = self.of_basis(basis)
            if claims:
                parts.append(f"{heading}: " + "; ".join(claim.describe() for claim in claims))
        if self.exchanges:
            caveat = " (totals not adjusted)" if totals else ""
            parts.append(f"exchanged{caveat}: " + "; ".join(exchange.describe() for exchange in self.exchanges))
        return f"held by {self.captor}: " + " | ".join(parts)


def _claim_key(claim: PrisonerClaim) -> Hashable:
    # One figure per source and basis, so a captor's fact stays the same size however long the log
    # grows (a fact holding every capture made each fold step and each checkpoint O(captures)).
    return (claim.basis, claim.claim.source)


def _with(claims: tuple[PrisonerClaim, ...], new: PrisonerClaim) -> tuple[PrisonerClaim, ...]:
    """A source's latest total or one-day count replaces its own earlier one; of its single
    captures, the largest stands (the figure sources compare: "the largest single capture")."""
    if new.basis is CaptureBasis.SINGLE_ACTION:
        key = _claim_key(new)
        if any(_claim_key(held) == key and held.count.value >= new.count.value for held in claims):
            return claims
    return put(claims, new, _claim_key)


def _derive(captor: CaptorPrisoners) -> CaptorPrisoners:
    ids = merge_ids(
        tuple(claim.claim.event_id for claim in captor.claims),
        tuple(exchange.claim.event_id for exchange in captor.exchanges),
    )
    contested = disagree(claim.count for claim in captor.claims if claim.basis is CaptureBasis.TOTAL)
    return attrs.evolve(captor, contested=contested, event_ids=ids)


def _captor(state: State, name: str) -> CaptorPrisoners:
    found: CaptorPrisoners | None = state.get((name,))
    return found or CaptorPrisoners(captor=name)


def keys(event: Event) -> tuple[FactKey, ...]:
    payload = event.payload
    if isinstance(payload, PrisonersCaptured):
        return ((payload.captor,),)
    if isinstance(payload, PrisonersExchanged):
        return tuple(dict.fromkeys(((payload.side_a,), (payload.side_b,))))
    return ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    claim = Attribution.of(event)
    if isinstance(payload, PrisonersCaptured):
        current = _captor(state, payload.captor)
        new = PrisonerClaim(payload.count, payload.basis, claim, payload.unit)
        updated = attrs.evolve(current, claims=_with(current.claims, new))
        return state.set((payload.captor,), _derive(updated))
    if isinstance(payload, PrisonersExchanged):
        sides = (
            (payload.side_a, payload.released_by_a, payload.side_b, payload.released_by_b),
            (payload.side_b, payload.released_by_b, payload.side_a, payload.released_by_a),
        )
        for side, released, counterpart, received in sides:
            current = _captor(state, side)
            exchange = Exchange(released, counterpart, received, claim)
            # The latest exchange with each counterpart: bounded, as the claims are.
            exchanges = put(current.exchanges, exchange, lambda held: held.counterpart)
            state = state.set((side,), _derive(attrs.evolve(current, exchanges=exchanges)))
        return state
    return state


projector = Projector(
    name="prisoners",
    reads=(PrisonersCaptured, PrisonersExchanged),
    apply=apply,
    fact_types=(CaptorPrisoners,),
    keys=keys,
)
