"""The `timeline` command: parses, calls the Python API, prints. No logic of its own.

Exit codes: 0 success, 1 a check failed (verify), 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from events.registry import kind_names
from events.validation import parse_day
from timeline import render
from timeline.api import Timeline
from timeline.errors import BadEvent, BadInput, ReadOnlyTimeline, TimelineError
from timeline.jsonl import parse_record


class Day(click.ParamType):
    """A calendar day as YYYY-MM-DD; '2024-02-30' is refused, not rolled over."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        try:
            return parse_day(value, "date")
        except ValueError as exc:
            self.fail(str(exc).removeprefix("date "), param, ctx)


DAY = Day()


class TimelineGroup(click.Group):
    """Turns every engine error into one line on stderr and its exit code; no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TimelineError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()  # the reader (e.g. `head`) went away; that is not an error
            ctx.exit(0)


db_option = click.option(
    "--db",
    "db",
    envvar="TIMELINE_DB",
    type=click.Path(dir_okay=True),
    help="The timeline database (default: $TIMELINE_DB; read commands fall back to the bundled Kursk log).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of a table.")


def open_for_reading(db: str | None) -> Timeline:
    return Timeline.open(db, read_only=True) if db else Timeline.bundled()


def open_for_writing(db: str | None) -> Timeline:
    if not db:
        raise ReadOnlyTimeline("the bundled Kursk log is read-only: name a database with --db (or TIMELINE_DB)")
    return Timeline.open(db)


@click.group(cls=TimelineGroup)
@click.version_option(package_name="timeline-engine")
def cli() -> None:
    """An event-sourced timeline: record sourced reports, ask what was true on any day."""


@cli.command()
@click.option("--db", "db", envvar="TIMELINE_DB", required=True, type=click.Path(dir_okay=True), help="Where to create the log.")
def init(db: str) -> None:
    """Create an empty timeline database (an existing one is left as it is)."""
    with Timeline.init(db) as timeline:
        count = len(timeline)
    click.echo(f"{db}: timeline ready ({count} events)")


@cli.command()
@click.argument("kind")
@db_option
@click.option("--on", "occurred_on", type=DAY, required=True, help="The day it happened (for a claim: the day it was made).")
@click.option("--reported-on", type=DAY, help="The day it became public (default: --on).")
@click.option("--source", required=True, help="Who reported it.")
@click.option("--data", "data_json", required=True, help="The kind's fields as a JSON object.")
@click.option("--id", "event_id", help="A stable event id (default: a new UUID).")
@click.option("--unverified", is_flag=True, help="Mark a claim that was not independently confirmed.")
@click.option("--note", help="A short caveat or detail.")
@click.option("--expect-head", type=int, help="Fail unless the log still ends at this seq (optimistic concurrency).")
@json_option
def append(
    kind: str,
    db: str | None,
    occurred_on: dt.date,
    reported_on: dt.date | None,
    source: str,
    data_json: str,
    event_id: str | None,
    unverified: bool,
    note: str | None,
    expect_head: int | None,
    as_json: bool,
) -> None:
    """Append one event of KIND to the log."""
    try:
        data = parse_record(data_json)
    except ValueError as exc:
        raise BadEvent(str(exc), field="--data") from None
    record: dict[str, Any] = {"kind": kind, "occurred_on": occurred_on.isoformat(), "source": source, "data": data}
    optional = {"reported_on": reported_on and reported_on.isoformat(), "event_id": event_id, "note": note}
    record.update({name: value for name, value in optional.items() if value is not None})
    if unverified:
        record["unverified"] = True
    with open_for_writing(db) as timeline:
        result = timeline.append(record, expected_head=expect_head)
    click.echo(render.append_result(result, as_json))


@cli.command("import")
@click.argument("file", type=click.Path(allow_dash=True))
@db_option
@click.option("--expect-head", type=int, help="Fail unless the log still ends at this seq (optimistic concurrency).")
@json_option
def import_(file: str, db: str | None, expect_head: int | None, as_json: bool) -> None:
    """Append every event of a JSONL FILE ('-' reads stdin), all or nothing."""
    with open_for_writing(db) as timeline:
        if file == "-":
            result = timeline.import_jsonl(click.get_binary_stream("stdin"), name="<stdin>", expected_head=expect_head)
        else:
            result = timeline.import_jsonl(file, expected_head=expect_head)
    click.echo(render.append_result(result, as_json))


@cli.command()
@db_option
@click.option("--kind", help="Only events of this kind.")
@click.option("--from", "occurred_from", type=DAY, help="Only events that occurred on or after this day.")
@click.option("--to", "occurred_to", type=DAY, help="Only events that occurred on or before this day.")
@json_option
def log(db: str | None, kind: str | None, occurred_from: dt.date | None, occurred_to: dt.date | None, as_json: bool) -> None:
    """The log in append order (JSON: one object per line)."""
    if kind is not None and kind not in kind_names():
        raise BadInput(f"--kind: unknown kind {kind!r} (known: {', '.join(kind_names())})")
    with open_for_reading(db) as timeline:
        events = timeline.events(kind=kind, occurred_from=occurred_from, occurred_to=occurred_to)
        if as_json:
            for recorded in events:
                click.echo(json.dumps(render.recorded_to_json(recorded), ensure_ascii=False))
        else:
            click.echo(render.log_table(events))


@cli.command()
@db_option
@json_option
def verify(db: str | None, as_json: bool) -> None:
    """Check the hash chain and the append-only guards; exit 1 naming the first bad seq."""
    with open_for_reading(db) as timeline:
        report = timeline.verify()
    click.echo(render.verify_report(report, as_json), err=not report.ok and not as_json)
    if not report.ok:
        sys.exit(1)


def main() -> None:
    cli(prog_name="timeline")


if __name__ == "__main__":
    main()
