"""Appointments: per role, who holds it, who appointed them and since when."""

from __future__ import annotations

import datetime as dt

import attrs

from events.envelope import Event
from events.kinds import OfficialAppointed
from timeline.projectors.base import Attribution, FactKey, Projector, State


@attrs.frozen
class Appointment:
    role: str
    person: str
    appointed_by: str
    since: dt.date
    claim: Attribution
    region: str | None = None
    predecessor: str | None = None
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        where = f" in {self.region}" if self.region else ""
        return f"{self.role}{where}: {self.person}, appointed by {self.appointed_by} {self.claim.label()}"


def keys(event: Event) -> tuple[FactKey, ...]:
    return ((event.payload.role,),) if isinstance(event.payload, OfficialAppointed) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, OfficialAppointed):
        return state
    (key,) = keys(event)
    previous: Appointment | None = state.get(key)
    predecessor: str | None
    if previous is None:
        predecessor = None
    elif previous.person != payload.person:
        predecessor = previous.person
    else:  # the same person appointed again: the one before them is still the predecessor
        predecessor = previous.predecessor
    appointment = Appointment(
        role=payload.role,
        person=payload.person,
        appointed_by=payload.appointed_by,
        since=event.occurred_on,
        claim=Attribution.of(event),
        region=payload.region,
        predecessor=predecessor,
        event_ids=(event.event_id,),
    )
    return state.set(key, appointment)


projector = Projector(
    name="appointments", reads=(OfficialAppointed,), apply=apply, fact_types=(Appointment,), keys=keys
)
