"""Claims about who holds a settlement."""

import enum

import attrs

from events.registry import kind
from events.validation import one_of, optional_text, text


class SettlementStatus(enum.Enum):
    CONTROLLED = "controlled"
    CONTESTED = "contested"
    FIGHTING = "fighting"
    RAIDED = "raided"
    WITHDRAWN = "withdrawn"


@kind("settlement.claimed")
@attrs.frozen
class SettlementClaimed:
    settlement: str = text()
    region: str = text()
    status: SettlementStatus = one_of(SettlementStatus)
    claimant: str = text()
    controller: str | None = optional_text()
    district: str | None = optional_text()

    def describe(self) -> str:
        held = f", held by {self.controller}" if self.controller else ""
        return f"{self.claimant}: {self.settlement} ({self.region}) {self.status.value}{held}"
