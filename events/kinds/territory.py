"""Claims about how much territory one side holds or has gained."""

import enum

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import one_of, optional_text, text

_optional_quantity = attrs.validators.optional(attrs.validators.instance_of(Quantity))


class AreaBasis(enum.Enum):
    TOTAL = "total"  # everything held so far
    GAIN = "gain"  # added since the previous report


@kind("territory.claimed", version=2)
@attrs.frozen
class TerritoryClaimed:
    claimant: str = text()
    basis: AreaBasis = one_of(AreaBasis)
    region: str | None = optional_text()
    area_km2: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    settlements_count: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    advance_km: Quantity | None = attrs.field(default=None, validator=_optional_quantity)

    def __attrs_post_init__(self) -> None:
        # A claim with neither figure says nothing about territory.
        if self.area_km2 is None and self.settlements_count is None:
            raise ValueError("a territory claim needs area_km2 or settlements_count")

    def describe(self) -> str:
        figures = [
            f"{q.describe(unit)}" for q, unit in ((self.area_km2, "km²"), (self.settlements_count, "settlements")) if q
        ]
        where = f" in {self.region}" if self.region else ""
        advance = f", advance {self.advance_km.describe('km')}" if self.advance_km else ""
        return f"{self.claimant}: {' and '.join(figures)} ({self.basis.value}){where}{advance}"
