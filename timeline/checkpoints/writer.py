"""`Writer`: the checkpoints of one refresh written, a version for each fact that changed, each value stored once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from timeline.checkpoints.stored import key_text
from timeline.fact_shapes import shape_tag
from timeline.facts import Encoded, encode_fact
from timeline.projectors import PROJECTORS
from timeline.projectors.base import State
from timeline.store.checkpoint_tables import CheckpointStore, Keyframe

if TYPE_CHECKING:
    pass


class Writer:
    """Writes the checkpoints of one refresh: a day's row, and a version for each fact that changed
    since the day before, each fact value stored once."""

    def __init__(
        self,
        tables: CheckpointStore,
        start: Sequence[State] | None = None,
        only: dict[int, set[tuple[str, ...]]] | None = None,
    ):
        self.tables = tables
        self.names = [projector.name for projector in PROJECTORS]
        self.key_ids: dict[tuple[int, tuple[str, ...]], int] = {}
        # Facts unchanged since the previous day are the same objects: reuse their value rows.
        # Only the last day's facts are kept, so memory stays at one state's worth.
        self.value_ids: dict[int, tuple[Any, int]] = {}
        # key id -> value id as of the last day written (first: `start`, the checkpoint the fold
        # starts from), so a day writes versions only for what changed.
        # key id -> the last value of that key this refresh stored whole: its next values are
        # stored against it while that saves at least half (CheckpointStore.value_ids).
        self.keyframes: dict[int, Keyframe] = {}
        self.current: dict[int, int] = {}
        if start is not None:
            self.current = dict(self.fact_rows(start, only))
        self.versions: list[tuple[int, str, int | None]] = []

    def save(self, day: str, applied: int, knowledge: str, states: Sequence[State]) -> None:
        self.tables.insert(day, applied, knowledge)
        self.record(day, states)

    def record(self, day: str, states: Sequence[State], only: dict[int, set[tuple[str, ...]]] | None = None) -> None:
        """The versions that make the facts at the end of `day` those of `states` (of the keys `only` names)."""
        facts = dict(self.fact_rows(states, only))
        current = self.current
        self.versions += [
            (key_id, day, value_id) for key_id, value_id in facts.items() if current.get(key_id) != value_id
        ]
        self.versions += [(key_id, day, None) for key_id in current.keys() - facts.keys()]
        self.current = facts
        if len(self.versions) >= 10_000:
            self.flush()

    def flush(self) -> None:
        self.tables.add_versions(self.versions)
        self.versions = []

    def fact_rows(
        self, states: Sequence[State], only: dict[int, set[tuple[str, ...]]] | None = None
    ) -> list[tuple[int, int]]:
        """(key id, value id) of every fact of `states` (of the keys `only` names per projector, if given),
        each value stored if it is new. Call once per day, in day order."""
        previous, self.value_ids = self.value_ids, {}
        facts: list[tuple[int, int]] = []
        # New values are stored together, in one lookup and one insert per day, not two statements each.
        new: list[tuple[int, Any, str, bytes]] = []  # (position in facts, entry, type, JSON)
        for index, state in enumerate(states):
            wanted = None if only is None else only.get(index)
            if only is not None and not wanted:
                continue
            for key, entry in state.raw_items():
                if wanted is not None and key not in wanted:
                    continue
                key_id = self.key_id(index, key)
                value_id = self._known_value_id(entry, previous)
                if value_id is None:
                    type_name, text = self._encoded(entry)
                    new.append((len(facts), entry, type_name, text))
                    value_id = -1
                facts.append((key_id, value_id))
        if new:
            # A key whose keyframe this refresh has not met yet (a write that patches a few facts)
            # is stored against the keyframe of the value it had the day before.
            previous_values = self.current
            unknown = {
                previous_values[key_id]
                for position, *_ in new
                if (key_id := facts[position][0]) not in self.keyframes and key_id in previous_values
            }
            if unknown:
                found = self.tables.keyframes_of(unknown)
                for key_id, value_id in previous_values.items():
                    if value_id in found and key_id not in self.keyframes:
                        self.keyframes[key_id] = found[value_id]
            stored = self.tables.value_ids(
                [(type_name, text, self.keyframes.get(facts[position][0])) for position, _, type_name, text in new]
            )
            for (position, entry, _, text), (value_id, whole) in zip(new, stored, strict=True):
                key_id = facts[position][0]
                facts[position] = (key_id, value_id)
                self.value_ids[id(entry)] = (entry, value_id)
                if whole:
                    self.keyframes[key_id] = Keyframe(value_id, text)
        return facts

    def key_id(self, index: int, key: tuple[str, ...]) -> int:
        key_id = self.key_ids.get((index, key))
        if key_id is None:
            key_id = self.key_ids[index, key] = self.tables.key_id(self.names[index], key_text(key))
        return key_id

    def _known_value_id(self, entry: Any, previous: dict[int, tuple[Any, int]]) -> int | None:
        """The row of a value read from a checkpoint or stored the day before (the same object), if any."""
        if type(entry) is Encoded and entry.value_id is not None:
            return entry.value_id
        known = previous.get(id(entry))
        if known is not None and known[0] is entry:
            self.value_ids[id(entry)] = known
            return known[1]
        return None

    @staticmethod
    def _encoded(entry: Any) -> tuple[str, bytes]:
        """(shape tag, JSON) of a fact, whether still encoded or folded."""
        if type(entry) is Encoded:
            return shape_tag(entry.fact_type), entry.text
        fact_type: type = type(entry)
        return shape_tag(fact_type), encode_fact(entry)
