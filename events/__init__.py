"""The vocabulary of the timeline: what can be recorded. Pure data, no I/O."""

from events.envelope import Event, RecordedEvent
from events.quantity import Bound, Quantity
from events.registry import kind_names

__all__ = ["Bound", "Event", "Quantity", "RecordedEvent", "kind_names"]
