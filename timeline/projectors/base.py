"""What a projector is: a pure fold of events into state, and the facts that state shows.

A fact is an attrs record with `event_ids` (its provenance) and `describe()` (one line for
people), addressed by a key tuple such as ("Sudzha",). Projector state is a FactMap, an
immutable map, so each step of a fold costs O(log n), not a copy of the whole state.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, TypeVar

import attrs

from events import registry
from events.envelope import DatePrecision, Event
from timeline.facts import FactMap

FactKey = tuple[str, ...]
State = FactMap
T = TypeVar("T")


class Fact(Protocol):
    event_ids: tuple[str, ...]

    def describe(self) -> str: ...


def state_facts(state: State) -> FactMap:
    """The facts of a projector whose state is its facts (most of them)."""
    return state


@attrs.frozen
class Projector:
    name: str
    # The payload classes this projector reads; replay hands it no other kinds.
    reads: tuple[type, ...]
    apply: Callable[[State, Event], State]
    # Most projectors' state is their facts; one that derives facts (a spread) overrides this.
    facts: Callable[[State], FactMap] = state_facts
    # Every class its facts can be: checkpoints name them to decode stored facts.
    fact_types: tuple[type, ...] = ()
    # The keys an event of a kind it reads can change. With it the projector is key-local: `apply`
    # reads and writes only those keys, and each one's new fact depends only on that key's old
    # fact and the event (a law the tests check). A write that lands in the past then refolds
    # only the facts it touches (timeline/checkpoints/patch.py). None: every write refolds it whole.
    keys: Callable[[Event], tuple[FactKey, ...]] | None = None
    # The new fact at one key of `keys(event)` from its old fact (None: absent), for a refold of
    # one fact: what `apply` makes there from a state that holds that fact alone (a law the tests
    # check), without making the event's other facts. None: `apply` is called on such a state.
    fold_fact: Callable[[FactKey, Any, Event], Any] | None = None

    def initial(self) -> State:
        return FactMap()

    def fact_folder(self) -> Callable[[FactKey, Any, Event], Any]:
        """`fold_fact`, or the same step made by `apply` on a state that holds the one fact."""
        if self.fold_fact is not None:
            return self.fold_fact
        apply = self.apply

        def by_apply(key: FactKey, fact: Any, event: Event) -> Any:
            return apply(FactMap() if fact is None else FactMap().set(key, fact), event).get(key)

        return by_apply

    @property
    def derives_facts(self) -> bool:
        """Whether some of its facts are derived from its state (a spread), not stored in it."""
        return self.facts is not state_facts

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(registry.kind_of_class(cls) for cls in self.reads)


@attrs.frozen
class Attribution:
    """Who made a claim, on which day (as precisely as the source dates it), in which event."""

    on: dt.date
    source: str
    event_id: str
    unverified: bool = False
    # `on` is the day the claim folds on; a coarser precision says the source gave only its week or month.
    date_precision: DatePrecision = DatePrecision.DAY

    @classmethod
    def of(cls, event: Event) -> Attribution:
        return cls(event.occurred_on, event.source, event.event_id, event.unverified, event.date_precision)

    @property
    def occurred(self) -> str:
        """'2024-08-16', or 'in the week of 2024-08-12' / 'in August 2024' for a coarser date."""
        return self.date_precision.describe(self.on)

    def label(self, who: str | None = None) -> str:
        flag = ", unverified" if self.unverified else ""
        return f"({who + ', ' if who else ''}{self.occurred}{flag})"


def merge_ids(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Provenance in first-seen order, without repeats."""
    return tuple(dict.fromkeys(itertools.chain.from_iterable(groups)))


def put(items: tuple[T, ...], item: T, key: Callable[[T], Hashable]) -> tuple[T, ...]:
    """`items` with `item` in the place of the one with the same key, else appended (first-seen order).

    How every projector keeps claims side by side: one per key (a source, a claimant), replaced
    only by a later claim with the same key, never by another source's.
    """
    wanted = key(item)
    # One pass that stops at the match: a fact can hold a hundred claims, and this runs per event.
    for position, existing in enumerate(items):
        if key(existing) == wanted:
            return (*items[:position], item, *items[position + 1 :])
    return (*items, item)


def disagree(values: Iterable[object]) -> bool:
    """Whether any two of `values` differ (stops at the first that differs from the first)."""
    iterator = iter(values)
    first = next(iterator, None)
    return any(value != first for value in iterator)
