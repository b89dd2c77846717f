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


@kind("forces.redeployed")
@attrs.frozen
class ForcesRedeployed:
    force: str = text()
    from_area: str = text()
    to_area: str = text()

    def describe(self) -> str:
        return f"{self.force} moved from {self.from_area} to {self.to_area}"
