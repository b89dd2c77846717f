"""Text and JSON for people and machines. Formatting only: no queries, no decisions."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from events.codec import event_to_record, state_converter
from events.envelope import DatePrecision, RecordedEvent
from events.registry import kind_names
from timeline.api import DaySummary
from timeline.diff import AreaChange, Change, Diff
from timeline.facts import FactMap
from timeline.formats.acled_deleted import DeletionImportResult
from timeline.formats.acled_history import AcledImportResult
from timeline.integrity.verify import VerifyReport
from timeline.snapshot import Snapshot, nest
from timeline.store import AppendResult, CopyResult, safe_label
from timeline.store.signed import SignedHead

SUMMARY_WIDTH = 90


def counted(count: int, noun: str) -> str:
    """'1 change', '2 changes', '1,024 events'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


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


def flags(recorded: RecordedEvent) -> str:
    """' [in August 2024] [unverified]': a date coarser than a day, and a claim never confirmed."""
    event = recorded.event
    marks = [event.occurred] if event.date_precision is not DatePrecision.DAY else []
    if event.unverified:
        marks.append("unverified")
    return "".join(f" [{mark}]" for mark in marks)


def describe(recorded: RecordedEvent, width: int | None = None) -> str:
    """What the event says with its flags; shortened to `width`, the flags are kept whole."""
    text, marks = recorded.payload.describe(), flags(recorded)
    if width is not None:
        text = shorten(text, max(width - len(marks), 10))
    return text + marks


def log_lines(events: Iterable[RecordedEvent], seq_width: int = 5) -> Iterator[str]:
    """The log as a table, a line at a time: a million-event log is never held in memory.

    Column widths are fixed in advance (`seq_width` from the log's length, kinds from the
    registry) rather than measured over every row as a table library would.
    """
    kind_width = max(len(kind) for kind in kind_names())
    columns = ((seq_width, ">", "seq"), (10, "<", "occurred"), (10, "<", "reported"), (kind_width, "<", "kind"))

    def line(values: tuple[object, ...], what: str) -> str:
        cells = [f"{value!s:{align}{width}}" for (width, align, _), value in zip(columns, values, strict=True)]
        return "  ".join([*cells, what]).rstrip()

    empty = True
    for recorded in events:
        if empty:
            yield line(tuple(name for _, _, name in columns), "what")
            yield line(tuple("-" * width for width, _, _ in columns), "-" * SUMMARY_WIDTH)
            empty = False
        reported = "" if recorded.reported_on == recorded.occurred_on else recorded.reported_on.isoformat()
        yield line(
            (recorded.seq, recorded.occurred_on.isoformat(), reported, recorded.kind), describe(recorded, SUMMARY_WIDTH)
        )
    if empty:
        yield "(no events)"


def append_result(result: AppendResult, as_json: bool) -> str:
    if as_json:
        report: dict[str, Any] = {
            "appended": result.count,
            "unchanged": result.unchanged,
            "first_seq": result.first_seq,
            "head": result.head,
        }
        if result.appended:
            report["events"] = [recorded_to_json(recorded) for recorded in result.appended]
        return dumps(report)
    parts = [f"appended {result.count} event{'s' if result.count != 1 else ''}"]
    if result.unchanged:
        parts.append(f"{result.unchanged} already in the log, unchanged")
    return f"{'; '.join(parts)}; the log ends at seq {result.head}"


def _import_json(result: AcledImportResult | DeletionImportResult) -> str:
    append = result.append
    return dumps(
        {
            **attrs.asdict(result.counts),
            "appended": append.count,
            "first_seq": append.first_seq,
            "head": append.head,
            "known_from": result.known_from,
            "known_to": result.known_to,
            "read_as": result.read_as,
        }
    )


def _what_it_changed(result: AcledImportResult | DeletionImportResult) -> str:
    """The command that shows what an import changed, on a line of its own ('' if nothing)."""
    if not (result.known_from and result.known_to):
        return ""
    before = (dt.date.fromisoformat(result.known_from) - dt.timedelta(days=1)).isoformat()
    return f"\nwhat it changed: timeline learned {before} {result.known_to}"


def acled_import_result(result: AcledImportResult, as_json: bool) -> str:
    counts, append = result.counts, result.append
    if as_json:
        return _import_json(result)
    parts = [f"{counts.new:,} new", f"{counts.updated:,} updated", f"{counts.removed:,} removed"]
    parts.append(f"{counts.unchanged:,} unchanged")
    extras = {"restored": counts.restored, "older than the log's version, left alone": counts.older}
    extras["repeated in the file, read once"] = counts.repeated
    parts.extend(f"{count:,} {label}" for label, count in extras.items() if count)
    appended = f"appended {append.count:,} event{'s' if append.count != 1 else ''}"
    text = f"{counted(counts.rows, 'row')}: {', '.join(parts)}; {appended}; the log ends at seq {append.head}"
    if result.read_as:
        text = f"{result.read_as}\n{text}"
    return text + _what_it_changed(result)


def deletion_import_result(result: DeletionImportResult, as_json: bool) -> str:
    counts, append = result.counts, result.append
    if as_json:
        return _import_json(result)
    labels = {
        "already withdrawn": counts.already_withdrawn,
        "not in the log": counts.unknown,
        "older than the log's version, left alone": counts.older,
        "repeated in the list, read once": counts.repeated,
    }
    parts = [f"{counts.deleted:,} deleted", *(f"{count:,} {label}" for label, count in labels.items() if count)]
    appended = f"appended {append.count:,} retraction{'s' if append.count != 1 else ''}"
    text = f"{result.read_as}\n{counts.rows:,} deletions: {', '.join(parts)}; {appended}; the log ends at seq {append.head}"
    return text + _what_it_changed(result)


def verify_report(report: VerifyReport, as_json: bool) -> str:
    """`ok: ...` naming what was read, or one `FAILED: ...` line per finding, the first bad seq first."""
    if as_json:
        data: dict[str, Any] = {
            "ok": report.ok,
            "events": report.events,
            "head_hash": report.head_hash,
            "first_bad_seq": report.first_bad_seq,
            "problem": report.problem,
            "findings": [{"seq": finding.seq, "problem": finding.problem} for finding in report.findings],
            "more_bad_rows": report.more_bad_rows,
            "checked": report.checked,
            "content_checked_from": report.quick_from or 1,
        }
        if report.trusted_key is not None:
            data.update(trusted_key=report.trusted_key, signed_seq=report.signed_seq, signed_at=report.signed_at)
        return dumps(data)
    if report.ok:
        text = f"ok: {report.events} events; head hash {report.head_hash}\nchecked: {'; '.join(report.checked)}"
        if report.quick_from is not None and report.quick_from > 1:
            text += (
                f"\n(quick: seq 1 to {report.quick_from - 1} were not re-hashed, an earlier check found them "
                "intact; run without --quick to re-read them)"
            )
        if report.signed_seq is not None:
            unsigned = report.events - report.signed_seq
            text += (
                f"\nsigned by key {report.trusted_key}: the log holds every signed head; the last signs seq "
                f"{report.signed_seq} ({report.signed_at})"
                + (f"; {unsigned} event{'s' if unsigned != 1 else ''} after it not yet signed" if unsigned else "")
            )
        return text
    ordered = sorted(report.findings, key=lambda finding: (finding.seq is None, finding.seq or 0))
    lines = [
        f"FAILED: {f'seq {finding.seq}: ' if finding.seq is not None else ''}{finding.problem}" for finding in ordered
    ]
    if report.more_bad_rows:
        lines.append(f"FAILED: {report.more_bad_rows} more event{'s' if report.more_bad_rows != 1 else ''} do not hold")
    if report.trusted_key is not None and report.signed_seq is not None:
        lines.append(f"(the log holds the heads signed by key {report.trusted_key} up to seq {report.signed_seq})")
    return "\n".join(lines)


def signed_head(signed: SignedHead, as_json: bool) -> str:
    if as_json:
        return dumps({**signed.to_json(), "key_id": signed.key_id})
    return f"signed seq {signed.seq} (hash {signed.hash}) with key {signed.key_id} at {signed.signed_at}"


def copy_result(result: CopyResult, source: str, destination: str, as_json: bool) -> str:
    if as_json:
        return dumps(attrs.asdict(result))
    parts = [
        f"copied {result.copied} event{'s' if result.copied != 1 else ''} from {source} to {safe_label(destination)}"
    ]
    if result.already_there:
        parts.append(f"{result.already_there} already there")
    if result.signed_heads:
        parts.append(f"{result.signed_heads} signed head{'s' if result.signed_heads != 1 else ''}")
    return f"{'; '.join(parts)}; head seq {result.head}, hash {result.head_hash}"


# -- snapshots, diffs, days ------------------------------------------------------------------


def _day_label(day: int | None) -> str:
    return f" (day {day})" if day is not None else ""


def _knowledge(known_on: Any) -> str:
    return f"known on {known_on.isoformat()}" if known_on else "everything known"


def state_json_chunks(snapshot: Snapshot) -> Iterator[str]:
    """`dumps(snapshot.to_json())` in lines, each fact decoded as it is written and let go: the
    state of a million-row ACLED log (6,000 facts) took 199 MB as one object."""
    fields = snapshot.json_head()
    for name, facts in snapshot.projector_facts().items():
        fields[name] = nest(facts, leaf=_read_when_written)
    yield from json_chunks(fields)


def _read_when_written(facts: FactMap, key: tuple[str, ...]) -> Deferred:
    return Deferred(lambda: state_converter.unstructure(facts.read(key)))


def state_text(snapshot: Snapshot) -> str:
    lines = [
        f"State as of {snapshot.as_of.isoformat()}{_day_label(snapshot.day)}, "
        f"{_knowledge(snapshot.known_on)}: {snapshot.events_applied:,} events applied"
    ]
    for name, facts in snapshot.projector_facts().items():
        lines.append("")
        lines.append(name.upper())
        if not facts:
            lines.append("  (nothing yet)")
        elif name == "incidents":
            lines.extend(incident_lines(facts))
        else:
            for key in sorted(facts):
                lines.append("  " + facts.read(key).describe())
    return "\n".join(lines)


# A conflict dataset has thousands of locations: text shows each region and its busiest places.
LOCATIONS_PER_REGION = 5


def incident_lines(facts: FactMap) -> Iterator[str]:
    """Each admin1 region, then its locations with the most incidents; `--json` has every one."""
    # A dataset tallied apart starts its keys with its name: (dataset, "admin1", region). Each
    # region's tallies come together, the plain ones first, each with its own locations.
    # Each place is read for its count and let go (`FactMap.read`), and the busiest read again to
    # print: keeping 6,000 decoded tallies of a million-row ACLED log cost most of `state`'s memory.
    locations: dict[tuple[str, str], list[tuple[int, str, tuple[str, ...]]]] = {}
    regions: list[tuple[str, str, tuple[str, ...]]] = []
    for key in facts:
        dataset, level, rest = ("", key[0], key[1:]) if key[0] in ("admin1", "location") else (key[0], key[1], key[2:])
        if level == "location":
            place = facts.read(key)
            locations.setdefault((rest[0], dataset), []).append((-place.incidents, place.place, key))
        elif level == "admin1":
            regions.append((rest[0], dataset, key))
    for region, dataset, key in sorted(regions):
        yield "  " + facts.read(key).describe()
        places = sorted(locations.get((region, dataset), []))
        for _, _, place_key in places[:LOCATIONS_PER_REGION]:
            yield "    " + facts.read(place_key).describe()
        if len(places) > LOCATIONS_PER_REGION:
            yield f"    ... and {len(places) - LOCATIONS_PER_REGION:,} more locations (all of them in --json)"


# Without --all-events, a diff lists this many of the events in between (text) and this many in
# JSON, with their count: a diff across months stays readable, and answers in a fraction of a second.
EVENTS_SHOWN = 20
EVENTS_IN_JSON = 100
CAUSES_SHOWN = 5  # a change names this many of its events in the table (JSON names them all)


def _diff_fields(diff: Diff, events: Iterable[RecordedEvent]) -> dict[str, Any]:
    return {
        "from": diff.before.as_of.isoformat(),
        "to": diff.after.as_of.isoformat(),
        "known_on": diff.after.known_on.isoformat() if diff.after.known_on else None,
        "changes": Streamed(change.to_json() for change in diff.changes),
        # Only when a map changed: what each gained and lost, measured.
        **({"area_changes": [area.to_json() for area in diff.areas]} if diff.areas else {}),
        "events_total": len(diff.events),
        "events": Streamed(recorded_to_json(recorded) for recorded in events),
    }


def diff_json(diff: Diff) -> dict[str, Any]:
    """The diff as one JSON object, every event in it."""
    return materialized(_diff_fields(diff, diff.events))


def change_line(change: Change) -> str:
    if change.before is None:
        return f"+ {change.path}: {change.after.describe()}"
    if change.after is None:
        return f"- {change.path}: gone (was {change.before.describe()})"
    return f"~ {change.path}: {change.after.describe()}\n      was: {change.before.describe()}"


def area_lines(changes: Iterable[Change], areas: Iterable[AreaChange]) -> Iterator[str]:
    """Each change's lines, with what a changed map gained and lost under it."""
    by_path = {area.path: area for area in areas}
    for change in changes:
        yield "  " + change_line(change)
        if change.path in by_path:
            yield "      " + by_path[change.path].describe()
        yield causes_line(change)


def causes_line(change: Change) -> str:
    shown = change.event_ids[:CAUSES_SHOWN]
    more = len(change.event_ids) - len(shown)
    return f"      because: {', '.join(shown)}" + (f" (and {more:,} more)" if more else "")


def diff_lines(diff: Diff, *, all_events: bool = False) -> Iterator[str]:
    """The diff for people, a line at a time: the changes, then the events in between (the first
    EVENTS_SHOWN of them, or every one with `all_events`, read from the log as they are printed)."""
    before, after = diff.before, diff.after
    count = len(diff.events)
    yield (
        f"From {before.as_of.isoformat()}{_day_label(before.day)} to {after.as_of.isoformat()}{_day_label(after.day)}, "
        f"{_knowledge(after.known_on)}: {counted(len(diff.changes), 'change')}, {counted(count, 'event')}"
    )
    yield from area_lines(diff.changes, diff.areas)
    if count:
        yield ""
        yield "Events:"
        shown = diff.events if all_events else itertools.islice(diff.events, EVENTS_SHOWN)
        for recorded in shown:
            yield f"  {recorded.occurred_on.isoformat()}  {recorded.event_id}  {describe(recorded, 80)}"
        if not all_events and count > EVENTS_SHOWN:
            yield f"  ... and {count - EVENTS_SHOWN:,} more (--all-events lists them all)"


def diff_text(diff: Diff) -> str:
    return "\n".join(diff_lines(diff))


def diff_json_chunks(diff: Diff, *, all_events: bool = False) -> Iterator[str]:
    """`dumps(diff_json(diff))` in pieces, one per change and per event, so neither its changes'
    JSON nor its events are ever all in memory (a diff of every place of a million-row ACLED log
    held 350 MB); the first EVENTS_IN_JSON events only, unless `all_events` (`events_total`
    counts them all)."""
    events = diff.events if all_events else itertools.islice(diff.events, EVENTS_IN_JSON)
    yield from json_chunks(_diff_fields(diff, events))


class Streamed:
    """A JSON array that `json_chunks` writes an item at a time, each item made as it is written."""

    def __init__(self, items: Iterable[Any]):
        self.items = items


class Deferred:
    """A JSON value that `json_chunks` makes only when it writes it, and lets go after."""

    def __init__(self, make: Callable[[], Any]):
        self.make = make


def materialized(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields with each `Streamed` array made a list: what `json_chunks` writes, as one value."""
    return {name: list(value.items) if isinstance(value, Streamed) else value for name, value in fields.items()}


def json_chunks(fields: dict[str, Any]) -> Iterator[str]:
    """`dumps(fields)` in lines, each `Streamed` array an item at a time and each `Deferred` value
    made as it is written: the same text as one dump."""
    if not fields:
        yield "{}"
        return
    yield "{"
    yield from _members(fields, 1)
    yield "}"


def _members(fields: dict[str, Any], depth: int) -> Iterator[str]:
    """The members of a JSON object at `depth`, indented as `dumps` indents them: a dict of the
    fields is walked into (it may hold `Streamed` or `Deferred` values), any other value dumped."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    last = len(fields) - 1
    for position, (name, value) in enumerate(fields.items()):
        comma = "," if position < last else ""
        key = f"{pad}{dumps(name)}: "
        if isinstance(value, Deferred):  # made now and dumped whole, as any value that is not ours
            yield key + dumps(value.make()).replace("\n", "\n" + pad) + comma
        elif isinstance(value, dict) and value:
            yield key + "{"
            yield from _members(value, depth + 1)
            yield f"{pad}}}{comma}"
        elif isinstance(value, Streamed):
            pending: str | None = None
            for item in value.items:
                yield key + "[" if pending is None else pending + ","
                pending = inner + dumps(item).replace("\n", "\n" + inner)
            if pending is None:
                yield key + "[]" + comma
            else:
                yield pending
                yield f"{pad}]{comma}"
        else:
            yield key + dumps(value).replace("\n", "\n" + pad) + comma


def days_json(days: Iterable[DaySummary]) -> list[dict[str, Any]]:
    return [
        {
            "day": summary.day,
            "date": summary.date.isoformat(),
            "events": list(summary.event_ids),
            "changes": list(summary.changed),
        }
        for summary in days
    ]


def days_json_chunks(days: Iterable[DaySummary]) -> Iterator[str]:
    """`dumps(days_json(days))` a day at a time: a day's event ids are read when it is printed."""
    pending: str | None = None
    for item in days:
        if pending is None:
            yield "["
        else:
            yield pending + ","
        pending = "  " + dumps(days_json([item])[0]).replace("\n", "\n  ")
    if pending is None:
        yield "[]"
    else:
        yield pending
        yield "]"


def days_table(days: Iterable[DaySummary]) -> str:
    rows = [
        (
            summary.day,
            summary.date.isoformat(),
            summary.event_count,
            shorten(", ".join(summary.changed) or "-", 100),
        )
        for summary in days
    ]
    if not rows:
        return "(no events)"
    from tabulate import tabulate  # imported by the one table that uses it: it costs 20 ms of every start-up

    return tabulate(rows, headers=("day", "date", "events", "changed"), tablefmt="simple")


def why_json(path: str, fact: Any, events: list[RecordedEvent]) -> dict[str, Any]:
    return {
        "path": path,
        "fact": state_converter.unstructure(fact),
        "events": [recorded_to_json(recorded) for recorded in events],
    }


def why_text(path: str, fact: Any, events: list[RecordedEvent]) -> str:
    lines = [f"{path}: {fact.describe()}", "", "because of:"]
    polygon = getattr(fact, "polygon_event", None)  # a mapped area: the event whose polygon was measured
    if isinstance(polygon, str):
        lines[1:1] = [f"polygon: event {polygon} carries the coordinates measured"]
    counted = getattr(fact, "incidents", None)
    if isinstance(counted, int) and counted > len(fact.event_ids):
        lines[-1] = (
            f"because of (the {len(fact.event_ids)} most recent of {counted:,} incidents; "
            "`timeline log --kind incident.reported` lists them all):"
        )
    for recorded in events:
        reported = (
            f", reported {recorded.reported_on.isoformat()}" if recorded.reported_on != recorded.occurred_on else ""
        )
        lines.append(
            f"  seq {recorded.seq}  {recorded.occurred_on.isoformat()}{reported}  {recorded.kind}  {recorded.event_id}"
        )
        lines.append(f"      {describe(recorded)}")
        lines.append(f"      source: {recorded.event.source}")
        if recorded.event.note:
            lines.append(f"      note: {recorded.event.note}")
    return "\n".join(lines)
