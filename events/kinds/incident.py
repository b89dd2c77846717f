"""An incident reported by a conflict-event dataset (ACLED's rows, UCDP GED's events) or a source:
what, where, who, the toll.

The fields follow ACLED's codebook, since that is the data people already keep; every field
but the event type, country and location is optional, so other datasets fit too.
`record_id` and `revision` name the dataset's own row (ACLED's event_id_cnty, UCDP's id) and its
version (ACLED's timestamp: Unix seconds of the row's last change; UCDP has none: a version is
known from its download's day, the event's `reported_on`).

UCDP GED's rows fill the shared fields (side_a and side_b as actor1 and actor2, adm_1 and adm_2
as admin1 and admin2, where_coordinates as the location, its best estimate with its low-high range
as `fatalities`), and its own fields in `ucdp` (`UcdpFields`), by its codebook's names.
"""

import datetime as dt
import math
from typing import Any

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import optional_text, text

# ACLED's geo_precision: 1 the named place itself; 2 a place near it (part of a region);
# 3 only the larger region was known, so its capital or centre is used.
GEO_PRECISIONS = (1, 2, 3)
_MAX_ISO = 999  # ISO 3166-1 numeric codes have three digits
_MAX_REVISION = 253_402_300_799  # 9999-12-31T23:59:59Z in Unix seconds
_MAX_ID = 10**15
_MAX_COUNT = 10**12
# UCDP GED's where_prec: 1 the exact place, 2 within about 25 km of it, 3 a second-order
# administrative division, 4 a first-order one, 5 a larger area or a line (a road, a border),
# 6 only the country, 7 international waters or airspace.
WHERE_PRECISIONS = (1, 2, 3, 4, 5, 6, 7)
# UCDP GED's date_prec: 1 the day, 2 a span of 2-6 days, 3 the week, 4 a span of 8-30 days or the
# month, 5 a longer span or only the year.
DATE_PRECISIONS = (1, 2, 3, 4, 5)
# Datasets whose toll is a best estimate within a low-high range: shown as "best 35 (low 30 - high 52)".
ESTIMATING_DATASETS = frozenset({"UCDP GED"})


def _to_float(value: object) -> object:
    # 51 and 51.0 are the same latitude; keep one spelling so hashes agree.
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _coordinate(limit: int) -> Any:
    def check(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
        if value is None:
            return
        if not isinstance(value, float):
            raise TypeError(f"{attribute.name} must be a number, not {value!r}")
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise ValueError(f"{attribute.name} must be between -{limit} and {limit}, not {value!r}")

    return attrs.field(default=None, converter=_to_float, validator=check)


def _whole_number(low: int, high: int, *, allowed: tuple[int, ...] | None = None) -> Any:
    def check(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be a whole number, not {value!r}")
        if allowed is not None and value not in allowed:
            raise ValueError(f"{attribute.name} must be one of {', '.join(map(str, allowed))}, not {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be between {low} and {high:,}, not {value!r}")

    return attrs.field(default=None, validator=check)


_optional_quantity = attrs.validators.optional(attrs.validators.instance_of(Quantity))


def _optional_day() -> Any:
    def check(instance: object, attribute: "attrs.Attribute[Any]", value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise TypeError(f"{attribute.name} must be a day such as 2024-08-16, not {value!r}")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{attribute.name} must be a day such as 2024-08-16, not {value!r}") from None
        if len(value) != len("2024-08-16"):
            raise ValueError(f"{attribute.name} must be a day such as 2024-08-16, not {value!r}")

    return attrs.field(default=None, validator=check)


def _optional_bool() -> Any:
    return attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.instance_of(bool)))


def describe_toll(fatalities: Quantity, *, estimate: bool = False) -> str:
    """'1 fatality', 'at least 3 fatalities'; an estimate in its range: 'best 35 (low 30 - high 52) deaths'."""
    if estimate:
        if fatalities.is_range and fatalities.low is not None and fatalities.high is not None:
            best, low, high = (
                Quantity(number).describe() for number in (fatalities.value, fatalities.low, fatalities.high)
            )
            return f"best {best} (low {low} – high {high}) deaths"
        return fatalities.describe("death" if fatalities.value == 1 else "deaths")
    one = fatalities.value == 1 and not fatalities.is_range and fatalities.bound.value in ("exact", "approx")
    return fatalities.describe("fatality" if one else "fatalities")


@attrs.frozen
class UcdpFields:
    """What UCDP GED says of an event beyond the fields every dataset fills, by its codebook's names."""

    relid: str | None = optional_text()
    conflict_new_id: int | None = _whole_number(0, _MAX_ID)
    conflict_name: str | None = optional_text()
    dyad_new_id: int | None = _whole_number(0, _MAX_ID)
    dyad_name: str | None = optional_text()
    side_a_new_id: int | None = _whole_number(0, _MAX_ID)
    side_b_new_id: int | None = _whole_number(0, _MAX_ID)
    gwnoa: str | None = optional_text()
    gwnob: str | None = optional_text()
    code_status: str | None = optional_text()
    active_year: bool | None = _optional_bool()
    event_clarity: int | None = _whole_number(1, 2)
    date_prec: int | None = _whole_number(1, 5, allowed=DATE_PRECISIONS)
    date_end: str | None = _optional_day()  # the last day it may have happened (occurred_on: the first)
    where_prec: int | None = _whole_number(1, 7, allowed=WHERE_PRECISIONS)
    where_description: str | None = optional_text(long=True)
    country_id: int | None = _whole_number(0, _MAX_ID)  # Gleditsch-Ward, not ISO
    priogrid_gid: int | None = _whole_number(0, _MAX_ID)
    number_of_sources: int | None = _whole_number(0, _MAX_COUNT)
    source_article: str | None = optional_text(long=True)
    source_office: str | None = optional_text(long=True)
    source_date: str | None = optional_text(long=True)
    source_headline: str | None = optional_text(long=True)
    source_original: str | None = optional_text(long=True)
    # Deaths by whom they were (best estimates): side A's, side B's, civilians', of unknown status.
    deaths_a: int | None = _whole_number(0, _MAX_COUNT)
    deaths_b: int | None = _whole_number(0, _MAX_COUNT)
    deaths_civilians: int | None = _whole_number(0, _MAX_COUNT)
    deaths_unknown: int | None = _whole_number(0, _MAX_COUNT)


@kind("incident.reported")
@attrs.frozen
class IncidentReported:
    event_type: str = text()
    country: str = text()
    location: str = text()
    sub_event_type: str | None = optional_text()
    disorder_type: str | None = optional_text()
    actor1: str | None = optional_text()
    assoc_actor_1: str | None = optional_text()
    inter1: str | None = optional_text()
    actor2: str | None = optional_text()
    assoc_actor_2: str | None = optional_text()
    inter2: str | None = optional_text()
    interaction: str | None = optional_text()
    civilian_targeting: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    iso: int | None = _whole_number(0, _MAX_ISO)
    region: str | None = optional_text()
    admin1: str | None = optional_text()
    admin2: str | None = optional_text()
    admin3: str | None = optional_text()
    latitude: float | None = _coordinate(90)
    longitude: float | None = _coordinate(180)
    geo_precision: int | None = _whole_number(1, 3, allowed=GEO_PRECISIONS)
    # As reported: ACLED's count is a number, and 0 is a real value (none were reported killed).
    fatalities: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    notes: str | None = optional_text(long=True)
    tags: str | None = optional_text()
    source_scale: str | None = optional_text()
    dataset: str | None = optional_text()
    record_id: str | None = optional_text()
    revision: int | None = _whole_number(0, _MAX_REVISION)
    # UCDP GED's own fields (None for other datasets): one field, so that the events of other
    # datasets pay nothing for them when they are decoded.
    ucdp: UcdpFields | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(UcdpFields))
    )

    def __attrs_post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            missing, given = ("longitude", "latitude") if self.longitude is None else ("latitude", "longitude")
            raise ValueError(f"{missing} is required when {given} is given")

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def place(self) -> str:
        """'Sudzha (Kursk)': the location and its first-level region."""
        return f"{self.location} ({self.admin1})" if self.admin1 else self.location

    def describe(self) -> str:
        what = f"{self.event_type} / {self.sub_event_type}" if self.sub_event_type else self.event_type
        actors = " vs ".join(actor for actor in (self.actor1, self.actor2) if actor)
        toll = f"; {describe_toll(self.fatalities, estimate=self.estimated)}" if self.fatalities is not None else ""
        return f"{what} at {self.place}{': ' + actors if actors else ''}{toll}"

    @property
    def estimated(self) -> bool:
        """Whether the toll is a best estimate within a range (UCDP GED's best, low and high)."""
        return self.dataset in ESTIMATING_DATASETS
