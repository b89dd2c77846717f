"""An event-sourced timeline engine: an append-only log of reports, replayed into snapshots by day."""

from timeline.api import Timeline
from timeline.errors import (
    BadEvent,
    BadInput,
    ConflictError,
    NotATimeline,
    ReadOnlyTimeline,
    TimelineError,
)

__all__ = [
    "BadEvent",
    "BadInput",
    "ConflictError",
    "NotATimeline",
    "ReadOnlyTimeline",
    "Timeline",
    "TimelineError",
]
