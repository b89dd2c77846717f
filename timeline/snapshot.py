"""The immutable state of every projector at one (as_of, known_on) point."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from typing import Any

import attrs

from events.codec import state_converter
from timeline.errors import BadInput
from timeline.facts import FactMap
from timeline.projectors import PROJECTORS
from timeline.projectors.base import Fact, State


def fact_path(projector: str, key: tuple[str, ...]) -> str:
    return ".".join((projector, *key))


@attrs.frozen
class Snapshot:
    as_of: dt.date
    known_on: dt.date | None
    day: int | None
    events_applied: int
    states: tuple[State, ...] = attrs.field(repr=False)
    # How many events this query folded itself (the rest came from a checkpoint); not part of the answer.
    folded: int = attrs.field(default=0, eq=False)

    def facts(self) -> dict[str, Fact]:
        """Every fact by its path, e.g. 'settlements.Sudzha' or 'territory.claims.Ukraine'."""
        found: dict[str, Fact] = {}
        for projector, state in zip(PROJECTORS, self.states, strict=True):
            for key, fact in projector.facts(state).items():
                found[fact_path(projector.name, key)] = fact
        return found

    def fact(self, path: str) -> Fact:
        """The fact at `path`; refused with the closest paths there are when there is none. Only
        that fact is decoded (a million-row ACLED log holds 6,000)."""
        where = {fact_path(name, key): (facts, key) for name, facts in self.projector_facts().items() for key in facts}
        if path not in where:
            close = difflib.get_close_matches(path, list(where), n=3, cutoff=0.5)
            hint = (
                f"; did you mean {' or '.join(close)}?"
                if close
                else f"; known paths start with {', '.join(sorted({p.split('.')[0] for p in where})) or '(none)'}"
            )
            raise BadInput(f"no fact at {path!r} in that snapshot{hint}")
        facts, key = where[path]
        found: Fact = facts[key]
        return found

    def projector_facts(self) -> dict[str, FactMap]:
        return {
            projector.name: projector.facts(state) for projector, state in zip(PROJECTORS, self.states, strict=True)
        }

    def json_head(self) -> dict[str, Any]:
        """What `to_json` says of the snapshot itself, before its facts."""
        return {
            "as_of": self.as_of.isoformat(),
            "known_on": self.known_on.isoformat() if self.known_on else None,
            "day": self.day,
            "events_applied": self.events_applied,
        }

    def to_json(self) -> dict[str, Any]:
        out = self.json_head()
        for name, facts in self.projector_facts().items():
            out[name] = nest(facts)
        return out


def nest(facts: FactMap, leaf: Callable[[FactMap, tuple[str, ...]], Any] | None = None) -> dict[str, Any]:
    """{("claims", "Ukraine"): fact} -> {"claims": {"Ukraine": {...}}}, keys sorted for stable output;
    `leaf` makes each fact's entry from the map and its key (default: the fact unstructured)."""
    out: dict[str, Any] = {}
    for key in sorted(facts):
        node = out
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = state_converter.unstructure(facts[key]) if leaf is None else leaf(facts, key)
    return out
