"""People killed, injured or missing, as one source counts them for one group in one region."""

import attrs

from events.quantity import Quantity
from events.registry import kind
from events.validation import text

_optional_quantity = attrs.validators.optional(attrs.validators.instance_of(Quantity))


@kind("casualties.reported")
@attrs.frozen
class CasualtiesReported:
    """Running totals as of the report: `among` says whom they count ("civilians", "soldiers")."""

    region: str = text()
    among: str = text()
    killed: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    injured: Quantity | None = attrs.field(default=None, validator=_optional_quantity)
    # Unaccounted for: not known to be dead or alive ("about 2,000 residents unaccounted for").
    missing: Quantity | None = attrs.field(default=None, validator=_optional_quantity)

    def __attrs_post_init__(self) -> None:
        if self.killed is None and self.injured is None and self.missing is None:
            raise ValueError("a casualty report needs killed, injured or missing")

    def figures(self) -> tuple[tuple[str, Quantity], ...]:
        """(what, figure) for each figure given, in the order killed, injured, missing."""
        named = (("killed", self.killed), ("injured", self.injured), ("missing", self.missing))
        return tuple((what, figure) for what, figure in named if figure is not None)

    def describe(self) -> str:
        figures = ", ".join(f"{figure.describe()} {what}" for what, figure in self.figures())
        return f"{figures} among {self.among} in {self.region}"
