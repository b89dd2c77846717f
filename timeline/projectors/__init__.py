"""The projectors, registered here in one place, in the order snapshots show them.

Adding a projector is one new module with a `projector` and one line below.
"""

from timeline.projectors import (
    appointments,
    casualties,
    displacement,
    emergencies,
    incidents,
    prisoners,
    settlements,
    territory,
)
from timeline.projectors.base import Projector

PROJECTORS: tuple[Projector, ...] = (
    territory.projector,
    settlements.projector,
    emergencies.projector,
    prisoners.projector,
    appointments.projector,
    displacement.projector,
    casualties.projector,
    incidents.projector,
)

__all__ = ["PROJECTORS", "Projector"]
