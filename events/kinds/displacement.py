"""Civilians displaced or evacuated."""

import enum

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import instance_of, one_of, text


class DisplacementBasis(enum.Enum):
    TOTAL = "total"  # everyone displaced so far
    NEW = "new"  # displaced since the previous report
    SUBJECT_TO_EVACUATION = "subject_to_evacuation"  # ordered or due to leave: not yet displaced


# Version 2 added the basis `subject_to_evacuation`; version 1 data reads unchanged (events/upcasters.py).
@kind("civilians.displaced", version=2)
@attrs.frozen
class CiviliansDisplaced:
    region: str = text()
    count: Quantity = instance_of(Quantity)
    basis: DisplacementBasis = one_of(DisplacementBasis)

    def describe(self) -> str:
        how = {
            DisplacementBasis.TOTAL: "displaced in total",
            DisplacementBasis.NEW: "newly displaced",
            DisplacementBasis.SUBJECT_TO_EVACUATION: "subject to evacuation",
        }[self.basis]
        return f"{self.count.describe()} {how} in {self.region}"
