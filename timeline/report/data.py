"""The data a report embeds: each day's changes, the facts and events they cite, and what was known when.

Shape (arrays rather than objects where rows repeat, to keep large logs small; the page's
script reads it through one accessor per row kind):

- `days`: position 0 is the baseline (the state before the first day shown, as changes from
  nothing); then one row per day: [date, day number, [event index...], [[path index, fact index
  or -1 for gone]...]]. The page rebuilds a day's state by applying every row up to it.
- `facts`: each distinct fact version once: [path index, describe(), [event index...],
  unverified, panel data or null, [latitude, longitude, where from] or null, place name or null].
- `events`: [id, kind index, occurred, reported, source index, text, unverified, note,
  occurred as worded (for week/month precision) or null, visible with full knowledge,
  [knowledge days at which its visibility is the opposite]].
- `known`: {K: [start position, [[[path index, fact index | -1 gone | -2 same again]...] per
  position]]}, see `knowledge.py`; `knowledge_days`: every day on which reports were made public.
- `retractions`: [retraction event index, target event index] for each retraction made public
  from the first day shown on, and on down its chain: with the events' reported days and
  visibility, what the page needs to tell what a knowledge day withdrew or restored.
- `series`: chart points by chart: [event index, group, value, bound, low, high, label].
- `geography`: the borders drawn behind the map's places, cut to their extent (see `basemap.py`).
- `control_polygons`: the mapped areas' polygons and the facts that draw them (`polygons.py`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from events.codec import state_converter
from events.envelope import RecordedEvent
from timeline.api import DaySummary, Timeline
from timeline.errors import BadInput
from timeline.projectors import PROJECTORS
from timeline.report import basemap, knowledge, panels, places, polygons, series
from timeline.report.tables import Interned, Strings

FORMAT_VERSION = 1


@attrs.frozen
class ReportOptions:
    title: str = "Timeline report"
    log_name: str = "timeline"
    first: dt.date | None = None  # the first day the slider shows (default: the log's first day)
    last: dt.date | None = None  # the last (default: the log's last day)


def _unverified(data: Any) -> bool:
    """Whether any part of a fact rests on an unverified claim (an attribution marked so)."""
    if isinstance(data, Mapping):
        return data.get("unverified") is True or any(_unverified(value) for value in data.values())
    if isinstance(data, (list, tuple)):
        return any(_unverified(value) for value in data)
    return False


class ReportBuilder:
    def __init__(self, timeline: Timeline, options: ReportOptions):
        self.timeline = timeline
        self.options = options
        self.strings = Strings()
        self.kinds = Strings()
        self.paths = Strings()
        self.events: list[RecordedEvent] = list(timeline.events())
        self.by_id = {recorded.event_id: recorded for recorded in self.events}
        self.event_rows: Interned[str] = Interned(self._event_row)
        self.fact_rows: Interned[tuple[str, Any]] = Interned(self._fact_row)
        self.full_visible: set[str] = set()

    # -- rows -----------------------------------------------------------------------------------

    def _event_row(self, event_id: str) -> list[Any]:
        recorded = self.by_id[event_id]
        event = recorded.event
        describe = getattr(recorded.payload, "describe", None)
        text = describe() if callable(describe) else recorded.kind
        worded = event.occurred if event.occurred != recorded.occurred_on.isoformat() else None
        return [
            event_id,
            self.kinds.index(recorded.kind),
            recorded.occurred_on.isoformat(),
            recorded.reported_on.isoformat(),
            self.strings.index(event.source),
            text,
            int(event.unverified),
            event.note,
            worded,
            int(event_id in self.full_visible),
            [],
        ]

    def event_index(self, event_id: str) -> int | None:
        return self.event_rows.index(event_id) if event_id in self.by_id else None

    def _fact_row(self, key: tuple[str, Any]) -> list[Any]:
        path, fact = key
        projector, *rest = path.split(".")
        data = state_converter.unstructure(fact)
        place, located = places.locate(projector, tuple(rest), data)
        cited = [index for index in map(self.event_index, fact.event_ids) if index is not None]
        return [
            self.paths.index(path),
            fact.describe(),
            cited,
            int(_unverified(data)),
            panels.panel_data(projector, fact, self.strings.index, self.event_index),
            [located.latitude, located.longitude, located.source] if located else None,
            place,
        ]

    def fact_index(self, path: str, fact: Any) -> int:
        return self.fact_rows.index((path, fact))

    # -- the report -----------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        bounds = self.timeline.bounds()
        if bounds.first_day is None or bounds.last_day is None:
            raise BadInput("the log has no events: nothing to report")
        if self.options.first and self.options.last and self.options.first > self.options.last:
            raise BadInput(f"--from {self.options.first.isoformat()} is after --to {self.options.last.isoformat()}")
        first = self.options.first or bounds.first_day
        last = self.options.last or bounds.last_day
        full_days = list(self.timeline.days())
        shown = [summary for summary in full_days if first <= summary.date <= last]
        if not shown:
            raise BadInput(
                f"no day from {first.isoformat()} to {last.isoformat()} is in the log "
                f"(it runs from {bounds.first_day.isoformat()} to {bounds.last_day.isoformat()})"
            )
        for summary in full_days:
            self.full_visible.update(recorded.event_id for recorded in summary.events)
        before = [summary for summary in full_days if summary.date < shown[0].date]
        baseline_date = shown[0].date - dt.timedelta(days=1)
        positions = [baseline_date, *(summary.date for summary in shown)]

        days: list[list[Any]] = [[baseline_date.isoformat(), None, [], self._baseline(before)]]
        by_day = self._events_by_day(shown[0].date, shown[-1].date)
        for summary in shown:
            changes = [
                [
                    self.paths.index(change.path),
                    -1 if change.after is None else self.fact_index(change.path, change.after),
                ]
                for change in summary.changes
            ]
            events = [self.event_rows.index(recorded.event_id) for recorded in by_day.get(summary.date, ())]
            days.append([summary.date.isoformat(), summary.day, events, changes])

        known = self._known(positions)
        self._made_public_from(shown[0].date, shown[-1].date)
        retractions = self._retraction_links(shown[0].date)
        control = polygons.control_layer(self.fact_rows, self.timeline.polygon)
        return {
            "format": FORMAT_VERSION,
            "title": self.options.title,
            "log": self.options.log_name,
            "events_in_log": len(self.events),
            "bounds": {
                "first": bounds.first_day.isoformat(),
                "last": bounds.last_day.isoformat(),
                "last_reported": bounds.last_reported.isoformat() if bounds.last_reported else None,
                "day_one": bounds.day_one.isoformat() if bounds.day_one else None,
            },
            "range": {"from": shown[0].date.isoformat(), "to": shown[-1].date.isoformat()},
            "projectors": self._projectors(),
            "days": days,
            "known": known,
            "knowledge_days": [day.isoformat() for day in sorted({e.reported_on for e in self.events})],
            "retractions": retractions,
            "series": self._series(shown[0].date, shown[-1].date),
            "reference_places": places.reference_places(),
            "control_polygons": control,
            "geography": self._geography(control),
            # Tables last: everything above interns into them.
            "facts": self.fact_rows.rows,
            "events": self.event_rows.rows,
            "paths": self.paths.rows,
            "kinds": self.kinds.rows,
            "strings": self.strings.rows,
        }

    def _baseline(self, before: Sequence[DaySummary]) -> list[list[int]]:
        state: dict[str, Any] = {}
        for summary in before:
            for change in summary.changes:
                if change.after is None:
                    state.pop(change.path, None)
                else:
                    state[change.path] = change.after
        return [[self.paths.index(path), self.fact_index(path, fact)] for path, fact in sorted(state.items())]

    def _events_by_day(self, first: dt.date, last: dt.date) -> dict[dt.date, list[RecordedEvent]]:
        """Every event that occurred on each day shown, retracted ones included (the page decides)."""
        by_day: dict[dt.date, list[RecordedEvent]] = defaultdict(list)
        for recorded in self.events:  # seq order, which is fold order within a day
            if first <= recorded.occurred_on <= last:
                by_day[recorded.occurred_on].append(recorded)
        return by_day

    def _known(self, positions: list[dt.date]) -> dict[str, Any]:
        spans = knowledge.differing_days(self.events)
        fold = knowledge.FullFold(self.timeline, self.events)
        cache: dict[int, dict[str, Any]] = {}

        def full_facts(position: int) -> dict[str, Any]:
            if position not in cache:
                cache[position] = knowledge.facts_of(fold.states_on(positions[position]), positions[position])
            return cache[position]

        targets = set(knowledge.retraction_targets(self.events).values())
        relevant = set(knowledge.relevant_days(self.events))
        known: dict[str, Any] = {}
        for known_on in knowledge.knowledge_days(self.events):
            if known_on in relevant:
                since = min(start for start, end in spans if start <= known_on <= end)
            elif known_on < positions[0]:
                # Before the window: the baseline shows state(K, K), which is the full state of K.
                since = known_on + dt.timedelta(days=1)
            else:
                continue
            found = knowledge.known_on_pass(
                self.timeline, fold, known_on, since, positions, full_facts, self.paths.index, self.fact_index
            )
            if found is not None:
                known[known_on.isoformat()] = [found.start, found.deltas]
            self._visibility_exceptions(known_on, targets, positions[-1])
        return known

    def _visibility_exceptions(self, known_on: dt.date, targets: set[str], last: dt.date) -> None:
        """Mark retraction targets whose visibility on K is not the page's default rule
        (made public by K, and not withdrawn in the full-knowledge log)."""
        hidden = knowledge.hidden_on(self.timeline, known_on)
        for event_id in targets:
            recorded = self.by_id.get(event_id)
            if recorded is None or recorded.reported_on > known_on or recorded.occurred_on > min(known_on, last):
                continue
            if (event_id not in hidden) != (event_id in self.full_visible):
                self.event_rows.rows[self.event_rows.index(event_id)][-1].append(known_on.isoformat())

    def _made_public_from(self, first: dt.date, last: dt.date) -> None:
        """Embed every event made public from the first day shown on that occurred by the last: what
        such a knowledge day added about a day shown may have occurred before the window (a backfill)."""
        for recorded in self.events:
            if recorded.reported_on >= first and recorded.occurred_on <= last:
                self.event_rows.index(recorded.event_id)

    def _retraction_links(self, first: dt.date) -> list[list[int]]:
        """[retraction, target] for each retraction made public from `first` on and down its chain,
        whatever day they occurred: a retraction acts on every day."""
        targets = knowledge.retraction_targets(self.events)
        links: dict[str, str] = {}
        for recorded in self.events:
            if recorded.event_id not in targets or recorded.reported_on < first:
                continue
            acting = recorded.event_id
            for member in knowledge.chain(targets, acting):
                if member in self.by_id:
                    links[acting] = member
                acting = member
        return [
            [self.event_rows.index(retraction), self.event_rows.index(target)] for retraction, target in links.items()
        ]

    def _geography(self, control: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The base geography around everything the map can draw: the gazetteer's places, each
        fact's, and the mapped areas' polygons (the page's frame shows them whole)."""
        located = [(place[4], place[3]) for place in places.reference_places()]
        located += [(row[5][1], row[5][0]) for row in self.fact_rows.rows if row[5]]
        for shape in (control or {}).get("shapes", {}).values():
            located += [(point[0], point[1]) for polygon in shape for point in polygon[0]]
        return basemap.for_places(located)

    def _projectors(self) -> list[str]:
        """Every registered projector, in the order snapshots show them (facts or not)."""
        registered = [projector.name for projector in PROJECTORS]
        seen = dict.fromkeys(path.split(".")[0] for path in self.paths.rows)
        return [*registered, *(name for name in seen if name not in registered)]

    def _series(self, first: dt.date, last: dt.date) -> dict[str, Any]:
        charts: dict[str, Any] = {
            chart.name: {"title": chart.title, "unit": chart.unit, "points": []} for chart in series.SERIES
        }
        for recorded in self.events:
            if not first <= recorded.occurred_on <= last:
                continue
            found = series.point(recorded)
            if found is None:
                continue
            chart, group, figure = found
            charts[chart.name]["points"].append([self.event_rows.index(recorded.event_id), group, *figure])
        return charts


def build_data(timeline: Timeline, options: ReportOptions | None = None) -> dict[str, Any]:
    return ReportBuilder(timeline, options or ReportOptions()).build()
