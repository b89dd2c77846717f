"""An incident reported by a conflict-event dataset (ACLED's rows) or a source: what, where, who, the toll.

The fields follow ACLED's codebook, since that is the data people already keep; every field
but the event type, country and location is optional, so other datasets fit too.
`record_id` and `revision` name the dataset's own row (ACLED's event_id_cnty) and its
version (ACLED's timestamp: Unix seconds of the row's last change).
"""

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


def describe_toll(fatalities: Quantity) -> str:
    """'1 fatality', 'at least 3 fatalities'."""
    one = fatalities.value == 1 and not fatalities.is_range and fatalities.bound.value in ("exact", "approx")
    return fatalities.describe("fatality" if one else "fatalities")


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
        toll = f"; {describe_toll(self.fatalities)}" if self.fatalities is not None else ""
        return f"{what} at {self.place}{': ' + actors if actors else ''}{toll}"
