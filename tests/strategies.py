"""Hypothesis strategies for the event vocabulary, shared by every property test.

Everything drawn here is *valid*: it passes the attrs validators of `events/`, so a test
that gets an exception from the engine has found a bug, not a bad example.

Public strategies
-----------------
- `texts()`: single-line text as the validators accept it.
- `event_ids()`: ids matching the envelope's id pattern.
- `quantities()`: `Quantity` with every bound, optional ranges, ints and finite floats.
- `payloads(kind=None, small_pools=False)`: a payload of one kind, or of any registered kind.
- `events(kind=None, window=None, small_pools=False, ...)`: a full `Event` envelope.
- `event_logs(min_size, max_size, **event_options)`: lists of events the store accepts
  in list order (unique ids; every retraction targets an earlier event of the list).

Options for collisions
----------------------
- `window=AUGUST_2024` keeps `occurred_on` and `reported_on` inside those days, so many
  events share a day.
- `small_pools=True` draws claimants, settlements, regions and the like from a handful of
  names, so several events speak about the same thing (contested settlements, repeated
  emergencies in one region, competing territory claims).

Adding an event kind means adding one entry to `PAYLOAD_STRATEGIES`; a test in
`test_codec.py` fails until every registered kind has one.

Strategy builders are cached (`functools.cache`): building strategies inside every draw
made `events()` several times slower. Pass `kinds` as a tuple, so it can be a cache key.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import strategies as st

import events.kinds as k
from events import registry
from events.envelope import _EVENT_ID, DatePrecision, Event
from events.quantity import MAX_VALUE, Bound, Quantity
from events.validation import MAX_LONG_TEXT, MAX_TEXT

AUGUST_2024 = (dt.date(2024, 8, 1), dt.date(2024, 8, 31))

CLAIMANTS = ("Ukraine", "Russia", "Institute for the Study of War")
SETTLEMENTS = ("Sudzha", "Korenevo", "Martynovka", "Malaya Loknya")
REGIONS = ("Kursk Oblast", "Belgorod Oblast", "Bryansk Oblast")
PEOPLE = ("Alexey Smirnov", "Oleksandr Syrskyi", "Volodymyr Zelenskyy")

# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

# No control characters (Cc) but tab, no surrogates (Cs: not encodable as UTF-8), and no
# line or paragraph separators (Zl, Zp): fields are single-line.
_TEXT_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), include_characters="\t")


@functools.cache
def texts(*, max_size: int = 30, long: bool = False, at_limit: bool = True) -> st.SearchStrategy[str]:
    """Valid text: non-empty after strip, no control characters except tab, within the limit.

    With `at_limit`, occasionally a string of exactly the field's limit in characters
    (2,000, or 20,000 for `long` fields), made of 1- to 4-byte UTF-8 characters.
    """
    short = st.text(_TEXT_CHARACTERS, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")
    if not at_limit:
        return short
    limit = MAX_LONG_TEXT if long else MAX_TEXT
    full = st.sampled_from(["a", "é", "中", "😀"]).map(lambda c: c * limit)
    return st.one_of(short, short, short, full)


@functools.cache
def _name(pool: tuple[str, ...], small_pools: bool) -> st.SearchStrategy[str]:
    """A name from `pool` when collisions are wanted, else any valid text (pool names included)."""
    if small_pools:
        return st.sampled_from(pool)
    return st.one_of(st.sampled_from(pool), texts(max_size=20, at_limit=False), texts())


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@functools.cache
def event_ids() -> st.SearchStrategy[str]:
    """Ids the envelope accepts: UUIDs (the default), readable slugs, and the full pattern."""
    slug = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)
    return st.one_of(st.uuids().map(str), slug, st.from_regex(_EVENT_ID, fullmatch=True))


# --------------------------------------------------------------------------------------------
# Quantity
# --------------------------------------------------------------------------------------------


def _numbers(max_value: int | float) -> st.SearchStrategy[int | float]:
    return st.one_of(
        st.integers(min_value=0, max_value=int(max_value)),
        st.floats(min_value=0, max_value=max_value, allow_nan=False, allow_infinity=False),
        st.sampled_from([0, 0.5, 1.0, max_value]),  # edges and an integral float (normalised to int)
    )


@st.composite
def quantities(draw: st.DrawFn, *, max_value: int | float = MAX_VALUE, ranges: bool = True) -> Quantity:
    """A `Quantity`: any bound; a value, or (with `ranges`) low <= value <= high; sometimes the source's words."""
    bound = draw(st.sampled_from(Bound))
    stated = draw(st.one_of(st.none(), st.none(), st.sampled_from(["hundreds", "less than half"]), texts()))
    if ranges and draw(st.booleans()):
        low, value, high = sorted(draw(st.lists(_numbers(max_value), min_size=3, max_size=3)))
        return Quantity(value, bound, low, high, stated)
    return Quantity(draw(_numbers(max_value)), bound, stated=stated)


# --------------------------------------------------------------------------------------------
# Payloads: one entry per registered kind
# --------------------------------------------------------------------------------------------

PayloadStrategy = Callable[[bool], st.SearchStrategy[Any]]


def _border_crossed(small_pools: bool) -> st.SearchStrategy[k.BorderCrossed]:
    return st.builds(
        k.BorderCrossed,
        force=_name(("Ukrainian forces", "Russian forces"), small_pools),
        from_country=_name(("Ukraine", "Russia"), small_pools),
        into_region=_name(REGIONS, small_pools),
        near=st.lists(_name(SETTLEMENTS, small_pools), max_size=3).map(tuple),
        probing=st.booleans(),
    )


def _civilians_displaced(small_pools: bool) -> st.SearchStrategy[k.CiviliansDisplaced]:
    return st.builds(
        k.CiviliansDisplaced,
        region=_name(REGIONS, small_pools),
        count=quantities(),
        basis=st.sampled_from(k.DisplacementBasis),
    )


def _emergency(cls: type) -> PayloadStrategy:
    def strategy(small_pools: bool) -> st.SearchStrategy[Any]:
        return st.builds(
            cls,
            region=_name(REGIONS, small_pools),
            level=st.sampled_from(k.Level),
            regime=st.sampled_from(k.Regime),
            authority=_name(PEOPLE, small_pools),
        )

    return strategy


def _statement_made(small_pools: bool) -> st.SearchStrategy[k.StatementMade]:
    return st.builds(
        k.StatementMade,
        speaker=_name(PEOPLE, small_pools),
        summary=texts(long=True),
        topic=_optional(texts()),
    )


def _forces_redeployed(small_pools: bool) -> st.SearchStrategy[k.ForcesRedeployed]:
    return st.builds(
        k.ForcesRedeployed,
        force=_name(("Russian conscripts", "Ukrainian brigades"), small_pools),
        from_area=_optional(_name(REGIONS, small_pools)),
        to_area=_name(REGIONS, small_pools),
    )


def _official_appointed(small_pools: bool) -> st.SearchStrategy[k.OfficialAppointed]:
    return st.builds(
        k.OfficialAppointed,
        person=_name(PEOPLE, small_pools),
        role=_name(("commandant", "head of operations"), small_pools),
        appointed_by=_name(PEOPLE, small_pools),
        region=_optional(_name(REGIONS, small_pools)),
    )


def _prisoners_captured(small_pools: bool) -> st.SearchStrategy[k.PrisonersCaptured]:
    return st.builds(
        k.PrisonersCaptured,
        captor=_name(CLAIMANTS, small_pools),
        count=quantities(),
        basis=st.sampled_from(k.CaptureBasis),
        unit=_optional(texts()),
    )


@st.composite
def _prisoners_exchanged_draw(draw: st.DrawFn, small_pools: bool) -> k.PrisonersExchanged:
    side_a = draw(_name(CLAIMANTS, small_pools))
    side_b = draw(_name(CLAIMANTS, small_pools).filter(lambda name: name != side_a))
    return k.PrisonersExchanged(
        side_a=side_a,
        released_by_a=draw(quantities()),
        side_b=side_b,
        released_by_b=draw(quantities()),
        mediator=draw(_optional(_name(("United Arab Emirates", "Turkey"), small_pools))),
    )


def _prisoners_exchanged(small_pools: bool) -> st.SearchStrategy[k.PrisonersExchanged]:
    return _prisoners_exchanged_draw(small_pools)


@st.composite
def _casualties_reported_draw(draw: st.DrawFn, small_pools: bool) -> k.CasualtiesReported:
    # At least one figure: the class refuses a report with none.
    given = draw(st.sets(st.sampled_from(("killed", "injured", "missing")), min_size=1))
    figures = {name: draw(quantities()) for name in sorted(given)}
    return k.CasualtiesReported(
        region=draw(_name(REGIONS, small_pools)), among=draw(_name(("civilians", "soldiers"), small_pools)), **figures
    )


def _casualties_reported(small_pools: bool) -> st.SearchStrategy[k.CasualtiesReported]:
    return _casualties_reported_draw(small_pools)


def _event_retracted(small_pools: bool) -> st.SearchStrategy[k.EventRetracted]:
    # A free-standing retraction targets some id; `event_logs` points it at an earlier event.
    return st.builds(k.EventRetracted, target_event_id=event_ids(), reason=texts(long=True))


def _settlement_claimed(small_pools: bool) -> st.SearchStrategy[k.SettlementClaimed]:
    return st.builds(
        k.SettlementClaimed,
        settlement=_name(SETTLEMENTS, small_pools),
        region=_name(REGIONS, small_pools),
        status=st.sampled_from(k.SettlementStatus),
        claimant=_name(CLAIMANTS, small_pools),
        controller=_optional(_name(CLAIMANTS, small_pools)),
        district=_optional(_name(("Sudzhansky", "Korenevsky"), small_pools)),
    )


@st.composite
def _territory_claimed_draw(draw: st.DrawFn, small_pools: bool) -> k.TerritoryClaimed:
    # At least one of area_km2 and settlements_count: the class refuses a claim with neither.
    has_area, has_settlements = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    area = draw(quantities()) if has_area else None
    settlements = draw(quantities()) if has_settlements else None
    return k.TerritoryClaimed(
        claimant=draw(_name(CLAIMANTS, small_pools)),
        basis=draw(st.sampled_from(k.AreaBasis)),
        region=draw(_optional(_name(REGIONS, small_pools))),
        area_km2=area,
        settlements_count=settlements,
        advance_km=draw(_optional(quantities())),
    )


def _territory_claimed(small_pools: bool) -> st.SearchStrategy[k.TerritoryClaimed]:
    return _territory_claimed_draw(small_pools)


CONTROLLERS = ("Russia", "Ukraine")


@st.composite
def _territory_mapped_draw(draw: st.DrawFn, small_pools: bool) -> k.TerritoryMapped:
    # A rectangle of whole thousandths of a degree (small, so examples stay fast), or a reference to
    # the event that carries a polygon: the projector never reads the coordinates, only the hash.
    from events.kinds.territory import coordinates_hash

    west = draw(st.integers(-179_000, 178_000)) / 1000
    south = draw(st.integers(-89_000, 88_000)) / 1000
    width, height = draw(st.integers(1, 999)) / 1000, draw(st.integers(1, 999)) / 1000
    east, north = round(west + width, 3), round(south + height, 3)
    ring = ((west, south), (east, south), (east, north), (west, north), (west, south))
    coordinates = ((ring,),)
    geometry_hash = coordinates_hash(coordinates)
    same_as = draw(st.one_of(st.none(), event_ids()))
    return k.TerritoryMapped(
        claimant=draw(_name(CLAIMANTS, small_pools)),
        controller=draw(_name(CONTROLLERS, small_pools)),
        measured_area_km2=draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
        geometry_hash=geometry_hash,
        coordinates=None if same_as else coordinates,
        same_as=same_as,
        region=draw(_optional(_name(REGIONS, small_pools))),
    )


def _territory_mapped(small_pools: bool) -> st.SearchStrategy[k.TerritoryMapped]:
    return _territory_mapped_draw(small_pools)


EVENT_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians", "Strategic developments")
SUB_EVENT_TYPES = ("Armed clash", "Shelling/artillery/missile attack", "Government regains territory", "Attack")
ADMIN1 = ("Kursk", "Belgorod", "Sumy")


@st.composite
def _incident_reported_draw(draw: st.DrawFn, small_pools: bool) -> k.IncidentReported:
    located = draw(st.booleans())
    short = texts(max_size=20, at_limit=False)  # many optional fields: keep drawing them cheap
    coordinate = functools.partial(st.floats, allow_nan=False, allow_infinity=False)
    return k.IncidentReported(
        event_type=draw(_name(EVENT_TYPES, small_pools)),
        country=draw(_name(("Russia", "Ukraine"), small_pools)),
        location=draw(_name(SETTLEMENTS, small_pools)),
        sub_event_type=draw(_optional(_name(SUB_EVENT_TYPES, small_pools))),
        disorder_type=draw(_optional(short)),
        actor1=draw(_optional(_name(CLAIMANTS, small_pools))),
        assoc_actor_1=draw(_optional(short)),
        inter1=draw(_optional(st.sampled_from(["1", "2", "State forces"]))),
        actor2=draw(_optional(_name(CLAIMANTS, small_pools))),
        assoc_actor_2=draw(_optional(short)),
        inter2=draw(_optional(st.sampled_from(["1", "8"]))),
        interaction=draw(_optional(st.sampled_from(["11", "18"]))),
        civilian_targeting=draw(st.booleans()),
        iso=draw(_optional(st.integers(0, 999))),
        region=draw(_optional(short)),
        admin1=draw(_optional(_name(ADMIN1, small_pools))),
        admin2=draw(_optional(short)),
        admin3=draw(_optional(short)),
        latitude=draw(coordinate(-90, 90)) if located else None,
        longitude=draw(coordinate(-180, 180)) if located else None,
        geo_precision=draw(_optional(st.sampled_from(k.incident.GEO_PRECISIONS))),
        fatalities=draw(_optional(quantities())),
        notes=draw(_optional(texts(long=True))),
        tags=draw(_optional(short)),
        source_scale=draw(_optional(short)),
        dataset=draw(_optional(st.sampled_from(["ACLED", "UCDP GED"]))),
        record_id=draw(_optional(st.from_regex(r"[A-Z]{3}[0-9]{1,6}", fullmatch=True))),
        revision=draw(_optional(st.integers(0, 2_000_000_000))),
        ucdp=draw(_optional(_ucdp_fields())),
    )


@st.composite
def _ucdp_fields(draw: st.DrawFn) -> k.incident.UcdpFields:
    """UCDP GED's own fields (a few of them drawn: the rest keep their defaults)."""
    count = _optional(st.integers(0, 500))
    return k.incident.UcdpFields(
        conflict_name=draw(_optional(st.sampled_from(["Russia - Ukraine"]))),
        dyad_new_id=draw(_optional(st.integers(0, 20_000))),
        active_year=draw(_optional(st.booleans())),
        event_clarity=draw(_optional(st.sampled_from([1, 2]))),
        date_prec=draw(_optional(st.sampled_from(k.incident.DATE_PRECISIONS))),
        date_end=draw(_optional(st.dates(dt.date(2024, 8, 1), dt.date(2024, 9, 30)).map(dt.date.isoformat))),
        where_prec=draw(_optional(st.sampled_from(k.incident.WHERE_PRECISIONS))),
        deaths_a=draw(count),
        deaths_b=draw(count),
        deaths_civilians=draw(count),
        deaths_unknown=draw(count),
    )


def _incident_reported(small_pools: bool) -> st.SearchStrategy[k.IncidentReported]:
    return _incident_reported_draw(small_pools)


PAYLOAD_STRATEGIES: dict[str, PayloadStrategy] = {
    "border.crossed": _border_crossed,
    "casualties.reported": _casualties_reported,
    "civilians.displaced": _civilians_displaced,
    "emergency.declared": _emergency(k.EmergencyDeclared),
    "emergency.lifted": _emergency(k.EmergencyLifted),
    "event.retracted": _event_retracted,
    "forces.redeployed": _forces_redeployed,
    "incident.reported": _incident_reported,
    "official.appointed": _official_appointed,
    "prisoners.captured": _prisoners_captured,
    "prisoners.exchanged": _prisoners_exchanged,
    "settlement.claimed": _settlement_claimed,
    "statement.made": _statement_made,
    "territory.claimed": _territory_claimed,
    "territory.mapped": _territory_mapped,
}


@functools.cache
def payloads(
    kind: str | None = None, *, small_pools: bool = False, kinds: tuple[str, ...] | None = None
) -> st.SearchStrategy[Any]:
    """A payload of `kind`, or of any kind in `kinds` (default: every registered kind)."""
    if kind is not None:
        return PAYLOAD_STRATEGIES[kind](small_pools)
    names = kinds if kinds is not None else tuple(registry.kind_names())
    return st.one_of([PAYLOAD_STRATEGIES[name](small_pools) for name in names])


# --------------------------------------------------------------------------------------------
# Envelope
# --------------------------------------------------------------------------------------------


@st.composite
def events(
    draw: st.DrawFn,
    kind: str | None = None,
    *,
    window: tuple[dt.date, dt.date] | None = None,
    small_pools: bool = False,
    kinds: tuple[str, ...] | None = None,
    event_id: st.SearchStrategy[str] | None = None,
) -> Event:
    """An `Event` whose `reported_on` is on or after `occurred_on`.

    `window` bounds both days (inclusive); without it any day from year 1 to 9999 can appear.
    """
    start, end = window if window is not None else (dt.date.min, dt.date.max)
    occurred_on = draw(st.dates(min_value=start, max_value=end))
    # Often a report is public the day it happens; otherwise later (a backfill).
    delay = 0 if draw(st.booleans()) else draw(st.integers(min_value=0, max_value=(end - occurred_on).days))
    reported_on = occurred_on + dt.timedelta(days=delay)
    return Event(
        payload=draw(payloads(kind, small_pools=small_pools, kinds=kinds)),
        occurred_on=occurred_on,
        source=draw(_name(("Russian Ministry of Defence", "Ukrainian General Staff", "Reuters"), small_pools)),
        reported_on=reported_on,
        event_id=draw(event_id if event_id is not None else event_ids()),
        unverified=draw(st.booleans()),
        note=draw(_optional(texts(long=True))),
        date_precision=draw(st.sampled_from(DatePrecision)),
    )


@st.composite
def event_logs(draw: st.DrawFn, min_size: int = 0, max_size: int = 10, **event_options: Any) -> list[Event]:
    """A list of events with unique ids that the store accepts when appended in list order.

    Each retraction is pointed at an earlier event of the list (a retraction drawn first,
    with nothing before it to retract, is replaced by an event of another kind).
    `event_options` are passed to `events()` (window, small_pools, kinds, ...).
    """
    drawn = draw(
        st.lists(events(**event_options), min_size=min_size, max_size=max_size, unique_by=lambda e: e.event_id)
    )
    other_kinds = tuple(name for name in (event_options.get("kinds") or ()) if name != "event.retracted") or tuple(
        name for name in registry.kind_names() if name != "event.retracted"
    )
    log: list[Event] = []
    for position, event in enumerate(drawn):
        if isinstance(event.payload, k.EventRetracted):
            if position == 0:
                replacement = draw(payloads(kinds=other_kinds, small_pools=event_options.get("small_pools", False)))
                event = attrs.evolve(event, payload=replacement)
            else:
                target = draw(st.sampled_from(log[:position])).event_id
                event = attrs.evolve(event, payload=attrs.evolve(event.payload, target_event_id=target))
        log.append(event)
    return log
