"""A log's calendar: its first and last days, its last report, and "day N" of its story.

Day 1 is the day of the log's first event of the kind its story starts with (an offensive's
border crossing), else its first day. Users type "day 10" where they mean a date (`--day 10`).
"""

from __future__ import annotations

import datetime as dt

import attrs

from timeline.errors import BadArgument

# A log whose story starts with a border crossing counts its days from the first one.
STORY_STARTS_WITH = "border.crossed"


@attrs.frozen
class LogBounds:
    first_day: dt.date | None
    last_day: dt.date | None
    last_reported: dt.date | None
    day_one: dt.date | None  # the first border crossing, else the first day

    def day_number(self, day: dt.date) -> int | None:
        """The story's day number of a date (day 1 is `day_one`)."""
        return (day - self.day_one).days + 1 if self.day_one else None

    def date_of_day(self, day: int) -> dt.date:
        """'Day N of the offensive' -> its date."""
        first = self.day_one
        if first is None:
            raise BadArgument("the log is empty, so it has no day 1")
        if day < 1:
            raise BadArgument(f"{{day}} must be 1 or more (day 1 is {first.isoformat()}), not {day}")
        try:
            return first + dt.timedelta(days=day - 1)
        except OverflowError:
            raise BadArgument(f"{{day}} {day} is past the end of the calendar") from None

    def knowledge(self, known_on: dt.date | None) -> dt.date | None:
        """`known_on`, or None when it admits every report in the log (full knowledge)."""
        last = self.last_reported
        return None if known_on is None or last is None or known_on >= last else known_on


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def bounds_of(first: str | None, last: str | None, last_reported: str | None, story_start: str | None) -> LogBounds:
    """LogBounds from the store's days (ISO text)."""
    first_day = _day(first)
    return LogBounds(first_day, _day(last), _day(last_reported), _day(story_start) or first_day)
