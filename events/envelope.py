"""The envelope every event shares, and the store's record of an appended event."""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from typing import Any

import attrs

from events import registry
from events.registry import Payload
from events.validation import optional_text, text

_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}")


class DatePrecision(enum.Enum):
    """How precisely a source dates an event (ACLED's time_precision: 1 day, 2 week, 3 month).

    `occurred_on` is always a day, the one the event folds on; a coarser precision says the
    source gave only the week or month around it, and readers show it that way.
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    def describe(self, day: dt.date) -> str:
        """'2024-08-16', 'in the week of 2024-08-12' (its Monday), 'in August 2024'."""
        if self is DatePrecision.WEEK:
            return f"in the week of {(day - dt.timedelta(days=day.weekday())).isoformat()}"
        if self is DatePrecision.MONTH:
            return f"in {day:%B %Y}"
        return day.isoformat()


def new_event_id() -> str:
    return str(uuid.uuid4())


def _check_event_id(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _EVENT_ID.fullmatch(value):
        raise ValueError(
            f"event_id must be 1-200 characters of letters, digits and . _ : / - "
            f"starting with a letter or digit, not {value!r}"
        )


def _check_payload(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        registry.kind_of(value)
    except KeyError:
        raise TypeError(f"data must be a registered event payload, not {type(value).__name__}") from None


def _check_day(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{attribute.name} must be a date, not {value!r}")


def _check_reported_on(instance: Event, attribute: attrs.Attribute[dt.date], value: dt.date) -> None:
    _check_day(instance, attribute, value)
    if value < instance.occurred_on:
        raise ValueError(f"reported_on {value.isoformat()} is before occurred_on {instance.occurred_on.isoformat()}")


@attrs.frozen
class Event:
    """One report: what happened (payload), when (valid time), when it was known, and who said so."""

    payload: Payload = attrs.field(validator=_check_payload)
    occurred_on: dt.date = attrs.field(validator=_check_day)
    source: str = text()
    reported_on: dt.date = attrs.field(
        default=attrs.Factory(lambda self: self.occurred_on, takes_self=True),
        validator=_check_reported_on,
    )
    event_id: str = attrs.field(factory=new_event_id, validator=_check_event_id)
    # True when the claim was never independently confirmed; the engine keeps it, marked.
    unverified: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    note: str | None = optional_text(long=True)
    date_precision: DatePrecision = attrs.field(
        default=DatePrecision.DAY, validator=attrs.validators.instance_of(DatePrecision)
    )

    @property
    def occurred(self) -> str:
        """The day it occurred, as precisely as the source gave it."""
        return self.date_precision.describe(self.occurred_on)

    @property
    def kind(self) -> str:
        return registry.kind_of(self.payload)

    @property
    def schema_version(self) -> int:
        return registry.current_version(self.kind)


@attrs.frozen
class RecordedEvent:
    """An event as the log holds it: its position, its time of recording and its place in the hash chain."""

    event: Event
    seq: int
    recorded_at: str
    prev_hash: str
    hash: str

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def kind(self) -> str:
        return self.event.kind

    @property
    def payload(self) -> Payload:
        return self.event.payload

    @property
    def occurred_on(self) -> dt.date:
        return self.event.occurred_on

    @property
    def reported_on(self) -> dt.date:
        return self.event.reported_on
