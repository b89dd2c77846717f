"""Withdrawing an earlier event: the log keeps both, snapshots hide the target."""

import attrs

from events.registry import kind
from events.validation import text


@kind("event.retracted")
@attrs.frozen
class EventRetracted:
    target_event_id: str = text()
    reason: str = text(long=True)

    def describe(self) -> str:
        return f"retracts {self.target_event_id}: {self.reason}"
