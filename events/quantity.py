"""Numbers as sources state them: "more than 1,000", "around 800", "1-3", "hundreds".

A range ("one to three kilometres") is `low`-`high`; its `value`, the figure comparisons use, is
by convention the low end: the most the source commits to, never an invented midpoint. When the
source gives no number of its own ("hundreds", "less than half of Kyiv's figure"), `stated` keeps
its words and `value`/`bound` the plainest reading of them, which a note on the event explains.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs

from events.validation import optional_text

# A count or an area beyond this is a typo or an attack, not a report.
MAX_VALUE = 10**12


class Bound(enum.Enum):
    EXACT = "exact"
    APPROX = "approx"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    AT_MOST = "at_most"


def _check_number(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name != "value":
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be a finite number, not {value!r}")
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative: {value!r}")
    if value > MAX_VALUE:
        raise ValueError(f"{attribute.name} is implausibly large: {value!r}")


def _normalise(value: int | float | None) -> int | float | None:
    """1000.0 and 1000 are the same figure; keep one spelling so hashes agree."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


@attrs.frozen
class Quantity:
    value: int | float = attrs.field(converter=_normalise, validator=_check_number)
    bound: Bound = attrs.field(default=Bound.EXACT, validator=attrs.validators.instance_of(Bound))
    low: int | float | None = attrs.field(default=None, converter=_normalise, validator=_check_number)
    high: int | float | None = attrs.field(default=None, converter=_normalise, validator=_check_number)
    # The source's own words when they are not a number: "hundreds".
    stated: str | None = optional_text()

    def __attrs_post_init__(self) -> None:
        if (self.low is None) != (self.high is None):
            raise ValueError("a range needs both low and high")
        if self.low is not None and self.high is not None and not (self.low <= self.value <= self.high):
            raise ValueError(f"range must satisfy low <= value <= high: {self.low}, {self.value}, {self.high}")

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def describe(self, unit: str = "") -> str:
        """Human wording that keeps the source's qualifier: 'more than 1,000 km²', '"hundreds" (read as at least 200)'."""
        figure = self._figure(unit)
        return f'"{self.stated}" (read as {figure})' if self.stated else figure

    def _figure(self, unit: str) -> str:
        if self.is_range:
            figure = f"{_fmt(self.low)}-{_fmt(self.high)}"
        else:
            figure = _fmt(self.value)
        prefix = {
            Bound.EXACT: "",
            Bound.APPROX: "about ",
            Bound.AT_LEAST: "at least ",
            Bound.MORE_THAN: "more than ",
            Bound.AT_MOST: "up to ",
        }[self.bound]
        return f"{prefix}{figure}{' ' + unit if unit else ''}"


def _fmt(number: int | float | None) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:,.2f}".rstrip("0").rstrip(".")
