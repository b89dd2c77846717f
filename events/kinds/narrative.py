"""Reports that explain the situation but set no figure a later report would update.

They have no projector: a statement or a movement of forces is read in the log and in
the event list of a diff, where its date and source give it meaning.
"""

import attrs

from events.registry import kind
from events.validation import optional_text, text


@kind("statement.made")
@attrs.frozen
class StatementMade:
    speaker: str = text()
    summary: str = text(long=True)
    topic: str | None = optional_text()

    def describe(self) -> str:
        return f"{self.speaker}: {self.summary}"


# Version 2 made `from_area` optional (None: the source does not say where from); version 1 data reads unchanged.
@kind("forces.redeployed", version=2)
@attrs.frozen
class ForcesRedeployed:
    force: str = text()
    to_area: str = text()
    from_area: str | None = optional_text()

    def describe(self) -> str:
        origin = f" from {self.from_area}" if self.from_area else ""
        return f"{self.force} moved{origin} to {self.to_area}"
