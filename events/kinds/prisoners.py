"""Prisoners of war taken by one side."""

import enum

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import instance_of, one_of, optional_text, text


class CaptureBasis(enum.Enum):
    SINGLE_ACTION = "single_action"  # taken in one operation
    TOTAL = "total"  # claimed running total


@kind("prisoners.captured")
@attrs.frozen
class PrisonersCaptured:
    captor: str = text()
    count: Quantity = instance_of(Quantity)
    basis: CaptureBasis = one_of(CaptureBasis)
    unit: str | None = optional_text()

    def describe(self) -> str:
        how = "in one action" if self.basis is CaptureBasis.SINGLE_ACTION else "in total"
        return f"{self.captor} holds {self.count.describe()} prisoners {how}"
