"""Territory: each claimant's latest totals (area, settlements, deepest advance), gains since, and spreads.

A claimant's new total replaces its own earlier one (Kyiv's 1,150 km² supersedes its 1,000 km²).
Several reports of one claimant's claim on the same day stand side by side, each naming its
source, when they word it differently (ISW's "at least 800" via AFP, "around 800" via the
article): the projector keeps both rather than choosing. The spreads show how far apart the
claimants' areas and settlement counts are; they never pick between them.

A claimant's map (`territory.mapped`) is kept beside its stated figures, one per controller it
draws, as measured: the area of the polygon on the ellipsoid, with the event whose polygon it is.
The polygon's coordinates stay in the log; the state names their event and carries the area.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from events.envelope import Event
from events.kinds import AreaBasis, TerritoryClaimed, TerritoryMapped
from events.quantity import Quantity
from timeline.projectors.base import Attribution, FactKey, Projector, State, merge_ids, put


@attrs.frozen
class Reported:
    """One report of a figure: what it says and who said it when."""

    figure: Quantity
    claim: Attribution


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
    # The reports of the claimant's latest total: one, or several from one day that word it differently.
    area_km2: tuple[Reported, ...] = ()
    settlements_count: tuple[Reported, ...] = ()
    advance_km: tuple[Reported, ...] = ()
    gains_since: tuple[Gain, ...] = ()  # gains reported since the latest area total
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        for reports, unit in ((self.area_km2, "km²"), (self.settlements_count, "settlements")):
            if reports:
                parts.append(_describe_reports(reports, unit))
        if self.advance_km:
            parts.append("deepest advance " + _describe_reports(self.advance_km, "km"))
        if self.gains_since:
            gained = ", ".join(gain.area_km2.describe("km²") for gain in self.gains_since if gain.area_km2)
            parts.append(f"gains since: {gained or 'settlements only'}")
        return f"{self.claimant}: " + "; ".join(parts)


def _describe_reports(reports: tuple[Reported, ...], unit: str) -> str:
    if len(reports) == 1:
        return f"{reports[0].figure.describe(unit)} {reports[0].claim.label()}"
    # Several reports of one claim: each names its source.
    return " | ".join(f"{r.figure.describe(unit)} {r.claim.label(r.claim.source)}" for r in reports)


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


@attrs.frozen
class SettlementsSpread:
    """How far apart the claimants' counts of settlements held are."""

    low_claimant: str
    low: Quantity
    high_claimant: str
    high: Quantity
    difference: int | float
    claimants: int
    event_ids: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"settlements: {self.low_claimant} {self.low.describe()} vs {self.high_claimant} "
            f"{self.high.describe()}: {self.difference:,} apart (disputed)"
        )


@attrs.frozen
class MappedArea:
    """A claimant's latest map of what one controller holds: the polygon's area, measured, not stated."""

    claimant: str
    controller: str
    measured_area_km2: float
    geometry_hash: str
    polygon_event: str  # the event that carries the polygon's coordinates (this map's own, or an earlier one's)
    since: dt.date  # the first day of the run of maps that drew this same polygon
    claim: Attribution  # the latest map
    region: str | None = None
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        unchanged = f"; unchanged since {self.since.isoformat()}" if self.since != self.claim.on else ""
        flag = ", unverified" if self.claim.unverified else ""
        return (
            f"{self.claimant} (map): {self.measured_area_km2:,.0f} km² held by {self.controller}"
            f"{' in ' + self.region if self.region else ''} "
            f"(measured from the polygon of {self.claim.occurred}{unchanged}{flag})"
        )


def _mapped(current: MappedArea | None, payload: TerritoryMapped, event: Event) -> MappedArea:
    claim = Attribution.of(event)
    polygon_event = payload.same_as or event.event_id
    same = current is not None and current.geometry_hash == payload.geometry_hash
    return MappedArea(
        claimant=payload.claimant,
        controller=payload.controller,
        measured_area_km2=payload.measured_area_km2,
        geometry_hash=payload.geometry_hash,
        polygon_event=polygon_event,
        since=current.since if current is not None and same else event.occurred_on,
        claim=claim,
        region=payload.region,
        # Provenance is the map alone: the event holding the coordinates is content it points to (by
        # `polygon_event`), which may be retracted, or occur later, without changing what this map says.
        event_ids=(event.event_id,),
    )


def _report(reports: tuple[Reported, ...], new: Reported) -> tuple[Reported, ...]:
    """A total replaces the claimant's earlier totals, but not another source's report of the same day."""
    same_day = tuple(report for report in reports if report.claim.on == new.claim.on)
    return put(same_day, new, lambda report: report.claim.source)


def _with_ids(claims: ClaimantTerritory) -> ClaimantTerritory:
    totals = (*claims.area_km2, *claims.settlements_count, *claims.advance_km)
    return attrs.evolve(
        claims,
        event_ids=merge_ids(
            tuple(report.claim.event_id for report in totals), tuple(gain.claim.event_id for gain in claims.gains_since)
        ),
    )


def keys(event: Event) -> tuple[FactKey, ...]:
    payload = event.payload
    if isinstance(payload, TerritoryMapped):
        return (("mapped", payload.claimant, payload.controller),)
    return (("claims", payload.claimant),) if isinstance(payload, TerritoryClaimed) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if isinstance(payload, TerritoryMapped):
        (mapped_key,) = keys(event)
        return state.set(mapped_key, _mapped(state.get(mapped_key), payload, event))
    if not isinstance(payload, TerritoryClaimed):
        return state
    (key,) = keys(event)
    current: ClaimantTerritory = state.get(key) or ClaimantTerritory(claimant=payload.claimant)
    claim = Attribution.of(event)
    if payload.basis is AreaBasis.GAIN:
        gain = Gain(payload.area_km2, payload.settlements_count, payload.advance_km, claim)
        updated = attrs.evolve(current, gains_since=(*current.gains_since, gain))
    else:
        changes: dict[str, Any] = {"region": payload.region or current.region}
        if payload.area_km2 is not None:
            # A new total supersedes the gains reported since the previous one.
            changes.update(area_km2=_report(current.area_km2, Reported(payload.area_km2, claim)), gains_since=())
        if payload.settlements_count is not None:
            changes["settlements_count"] = _report(
                current.settlements_count, Reported(payload.settlements_count, claim)
            )
        if payload.advance_km is not None:
            changes["advance_km"] = _report(current.advance_km, Reported(payload.advance_km, claim))
        updated = attrs.evolve(current, **changes)
    return state.set(key, _with_ids(updated))


def _extremes(
    claimants: list[ClaimantTerritory], measure: str
) -> tuple[tuple[str, Reported], tuple[str, Reported], int, tuple[str, ...]] | None:
    """The lowest and highest report of `measure` over the claimants, if at least two claimants give one."""
    # Sorted by claimant: a map's order depends on string hashing, which differs between processes.
    having = sorted((c for c in claimants if getattr(c, measure)), key=lambda c: c.claimant)
    if len(having) < 2:
        return None
    reports = [(c.claimant, report) for c in having for report in getattr(c, measure)]
    low = min(reports, key=lambda item: (item[1].figure.value, item[0]))
    high = max(reports, key=lambda item: (item[1].figure.value, item[0]))
    ids = merge_ids(tuple(report.claim.event_id for _, report in reports))
    return low, high, len(having), ids


def facts(state: State) -> State:
    claimants = [fact for fact in state.values() if isinstance(fact, ClaimantTerritory)]
    area = _extremes(claimants, "area_km2")
    if area is not None:
        (low_name, low), (high_name, high), count, ids = area
        difference = high.figure.value - low.figure.value
        state = state.set(("spread",), Spread(low_name, low.figure, high_name, high.figure, difference, count, ids))
    settlements = _extremes(claimants, "settlements_count")
    if settlements is not None:
        (low_name, low), (high_name, high), count, ids = settlements
        difference = high.figure.value - low.figure.value
        state = state.set(
            ("settlements_spread",),
            SettlementsSpread(low_name, low.figure, high_name, high.figure, difference, count, ids),
        )
    return state


projector = Projector(
    name="territory",
    reads=(TerritoryClaimed, TerritoryMapped),
    apply=apply,
    facts=facts,
    fact_types=(ClaimantTerritory, Spread, SettlementsSpread, MappedArea),
    keys=keys,
)
