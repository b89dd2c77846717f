"""Emergencies: per region, the regimes in force (level, authority, since when) and those lifted."""

from __future__ import annotations

import datetime as dt

import attrs

from events.envelope import Event
from events.kinds import EmergencyDeclared, EmergencyLifted, Level, Regime
from timeline.projectors.base import Attribution, FactKey, Projector, State, merge_ids


@attrs.frozen
class ActiveRegime:
    regime: Regime
    level: Level
    authority: str
    since: dt.date  # the day the current level took effect
    first_declared: dt.date
    claim: Attribution
    history: tuple[str, ...] = ()  # ids of every declaration of this regime, oldest first

    def describe(self) -> str:
        raised = f", first declared {self.first_declared.isoformat()}" if self.first_declared != self.since else ""
        return f"{self.level.value} {self.regime.value.replace('_', '-')} since {self.since.isoformat()} ({self.authority}{raised})"


@attrs.frozen
class LiftedRegime:
    regime: Regime
    lifted_on: dt.date
    authority: str
    claim: Attribution


@attrs.frozen
class RegionEmergencies:
    region: str
    active: tuple[ActiveRegime, ...] = ()
    lifted: tuple[LiftedRegime, ...] = ()
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.active:
            return f"{self.region}: no regime in force (lifted: {', '.join(r.regime.value for r in self.lifted)})"
        return f"{self.region}: " + "; ".join(regime.describe() for regime in self.active)


def keys(event: Event) -> tuple[FactKey, ...]:
    payload = event.payload
    return ((payload.region,),) if isinstance(payload, (EmergencyDeclared, EmergencyLifted)) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, (EmergencyDeclared, EmergencyLifted)):
        return state
    (key,) = keys(event)
    current: RegionEmergencies = state.get(key) or RegionEmergencies(region=payload.region)
    claim = Attribution.of(event)
    previous = next((regime for regime in current.active if regime.regime is payload.regime), None)
    others = tuple(regime for regime in current.active if regime.regime is not payload.regime)
    lifted = tuple(regime for regime in current.lifted if regime.regime is not payload.regime)
    if isinstance(payload, EmergencyDeclared):
        if previous is not None and previous.level is payload.level:
            # Declared again at the level in force: it still dates from, and is credited to, the first.
            authority, since, level_claim = previous.authority, previous.since, previous.claim
        else:
            authority, since, level_claim = payload.authority, event.occurred_on, claim
        regime = ActiveRegime(
            regime=payload.regime,
            level=payload.level,
            authority=authority,
            since=since,
            first_declared=previous.first_declared if previous else event.occurred_on,
            claim=level_claim,
            history=(previous.history if previous else ()) + (claim.event_id,),
        )
        active = tuple(sorted((*others, regime), key=lambda r: r.regime.value))
    else:
        active = others
        lifted = tuple(
            sorted(
                (*lifted, LiftedRegime(payload.regime, event.occurred_on, payload.authority, claim)),
                key=lambda r: r.regime.value,
            )
        )
    ids = merge_ids(*(regime.history for regime in active), tuple(regime.claim.event_id for regime in lifted))
    return state.set(key, RegionEmergencies(payload.region, active, lifted, ids))


projector = Projector(
    name="emergencies",
    reads=(EmergencyDeclared, EmergencyLifted),
    apply=apply,
    fact_types=(RegionEmergencies,),
    keys=keys,
)
