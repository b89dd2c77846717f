"""Prisoners of war: taken by one side, and exchanged between two."""

import enum

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import instance_of, one_of, optional_text, text


class CaptureBasis(enum.Enum):
    SINGLE_ACTION = "single_action"  # taken in one operation
    TOTAL = "total"  # claimed running total
    DAY = "day"  # taken on the day of the report ("since the start of the day"): not a running total


# Version 2 added the basis `day`; version 1 data reads unchanged (events/upcasters.py).
@kind("prisoners.captured", version=2)
@attrs.frozen
class PrisonersCaptured:
    captor: str = text()
    count: Quantity = instance_of(Quantity)
    basis: CaptureBasis = one_of(CaptureBasis)
    unit: str | None = optional_text()

    def describe(self) -> str:
        if self.basis is CaptureBasis.DAY:
            return f"{self.captor} captured {self.count.describe()} prisoners that day"
        how = "in one action" if self.basis is CaptureBasis.SINGLE_ACTION else "in total"
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.captor} holds {self.count.describe()} prisoners {how}{unit}"


@kind("prisoners.exchanged")
@attrs.frozen
class PrisonersExchanged:
    """Two sides hand over prisoners: `side_a` releases `released_by_a`, `side_b` releases `released_by_b`."""

    side_a: str = text()
    released_by_a: Quantity = instance_of(Quantity)
    side_b: str = text()
    released_by_b: Quantity = instance_of(Quantity)
    mediator: str | None = optional_text()

    def __attrs_post_init__(self) -> None:
        if self.side_a == self.side_b:
            raise ValueError(
                f"side_b must differ from side_a: an exchange is between two sides, not {self.side_a!r} twice"
            )

    def describe(self) -> str:
        via = f", mediated by {self.mediator}" if self.mediator else ""
        return (
            f"prisoner exchange: {self.side_a} releases {self.released_by_a.describe()}, "
            f"{self.side_b} releases {self.released_by_b.describe()}{via}"
        )
