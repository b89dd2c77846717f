"""Civilians displaced or evacuated."""

import enum

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import instance_of, one_of, text


class DisplacementBasis(enum.Enum):
    TOTAL = "total"  # everyone displaced so far
    NEW = "new"  # displaced since the previous report


@kind("civilians.displaced")
@attrs.frozen
class CiviliansDisplaced:
    region: str = text()
    count: Quantity = instance_of(Quantity)
    basis: DisplacementBasis = one_of(DisplacementBasis)

    def describe(self) -> str:
        how = "newly displaced" if self.basis is DisplacementBasis.NEW else "displaced in total"
        return f"{self.count.describe()} {how} in {self.region}"
