"""Emergency regimes declared and lifted in a region."""

import enum

import attrs

from events.registry import kind
from events.validation import one_of, text


class Level(enum.Enum):
    REGIONAL = "regional"
    FEDERAL = "federal"


class Regime(enum.Enum):
    EMERGENCY = "emergency"
    COUNTER_TERRORISM = "counter_terrorism"


@attrs.frozen
class _EmergencyFields:
    region: str = text()
    level: Level = one_of(Level)
    regime: Regime = one_of(Regime)
    authority: str = text()


@kind("emergency.declared")
@attrs.frozen
class EmergencyDeclared(_EmergencyFields):
    def describe(self) -> str:
        return f"{self.level.value} {self.regime.value.replace('_', '-')} regime declared in {self.region} by {self.authority}"


@kind("emergency.lifted")
@attrs.frozen
class EmergencyLifted(_EmergencyFields):
    def describe(self) -> str:
        return f"{self.level.value} {self.regime.value.replace('_', '-')} regime lifted in {self.region} by {self.authority}"
