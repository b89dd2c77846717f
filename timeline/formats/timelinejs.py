"""The events of a snapshot as Knight Lab TimelineJS3 JSON, for newsroom timelines.

One slide per event: `start_date` at the event's precision (a month-precise event has no day),
`text.headline` (the event in a line, marked when unverified), `text.text` naming the source and
when it was reported, `group` the kind, `unique_id` the event id. TimelineJS renders `text` as
HTML, so every value from the log is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable
from typing import IO, Any

from events.envelope import DatePrecision, RecordedEvent
from timeline.formats import Exporter, Readable, register_exporter

UNVERIFIED_MARK = "[unverified] "


def _date(recorded: RecordedEvent) -> dict[str, Any]:
    day = recorded.occurred_on
    date: dict[str, Any] = {"year": day.year, "month": day.month}
    if recorded.event.date_precision is not DatePrecision.MONTH:
        date["day"] = day.day
    if recorded.event.date_precision is not DatePrecision.DAY:
        date["display_date"] = recorded.event.occurred
    return date


def slide(recorded: RecordedEvent) -> dict[str, Any]:
    event = recorded.event
    headline = event.payload.describe()
    if event.unverified:
        headline = UNVERIFIED_MARK + headline
    lines = [f"Source: {html.escape(event.source)}"]
    if event.reported_on != event.occurred_on:
        lines.append(f"Reported on {event.reported_on.isoformat()}")
    if event.unverified:
        lines.append("Unverified: the claim was never independently confirmed.")
    if event.note:
        lines.append(html.escape(event.note))
    notes = getattr(event.payload, "notes", None)
    if isinstance(notes, str):
        lines.append(html.escape(notes))
    lines.append(f"Event {html.escape(event.event_id)}")
    return {
        "start_date": _date(recorded),
        "text": {"headline": html.escape(headline), "text": "<p>" + "</p><p>".join(lines) + "</p>"},
        "group": event.kind,
        "unique_id": event.event_id,
        "autolink": False,
    }


def write(events: Iterable[RecordedEvent], title: str, description: str, stream: IO[str]) -> int:
    slides = [slide(recorded) for recorded in events]
    timeline = {
        "title": {"text": {"headline": html.escape(title), "text": f"<p>{html.escape(description)}</p>"}},
        "events": slides,
        "scale": "human",
    }
    json.dump(timeline, stream, ensure_ascii=False)
    stream.write("\n")
    return len(slides)


def _export(source: Readable, stream: IO[str], as_of: dt.date | None, known_on: dt.date | None) -> int:
    snapshot = f"as of {as_of or source.last_day()}" + (f", known on {known_on}" if known_on else "")
    title = f"{source.store.label}: the timeline {snapshot}"
    description = "Each event with its source; unverified claims are marked."
    return write(source.visible_events(as_of, known_on), title, description, stream)


register_exporter(Exporter("timelinejs", "events", _export))
