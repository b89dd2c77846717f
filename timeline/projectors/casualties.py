"""Casualties: per region and group (civilians, soldiers), every source's latest figures side by side.

A source's new report replaces its own earlier one; another source's never does. `contested`
marks a figure (killed, injured or missing) that two sources give differently; a source that
gives a figure the other does not is no disagreement.
"""

from __future__ import annotations

import attrs

from events.envelope import Event
from events.kinds import CasualtiesReported
from events.quantity import Quantity
from timeline.projectors.base import Attribution, FactKey, Projector, State, disagree, merge_ids, put


@attrs.frozen
class CasualtyReport:
    claim: Attribution
    killed: Quantity | None = None
    injured: Quantity | None = None
    missing: Quantity | None = None

    def describe(self) -> str:
        named = (("killed", self.killed), ("injured", self.injured), ("missing", self.missing))
        figures = ", ".join(f"{figure.describe()} {what}" for what, figure in named if figure is not None)
        return f"{figures} {self.claim.label(self.claim.source)}"


@attrs.frozen
class Casualties:
    region: str
    among: str
    reports: tuple[CasualtyReport, ...]  # each source's latest report, in the order first given
    contested: bool
    event_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        joined = " vs ".join(report.describe() for report in self.reports)
        return f"{self.region}, {self.among}: {'CONTESTED: ' if self.contested else ''}{joined}"


def keys(event: Event) -> tuple[FactKey, ...]:
    payload = event.payload
    return ((payload.region, payload.among),) if isinstance(payload, CasualtiesReported) else ()


def apply(state: State, event: Event) -> State:
    payload = event.payload
    if not isinstance(payload, CasualtiesReported):
        return state
    (key,) = keys(event)
    current: Casualties | None = state.get(key)
    report = CasualtyReport(Attribution.of(event), payload.killed, payload.injured, payload.missing)
    reports = put(current.reports if current else (), report, lambda r: r.claim.source)
    contested = any(
        disagree(figure for r in reports if (figure := getattr(r, measure)) is not None)
        for measure in ("killed", "injured", "missing")
    )
    ids = merge_ids(tuple(r.claim.event_id for r in reports))
    return state.set(key, Casualties(payload.region, payload.among, reports, contested, ids))


projector = Projector(name="casualties", reads=(CasualtiesReported,), apply=apply, fact_types=(Casualties,), keys=keys)
