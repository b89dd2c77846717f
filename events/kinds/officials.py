"""Officials put in charge."""

import attrs

from events.registry import kind
from events.validation import optional_text, text


@kind("official.appointed")
@attrs.frozen
class OfficialAppointed:
    person: str = text()
    role: str = text()
    appointed_by: str = text()
    region: str | None = optional_text()

    def describe(self) -> str:
        return f"{self.person} appointed {self.role} by {self.appointed_by}"
