"""Text and JSON for people and machines. Formatting only: no queries, no decisions."""

from __future__ import annotations

import json
from typing import Any, Iterable

from tabulate import tabulate

from events.codec import event_to_record
from events.envelope import RecordedEvent
from timeline.store import AppendResult, VerifyReport

SUMMARY_WIDTH = 90


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def recorded_to_json(recorded: RecordedEvent) -> dict[str, Any]:
    return {
        "seq": recorded.seq,
        **event_to_record(recorded.event),
        "recorded_at": recorded.recorded_at,
        "prev_hash": recorded.prev_hash,
        "hash": recorded.hash,
    }


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(recorded: RecordedEvent) -> str:
    flag = " [unverified]" if recorded.event.unverified else ""
    return recorded.payload.describe() + flag


def log_table(events: Iterable[RecordedEvent]) -> str:
    rows = [
        (
            recorded.seq,
            recorded.occurred_on.isoformat(),
            "" if recorded.reported_on == recorded.occurred_on else recorded.reported_on.isoformat(),
            recorded.kind,
            shorten(describe(recorded)),
        )
        for recorded in events
    ]
    if not rows:
        return "(no events)"
    return tabulate(rows, headers=("seq", "occurred", "reported", "kind", "what"), tablefmt="simple")


def append_result(result: AppendResult, as_json: bool) -> str:
    if as_json:
        return dumps(
            {
                "appended": [recorded_to_json(recorded) for recorded in result.appended],
                "unchanged": result.unchanged,
                "head": result.head,
            }
        )
    appended = len(result.appended)
    parts = [f"appended {appended} event{'s' if appended != 1 else ''}"]
    if result.unchanged:
        parts.append(f"{result.unchanged} already in the log, unchanged")
    return f"{'; '.join(parts)}; the log ends at seq {result.head}"


def verify_report(report: VerifyReport, as_json: bool) -> str:
    if as_json:
        return dumps(
            {
                "ok": report.ok,
                "events": report.events,
                "head_hash": report.head_hash,
                "first_bad_seq": report.first_bad_seq,
                "problem": report.problem,
            }
        )
    if report.ok:
        return f"ok: {report.events} events, hash chain intact; head hash {report.head_hash}"
    where = f"seq {report.first_bad_seq}: " if report.first_bad_seq is not None else ""
    return f"FAILED: {where}{report.problem}"
