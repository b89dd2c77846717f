"""Incidents: per first-level region (admin1) and per location, incidents by event type, the toll
as reported, and the latest incident.

Each dataset is tallied apart: two datasets count the same fighting each in its own way (ACLED's
fatalities, UCDP GED's best estimate within a low-high range), so their figures stand side by
side and are never summed. ACLED's rows and reports that name no dataset keep the plain keys
(`incidents.admin1.Kursk`); another dataset's tallies start with its name
(`incidents.UCDP GED.admin1.Kursk`).

A tally names its most recent incidents in `event_ids` (up to PROVENANCE_LIMIT; `incidents`
counts them all). Naming every one would make each fold step and each stored checkpoint grow
with the region's whole history: 100,000 incidents in one region would cost 5 billion copied
ids to replay. The full list is one query away (`timeline log --kind incident.reported`).
"""

from __future__ import annotations

import datetime as dt

import attrs

from events.envelope import Event
from events.kinds import IncidentReported
from events.kinds.incident import ESTIMATING_DATASETS, UcdpFields, describe_toll
from events.quantity import MAX_VALUE, Bound, Quantity
from timeline.projectors.base import FactKey, Projector, State

PROVENANCE_LIMIT = 20
# The datasets tallied under the plain keys; every other dataset's tallies stand apart.
SHARED_KEY_DATASETS = frozenset({None, "ACLED"})

_LOWER = {Bound.AT_LEAST, Bound.MORE_THAN}


def _low(figure: Quantity) -> int | float:
    return figure.low if figure.low is not None else figure.value


def _high(figure: Quantity) -> int | float:
    return figure.high if figure.high is not None else figure.value


def add_tolls(total: Quantity | None, toll: Quantity | None) -> Quantity | None:
    """The sum of two reported tolls, keeping what the sources' qualifiers allow us to say."""
    if total is None or toll is None:
        return total or toll
    if total.bound is toll.bound:
        bound = total.bound
    elif {total.bound, toll.bound} <= {Bound.EXACT, *_LOWER}:
        bound = Bound.AT_LEAST
    elif {total.bound, toll.bound} == {Bound.EXACT, Bound.AT_MOST}:
        bound = Bound.AT_MOST
    else:
        bound = Bound.APPROX
    if bound is Bound.MORE_THAN:
        bound = Bound.AT_LEAST  # "more than 3" and "more than 4" sum to at least 9, not more than 7
    value = total.value + toll.value
    if value > MAX_VALUE:
        return Quantity(MAX_VALUE, Bound.AT_LEAST)  # past what a Quantity holds: say only that much
    if total.is_range or toll.is_range:
        low = _low(total) + _low(toll)
        high = _high(total) + _high(toll)
        if high > MAX_VALUE:
            return Quantity(value, Bound.AT_LEAST)
        return Quantity(value, bound, low, high)
    return Quantity(value, bound)


@attrs.frozen
class LatestIncident:
    on: dt.date
    event_type: str
    sub_event_type: str | None
    location: str
    fatalities: Quantity | None
    source: str
    event_id: str
    unverified: bool = False
    estimated: bool = False  # the toll is a best estimate within a range (UCDP GED)

    def describe(self) -> str:
        what = f"{self.event_type} / {self.sub_event_type}" if self.sub_event_type else self.event_type
        toll = f", {describe_toll(self.fatalities, estimate=self.estimated)}" if self.fatalities is not None else ""
        flag = ", unverified" if self.unverified else ""
        return f"{what} at {self.location} ({self.on.isoformat()}, {self.source}{toll}{flag})"


@attrs.frozen
class EventTypeTally:
    event_type: str
    incidents: int
    fatalities: Quantity | None  # the sum of the reported tolls; None when none was reported
    event_ids: tuple[str, ...]  # the most recent, up to PROVENANCE_LIMIT

    def describe(self, *, estimated: bool = False) -> str:
        toll = f" ({describe_toll(self.fatalities, estimate=estimated)})" if self.fatalities is not None else ""
        return f"{self.event_type} {self.incidents:,}{toll}"


@attrs.frozen
class DeathsBySide:
    """The sum of a dataset's deaths by whom they were (UCDP GED's best estimates by side)."""

    side_a: int = 0
    side_b: int = 0
    civilians: int = 0
    unknown: int = 0

    def add(self, details: UcdpFields) -> DeathsBySide:
        return DeathsBySide(
            self.side_a + (details.deaths_a or 0),
            self.side_b + (details.deaths_b or 0),
            self.civilians + (details.deaths_civilians or 0),
            self.unknown + (details.deaths_unknown or 0),
        )

    def describe(self) -> str:
        return f"side A {self.side_a:,}, side B {self.side_b:,}, civilians {self.civilians:,}, unknown {self.unknown:,}"


def _by_side(payload: IncidentReported) -> UcdpFields | None:
    """The fields that give the incident's deaths by side, if it gives them."""
    details = payload.ucdp
    if details is None:
        return None
    counts = (details.deaths_a, details.deaths_b, details.deaths_civilians, details.deaths_unknown)
    return details if any(count is not None for count in counts) else None


@attrs.frozen
class PlaceIncidents:
    level: str  # "admin1" (a first-level region) or "location"
    place: str
    admin1: str | None
    country: str
    incidents: int
    fatalities: Quantity | None
    without_toll: int  # incidents that reported no fatality figure (not counted as 0)
    by_event_type: tuple[EventTypeTally, ...]  # by event type name
    latest: LatestIncident
    # Where the latest located incident put the place (locations only).
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int | None = None
    event_ids: tuple[str, ...] = ()  # the most recent incidents, up to PROVENANCE_LIMIT
    dataset: str | None = None  # set when the tally is one dataset's, apart from the others
    deaths_by_side: DeathsBySide | None = None  # when its incidents give deaths by side

    def describe(self) -> str:
        where = self.place if self.level == "admin1" else f"{self.place} ({self.admin1 or self.country})"
        estimated = self.dataset in ESTIMATING_DATASETS
        if self.fatalities is not None:
            toll = describe_toll(self.fatalities, estimate=estimated)
        else:
            toll = "no death figures" if estimated else "no fatality figures"
        unreported = f" ({self.without_toll:,} without a figure)" if self.without_toll and self.fatalities else ""
        sides = f" ({self.deaths_by_side.describe()})" if self.deaths_by_side is not None else ""
        types = ", ".join(tally.describe(estimated=estimated) for tally in self.by_event_type)
        plural = "s" if self.incidents != 1 else ""
        counted = f"{self.incidents:,} {'event' if estimated else 'incident'}{plural}"
        label = f", {self.dataset}" if self.dataset else ""
        return f"{where}{label}: {counted}, {toll}{unreported}{sides}; {types}; latest {self.latest.describe()}"


def _recent(ids: tuple[str, ...], event_id: str) -> tuple[str, ...]:
    return (*ids[-(PROVENANCE_LIMIT - 1) :], event_id)


def _tally(tallies: tuple[EventTypeTally, ...], payload: IncidentReported, event_id: str) -> tuple[EventTypeTally, ...]:
    for position, tally in enumerate(tallies):
        if tally.event_type == payload.event_type:
            updated = EventTypeTally(
                tally.event_type,
                tally.incidents + 1,
                add_tolls(tally.fatalities, payload.fatalities),
                _recent(tally.event_ids, event_id),
            )
            return (*tallies[:position], updated, *tallies[position + 1 :])
    new = EventTypeTally(payload.event_type, 1, payload.fatalities, (event_id,))
    return tuple(sorted((*tallies, new), key=lambda tally: tally.event_type))


def _count(
    current: PlaceIncidents | None, level: str, place: str, event: Event, payload: IncidentReported
) -> PlaceIncidents:
    latest = LatestIncident(
        event.occurred_on,
        payload.event_type,
        payload.sub_event_type,
        payload.location,
        payload.fatalities,
        event.source,
        event.event_id,
        event.unverified,
        payload.estimated,
    )
    sides = _by_side(payload)
    # A location is where its latest located incident put it; a region has no coordinates.
    located = level == "location" and payload.located
    if current is None:
        return PlaceIncidents(
            level=level,
            place=place,
            admin1=payload.admin1,
            country=payload.country,
            incidents=1,
            fatalities=payload.fatalities,
            without_toll=int(payload.fatalities is None),
            by_event_type=_tally((), payload, event.event_id),
            latest=latest,
            latitude=payload.latitude if located else None,
            longitude=payload.longitude if located else None,
            geo_precision=payload.geo_precision if located else None,
            event_ids=(event.event_id,),
            dataset=None if payload.dataset in SHARED_KEY_DATASETS else payload.dataset,
            deaths_by_side=DeathsBySide().add(sides) if sides is not None else None,
        )
    by_side = current.deaths_by_side
    if sides is not None:
        by_side = (by_side or DeathsBySide()).add(sides)
    # Built field by field rather than by attrs.evolve, which inspects the class on every call:
    # this runs once per incident per place in every fold.
    return PlaceIncidents(
        current.level,
        current.place,
        current.admin1,
        current.country,
        current.incidents + 1,
        add_tolls(current.fatalities, payload.fatalities),
        current.without_toll + int(payload.fatalities is None),
        _tally(current.by_event_type, payload, event.event_id),
        latest,
        payload.latitude if located else current.latitude,
        payload.longitude if located else current.longitude,
        payload.geo_precision if located else current.geo_precision,
        _recent(current.event_ids, event.event_id),
        current.dataset,
        by_side,
    )


def keys(event: Event) -> tuple[FactKey, ...]:
    """The incident's region (admin1, else its country) and its location within that region; a
    dataset tallied apart puts its name before both (so `state --json` nests them under it)."""
    payload = event.payload
    if not isinstance(payload, IncidentReported):
        return ()
    region = payload.admin1 or payload.country
    dataset = payload.dataset
    if dataset is None or dataset in SHARED_KEY_DATASETS:
        return ("admin1", region), ("location", region, payload.location)
    return (dataset, "admin1", region), (dataset, "location", region, payload.location)


def fold_fact(key: FactKey, current: PlaceIncidents | None, event: Event) -> PlaceIncidents | None:
    """The tally at one of the event's keys (its region's or its location's) after the event."""
    payload = event.payload
    if not isinstance(payload, IncidentReported):
        return current
    region_key, location_key = keys(event)
    if key == region_key:
        return _count(current, "admin1", region_key[-1], event, payload)
    assert key == location_key, key
    return _count(current, "location", payload.location, event, payload)


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, IncidentReported):
        return state
    region_key, location_key = keys(event)
    state = state.set(region_key, _count(state.get(region_key), "admin1", region_key[-1], event, payload))
    return state.set(location_key, _count(state.get(location_key), "location", payload.location, event, payload))


projector = Projector(
    name="incidents",
    reads=(IncidentReported,),
    apply=apply,
    fact_types=(PlaceIncidents,),
    keys=keys,
    fold_fact=fold_fact,
)
