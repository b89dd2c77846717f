"""An event-sourced timeline engine: an append-only log of reports, replayed into snapshots by day."""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # pyproject.toml reads it from here

from timeline.errors import (
    BadEvent,
    BadInput,
    ConflictError,
    NotATimeline,
    ReadOnlyTimeline,
    TimelineError,
)

if TYPE_CHECKING:
    from timeline.api import Timeline


def __getattr__(name: str) -> Any:
    # `Timeline` is imported on first use: `timeline --version` should not load the engine.
    if name == "Timeline":
        from timeline.api import Timeline

        return Timeline
    raise AttributeError(f"module 'timeline' has no attribute {name!r}")


__all__ = [
    "BadEvent",
    "BadInput",
    "ConflictError",
    "NotATimeline",
    "ReadOnlyTimeline",
    "Timeline",
    "TimelineError",
]
