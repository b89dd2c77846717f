"""Shared by the report's tests: logs worth reporting on, and the page's state rule written in Python.

`state_from_data` applies the embedded data exactly as the page's script does (report.js,
Report.stateAt), so a test can hold every (day, known-on) answer of the data against
`Timeline.state` without a browser; the browser tests then hold the script against both.
`learned_from_data` does the same for the panel of what a knowledge day added (Report.learned)
against `Timeline.learned`.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any

import attrs

from events.envelope import RecordedEvent
from events.kinds import AreaBasis
from timeline.api import Timeline

HOSTILE = (
    '<script>window.__pwned = 1; alert("script")</script></script>'
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> javascript:alert(3) "
    "<!-- </style> & &amp; \"quotes\" 'apostrophes'"
)


def hostile_log(path: Path) -> Timeline:
    """A small log whose texts try every way out of the page: in a source, a summary, a note and a name."""
    timeline = Timeline.init(path)
    timeline.append(
        kind="border.crossed",
        occurred_on=dt.date(2024, 8, 6),
        source="Ministry",
        data={"force": "forces", "from_country": "Ukraine", "into_region": "Kursk Oblast", "near": ["Sudzha"]},
    )
    timeline.append(
        kind="statement.made",
        occurred_on=dt.date(2024, 8, 7),
        source=f"Source {HOSTILE}",
        note=f"Note {HOSTILE}",
        event_id="hostile-statement",
        data={"speaker": "Speaker </script><script>alert(4)</script>", "summary": f"Summary {HOSTILE}"},
    )
    timeline.append(
        kind="settlement.claimed",
        occurred_on=dt.date(2024, 8, 7),
        source="javascript:alert(5)",
        unverified=True,
        data={
            "settlement": "<img src=x onerror=alert(6)>",
            "region": "Kursk Oblast",
            "status": "controlled",
            "claimant": "<b>Claimant</b>",
            "controller": "<b>Claimant</b>",
        },
    )
    return timeline


def retracted_retraction_log(path: Path) -> Timeline:
    """Sudzha claimed by A (1 Aug); B's claim of the 2nd made public on the 6th (a backfill); A's
    claim retracted (r1, the 3rd) and that retraction retracted (r2, the 5th): A's claim is
    withdrawn known on the 3rd and restored known on the 5th."""
    timeline = Timeline.init(path)
    claim = {
        "settlement": "Sudzha",
        "region": "Kursk Oblast",
        "status": "controlled",
        "claimant": "A",
        "controller": "A",
    }
    timeline.append(kind="settlement.claimed", occurred_on="2024-08-01", source="A", event_id="a", data=claim)
    timeline.append(
        kind="settlement.claimed",
        occurred_on="2024-08-02",
        reported_on="2024-08-06",
        source="B",
        event_id="b",
        data={**claim, "claimant": "B", "status": "fighting", "controller": None},
    )
    retract = {"target_event_id": "a", "reason": "withdrawn"}
    timeline.append(kind="event.retracted", occurred_on="2024-08-03", source="A", event_id="r1", data=retract)
    timeline.append(
        kind="event.retracted",
        occurred_on="2024-08-05",
        source="A",
        event_id="r2",
        data={"target_event_id": "r1", "reason": "the withdrawal was a mistake"},
    )
    return timeline


def load_data(page: str) -> dict[str, Any]:
    """The data a report page embeds, decoded as the page decodes it."""
    match = re.search(r'<script type="application/json" id="timeline-data"([^>]*)>(.*?)</script>', page, re.S)
    assert match is not None
    attributes, text = match.groups()
    if 'data-encoding="gzip+base64"' in attributes:
        return json.loads(gzip.decompress(base64.b64decode(json.loads(text))))
    return json.loads(text)


def effective_known(data: dict[str, Any], known: str | None) -> str | None:
    days = data["knowledge_days"]
    if known is None or known >= days[-1]:
        return None
    position = bisect.bisect_right(days, known)
    return days[position - 1] if position else ""


def state_indices(data: dict[str, Any], date: str, known: str | None) -> dict[int, int]:
    """{path index: fact index} on `date`, known on `known` (already effective), as Report.stateAt."""
    if known == "":
        return {}
    dates = [day[0] for day in data["days"]]
    target = date if known is None else min(date, known)
    position = max(0, bisect.bisect_right(dates, target) - 1)
    state: dict[int, int] = {}
    for day in data["days"][: position + 1]:
        for path, fact in day[3]:
            if fact == -1:
                state.pop(path, None)
            else:
                state[path] = fact
    if known is not None and known in data["known"]:
        start, deltas = data["known"][known]
        overrides: dict[int, int] = {}
        for delta in deltas[: max(0, position - start + 1)]:
            for path, fact in delta:
                if fact == -2:
                    overrides.pop(path, None)
                else:
                    overrides[path] = fact
        for path, fact in overrides.items():
            if fact == -1:
                state.pop(path, None)
            else:
                state[path] = fact
    return state


def state_from_data(data: dict[str, Any], date: str, known: str | None = None) -> dict[str, str]:
    """{path: describe()} on `date`, known on `known` (None: everything), rebuilt from the data alone."""
    state = state_indices(data, date, effective_known(data, known))
    return {data["paths"][path]: data["facts"][fact][1] for path, fact in state.items()}


def visible_on(row: list[Any], known: str | None) -> bool:
    """Report.visibleOn: whether an event row is folded known on `known` (already effective)."""
    if known is None:
        return bool(row[9])
    if known == "" or row[3] > known:
        return False
    return (not row[9]) if known in row[10] else bool(row[9])


def day_before(date: str) -> str:
    return (dt.date.fromisoformat(date) - dt.timedelta(days=1)).isoformat()


@attrs.frozen
class LearnedView:
    """What a knowledge day added about a day, in terms both the data and `Timeline.learned` give."""

    events: dict[str, str]  # event id -> how: reported, withdrawn or restored
    changes: dict[str, tuple[str | None, str | None, tuple[str, ...]]]  # path -> (before, after, event ids)


def learned_from_data(data: dict[str, Any], date: str, known: str) -> LearnedView:
    """Report.learned: what was made public on `known` about `date`, from the data alone."""
    then, now = effective_known(data, day_before(known)), effective_known(data, known)
    rows, targets = data["events"], dict(data["retractions"])
    made_public = [index for index, row in enumerate(rows) if row[3] == known]
    found = {index: "reported" for index in made_public if rows[index][2] <= date}
    for index in made_public:
        changed, member, seen = False, targets.get(index), set()
        while member is not None and member not in seen:
            seen.add(member)
            row = rows[member]
            if row[2] <= date and row[3] < known and visible_on(row, then) != visible_on(row, now):
                found[member] = "restored" if visible_on(row, now) else "withdrawn"
                changed = True
            member = targets.get(member)
        if changed:
            found.setdefault(index, "reported")
    before, after = state_indices(data, date, then), state_indices(data, date, now)
    changes = {}
    for path in set(before) | set(after):
        old, new = before.get(path), after.get(path)
        if old != new:
            changes[data["paths"][path]] = (
                None if old is None else data["facts"][old][1],
                None if new is None else data["facts"][new][1],
                tuple(sorted(rows[event][0] for event in causes(data, old, new))),
            )
    return LearnedView({rows[index][0]: how for index, how in found.items()}, changes)


def causes(data: dict[str, Any], old: int | None, new: int | None) -> list[int]:
    """The events that made a change, as the page's change blocks cite them (and `timeline.diff`)."""
    if new is None:
        assert old is not None
        return list(data["facts"][old][2])
    known = set(data["facts"][old][2]) if old is not None else set()
    return [event for event in data["facts"][new][2] if event not in known] or list(data["facts"][new][2])


def learned_from_timeline(timeline: Timeline, date: str, known: str) -> LearnedView:
    day = dt.date.fromisoformat(known)
    found = timeline.learned(day - dt.timedelta(days=1), day, dt.date.fromisoformat(date))
    return LearnedView(
        {event.recorded.event_id: event.how for event in found.events},
        {
            change.path: (
                None if change.before is None else change.before.describe(),
                None if change.after is None else change.after.describe(),
                tuple(sorted(change.event_ids)),
            )
            for change in found.changes
        },
    )


def state_from_timeline(timeline: Timeline, date: str, known: str | None = None) -> dict[str, str]:
    snapshot = timeline.state(dt.date.fromisoformat(date), dt.date.fromisoformat(known) if known else None)
    return {path: fact.describe() for path, fact in snapshot.facts().items()}


def every_day(data: dict[str, Any]) -> list[str]:
    first, last = (dt.date.fromisoformat(data["range"][end]) for end in ("from", "to"))
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def area_totals(timeline: Timeline) -> list[RecordedEvent]:
    """The territory claims the area chart draws: every claimed total area."""
    return [
        recorded
        for recorded in timeline.events(kind="territory.claimed")
        if getattr(recorded.payload, "area_km2", None) is not None
        and getattr(recorded.payload, "basis", None) is AreaBasis.TOTAL
    ]
