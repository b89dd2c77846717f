"""One module per family of event kinds. Importing this package registers them all."""

from events.kinds import (  # noqa: F401  (imported for registration)
    border,
    casualties,
    displacement,
    emergency,
    incident,
    narrative,
    officials,
    prisoners,
    retraction,
    settlement,
    territory,
)
from events.kinds.border import BorderCrossed
from events.kinds.casualties import CasualtiesReported
from events.kinds.displacement import CiviliansDisplaced, DisplacementBasis
from events.kinds.emergency import EmergencyDeclared, EmergencyLifted, Level, Regime
from events.kinds.incident import IncidentReported
from events.kinds.narrative import ForcesRedeployed, StatementMade
from events.kinds.officials import OfficialAppointed
from events.kinds.prisoners import CaptureBasis, PrisonersCaptured, PrisonersExchanged
from events.kinds.retraction import EventRetracted
from events.kinds.settlement import SettlementClaimed, SettlementStatus
from events.kinds.territory import AreaBasis, TerritoryClaimed, TerritoryMapped

__all__ = [
    "AreaBasis",
    "BorderCrossed",
    "CaptureBasis",
    "CasualtiesReported",
    "CiviliansDisplaced",
    "DisplacementBasis",
    "EmergencyDeclared",
    "EmergencyLifted",
    "EventRetracted",
    "ForcesRedeployed",
    "IncidentReported",
    "Level",
    "OfficialAppointed",
    "PrisonersCaptured",
    "PrisonersExchanged",
    "Regime",
    "SettlementClaimed",
    "SettlementStatus",
    "StatementMade",
    "TerritoryClaimed",
    "TerritoryMapped",
]
