"""Forces crossing a border."""

import attrs

from events.registry import kind
from events.validation import text, texts


@kind("border.crossed")
@attrs.frozen
class BorderCrossed:
    force: str = text()
    from_country: str = text()
    into_region: str = text()
    near: tuple[str, ...] = texts()
    # A probing raid tests defences and withdraws; it is not an offensive.
    probing: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def describe(self) -> str:
        where = f" near {', '.join(self.near)}" if self.near else ""
        action = "probe" if self.probing else "cross"
        return f"{self.force} {action} from {self.from_country} into {self.into_region}{where}"
