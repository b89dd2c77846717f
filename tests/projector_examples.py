"""Helpers for hand-reasoned projector examples: build events, fold them, read the facts.

Examples fold events in the order given (replay's `(occurred_on, seq)` order is replay's
business, tested elsewhere), so each example says exactly what happened in which order.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from events.envelope import DatePrecision, Event
from timeline.projectors.base import FactKey, Projector

_ids = itertools.count(1)


def aug(day: int) -> dt.date:
    return dt.date(2024, 8, day)


def event(
    payload: object,
    on: dt.date,
    source: str = "Reuters",
    *,
    event_id: str | None = None,
    unverified: bool = False,
    precision: DatePrecision = DatePrecision.DAY,
) -> Event:
    return Event(
        payload=payload,
        occurred_on=on,
        source=source,
        event_id=event_id or f"e{next(_ids)}",
        unverified=unverified,
        date_precision=precision,
    )


def fold(projector: Projector, *events: Event) -> Mapping[FactKey, Any]:
    """The projector's facts after applying `events` in the order given."""
    state = projector.initial()
    for each in events:
        state = projector.apply(state, each)
    return projector.facts(state)
