"""The `timeline` command: parses, calls the Python API, prints. No logic of its own.

Exit codes: 0 success, 1 a check failed (verify), 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from events.envelope import DatePrecision
from timeline import __version__
from timeline.errors import BadArgument, BadEvent, BadInput, ReadOnlyTimeline, TimelineError
from timeline.formats import EXPORT_FORMATS, IMPORT_FORMATS

# The engine is imported inside the commands that use it, so `timeline --version` and `--help`
# start in a few tens of milliseconds.
if TYPE_CHECKING:
    from timeline.api import Timeline


# ParamType is generic from click 8.4 on; subscripting it would fail at run time on the 8.1 to 8.3 we support.
class Day(click.ParamType):  # type: ignore[type-arg]
    """A calendar day as YYYY-MM-DD; '2024-02-30' is refused, not rolled over."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        from events.validation import parse_day

        try:
            return parse_day(value, "date")
        except ValueError as exc:
            self.fail(str(exc).removeprefix("date "), param, ctx)


DAY = Day()
PROGRESS_BAR_BYTES = 4 << 20  # a file this large takes long enough to deserve a progress bar


# The API's argument names as this command's flags, for the errors that name them (BadArgument).
FLAGS = {
    "occurred_from": "--from",
    "occurred_to": "--to",
    "day": "--day",
    "as_of": "--as-of",
    "known_on": "--known-on",
    "db": "--db",
}

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
MAX_ERROR_CHARS = 500


def one_line(message: str) -> str:
    """An error quotes the input it refuses: keep that input from breaking the line or the terminal."""
    message = _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], message)
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 1] + "…"


class TimelineGroup(click.Group):
    """Turns every engine error into one line on stderr and its exit code; no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TimelineError as exc:
            message = exc.spelled(FLAGS) if isinstance(exc, BadArgument) else str(exc)
            click.echo(f"Error: {one_line(message)}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()  # the reader (e.g. `head`) went away; that is not an error
            ctx.exit(0)
        except Exception as exc:
            # A database that fails under a query (a damaged file, a server gone away) is named in
            # one line like any other error; anything else is a bug and keeps its traceback.
            if not _is_database_error(exc):
                raise
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            click.echo(f"Error: the database failed: {one_line(first_line)}", err=True)
            ctx.exit(2)


def _is_database_error(exc: Exception) -> bool:
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")  # loaded only if a PostgreSQL store was opened
    return psycopg is not None and isinstance(exc, psycopg.Error)


db_option = click.option(
    "--db",
    "db",
    envvar="TIMELINE_DB",
    type=click.Path(dir_okay=True),
    help="The timeline: an SQLite file or a postgresql:// URL (default: $TIMELINE_DB; read commands fall back "
    "to the bundled Kursk log).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of a table.")


def _named(db: str | None) -> str | None:
    if db is not None and not db.strip():
        raise BadInput("--db (or TIMELINE_DB) is empty: name a database file, or leave it out for the bundled log")
    return db


def echo_lines(lines: Iterator[str], batch_chars: int = 1 << 16) -> None:
    """Print lines as they come, about 64 KB per write (one write per line was a third of a long listing)."""
    pending: list[str] = []
    size = 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= batch_chars:
            click.echo("\n".join(pending))
            pending.clear()
            size = 0
    if pending:
        click.echo("\n".join(pending))


def open_for_reading(db: str | None) -> Timeline:
    from timeline.api import Timeline

    named = _named(db)
    return Timeline.open(named, read_only=True) if named else Timeline.bundled()


def open_for_writing(db: str | None) -> Timeline:
    from timeline.api import Timeline

    named = _named(db)
    if not named:
        raise ReadOnlyTimeline("the bundled Kursk log is read-only: name a database with --db (or TIMELINE_DB)")
    return Timeline.open(named)


@click.group(cls=TimelineGroup)
@click.version_option(version=__version__, prog_name="timeline")
def cli() -> None:
    """An event-sourced timeline: record sourced reports, ask what was true on any day."""


@cli.command()
@click.option(
    "--db", "db", envvar="TIMELINE_DB", required=True, type=click.Path(dir_okay=True), help="Where to create the log."
)
def init(db: str) -> None:
    """Create an empty timeline database (an existing one is left as it is)."""
    from timeline.api import Timeline

    with Timeline.init(db) as timeline:
        count = len(timeline)
        label = timeline.store.label  # a URL without its password
    click.echo(f"{label}: timeline ready ({count} events)")


@cli.command()
@click.argument("kind")
@db_option
@click.option(
    "--on", "occurred_on", type=DAY, required=True, help="The day it happened (for a claim: the day it was made)."
)
@click.option("--reported-on", type=DAY, help="The day it became public (default: --on).")
@click.option(
    "--date-precision",
    type=click.Choice([precision.value for precision in DatePrecision]),
    default=DatePrecision.DAY.value,
    show_default=True,
    help="How precisely the source dates it: a week or month folds on --on and is shown as 'in the week of ...'.",
)
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
    date_precision: str,
    source: str,
    data_json: str,
    event_id: str | None,
    unverified: bool,
    note: str | None,
    expect_head: int | None,
    as_json: bool,
) -> None:
    """Append one event of KIND to the log."""
    from timeline import render
    from timeline.formats.jsonl import parse_record

    try:
        data = parse_record(data_json)
    except ValueError as exc:
        raise BadEvent(str(exc), field="--data") from None
    record: dict[str, Any] = {"kind": kind, "occurred_on": occurred_on.isoformat(), "source": source, "data": data}
    optional = {"reported_on": reported_on and reported_on.isoformat(), "event_id": event_id, "note": note}
    record.update({name: value for name, value in optional.items() if value is not None})
    if unverified:
        record["unverified"] = True
    if date_precision != DatePrecision.DAY.value:
        record["date_precision"] = date_precision
    with open_for_writing(db) as timeline:
        result = timeline.append(record, expected_head=expect_head)
    click.echo(render.append_result(result, as_json))


@cli.command("import")
@click.argument("file", type=click.Path(allow_dash=True))
@db_option
@click.option(
    "--format",
    "format_",
    type=click.Choice(IMPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: the event format; acled: an ACLED CSV export (re-importing a newer one appends only what "
    "changed); cloudevents: CloudEvents 1.0 JSON, one event per line.",
)
@click.option("--expect-head", type=int, help="Fail unless the log still ends at this seq (optimistic concurrency).")
@json_option
def import_(file: str, db: str | None, format_: str, expect_head: int | None, as_json: bool) -> None:
    """Append every event of FILE ('-' reads stdin), all or nothing."""
    from timeline import render
    from timeline.formats.acled_history import AcledImportResult

    with open_for_writing(db) as timeline:
        if file == "-":
            result = timeline.import_file(sys.stdin.buffer, format_, name="<stdin>", expected_head=expect_head)
        elif sys.stderr.isatty() and os.path.isfile(file) and os.path.getsize(file) > PROGRESS_BAR_BYTES:
            with (
                open(file, "rb") as stream,
                click.progressbar(length=os.path.getsize(file), label="importing", file=sys.stderr) as bar,
            ):
                result = timeline.import_file(
                    stream,
                    format_,
                    name=file,
                    expected_head=expect_head,
                    progress=lambda _: bar.update(stream.tell() - bar.pos),
                )
        else:
            result = timeline.import_file(file, format_, expected_head=expect_head)
    if isinstance(result, AcledImportResult):
        click.echo(render.acled_import_result(result, as_json))
    else:
        click.echo(render.append_result(result, as_json))


@cli.command()
@click.option(
    "--db", "db", envvar="TIMELINE_DB", required=True, type=click.Path(dir_okay=True), help="The timeline database."
)
@click.option("--clear", is_flag=True, help="Only drop the checkpoints (queries then replay from the first event).")
def checkpoint(db: str, clear: bool) -> None:
    """Rebuild the cached snapshots that make `state` and `diff` fast: one per day with events."""
    with open_for_writing(db) as timeline:
        if clear:
            click.echo(f"dropped {timeline.checkpoints.clear()} checkpoints")
        else:
            click.echo(f"built {timeline.checkpoint()} checkpoints")


@cli.command()
@db_option
@click.option("--kind", help="Only events of this kind.")
@click.option("--from", "occurred_from", type=DAY, help="Only events that occurred on or after this day.")
@click.option("--to", "occurred_to", type=DAY, help="Only events that occurred on or before this day.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing events as others append them (Ctrl-C stops).")
@click.option("--max-events", type=click.IntRange(min=0), help="With --follow: stop after printing this many events.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    help="With --follow: stop when no event has arrived for this many seconds.",
)
@json_option
def log(
    db: str | None,
    kind: str | None,
    occurred_from: dt.date | None,
    occurred_to: dt.date | None,
    follow: bool,
    max_events: int | None,
    timeout: float | None,
    as_json: bool,
) -> None:
    """The log in append order (JSON: one object per line); with --follow, then each new event."""
    from events.registry import kind_names
    from timeline import render

    if kind is not None and kind not in kind_names():
        raise BadInput(f"--kind: unknown kind {kind!r} (known: {', '.join(kind_names())})")
    if not follow and (max_events is not None or timeout is not None):
        raise BadInput("--max-events and --timeout go with --follow")
    with open_for_reading(db) as timeline:
        if follow:
            events = timeline.follow(
                kind=kind,
                occurred_from=occurred_from,
                occurred_to=occurred_to,
                max_events=max_events,
                idle_timeout=timeout,
            )
        else:
            events = timeline.events(kind=kind, occurred_from=occurred_from, occurred_to=occurred_to)
        # A follower prints each event as it comes; a bounded listing a few hundred lines per write.
        echo = _echo_each if follow else echo_lines
        try:
            if as_json:
                echo(json.dumps(render.recorded_to_json(recorded), ensure_ascii=False) for recorded in events)
            else:
                echo(render.log_lines(events, seq_width=max(5, len(str(len(timeline))))))
        except KeyboardInterrupt:
            # Ctrl-C is how a follow ends: no traceback, the connections closed by the `with`.
            if not follow:
                raise
            sys.stdout.flush()


def _echo_each(lines: Iterator[str]) -> None:
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("export", required=False, type=click.Path(dir_okay=False))
@db_option
@click.option(
    "--trust",
    type=click.Path(dir_okay=False),
    help="A public key (PEM): also check every head it signed, and report the last signed position.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Re-hash only the events after the last intact check (the rest are read for their links only).",
)
@click.option("--full", is_flag=True, help="Also decode every event with this version (slower).")
@json_option
def verify(export: str | None, db: str | None, trust: str | None, quick: bool, full: bool, as_json: bool) -> None:
    """Read every event: its content against its hash, its link to the one before, the recorded
    head, the append-only triggers and the signed heads; exit 1 listing every finding.

    With EXPORT, check that exported file (a published copy) instead of a log."""
    from timeline import render
    from timeline.api import Timeline
    from timeline.integrity import signing

    public_key = signing.load_public_key(Path(trust)) if trust else None
    if export is not None:
        report = Timeline.verify_export(export, public_key)
    else:
        with open_for_reading(db) as timeline:
            report = timeline.verify(public_key, quick=quick, decode=full)
    click.echo(render.verify_report(report, as_json), err=not report.ok and not as_json)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to write the private key.")
def keygen(out: str) -> None:
    """Make an Ed25519 key pair: the private key at --out (readable by you only), the public key beside it (.pub)."""
    from timeline.integrity import signing

    public = signing.generate_key_pair(Path(out))
    click.echo(f"private key: {out} (keep it secret)\npublic key:  {public} (give it to your readers)")


@cli.command()
@db_option
@click.option("--key", required=True, type=click.Path(dir_okay=False), help="The private key (PEM) to sign with.")
@json_option
def sign(db: str | None, key: str, as_json: bool) -> None:
    """Sign the log's current head (seq, hash, time) and record the signature in the log."""
    from timeline import render
    from timeline.integrity import signing

    private_key = signing.load_private_key(Path(key))
    with open_for_writing(db) as timeline:
        signed = timeline.sign(private_key)
    click.echo(render.signed_head(signed, as_json))


@cli.command()
@click.argument("source")
@click.argument("destination")
@json_option
def copy(source: str, destination: str, as_json: bool) -> None:
    """Copy the whole log at SOURCE into DESTINATION (an SQLite file or a postgresql:// URL), keeping
    event ids, seqs, recording times, hashes and signed heads. A DESTINATION that holds the
    beginning of the log gets the rest."""
    from timeline import render
    from timeline.api import Timeline

    with Timeline.open(source, read_only=True) as timeline:
        result = timeline.copy_to(destination)
        label = timeline.store.label
    click.echo(render.copy_result(result, label, destination, as_json))


def resolve_day(timeline: Timeline, as_of: dt.date | None, day: int | None) -> dt.date | None:
    if as_of is not None and day is not None:
        raise BadInput("give --as-of or --day, not both")
    return timeline.date_of_day(day) if day is not None else as_of


as_of_options = [
    click.option("--as-of", type=DAY, help="The day to look at (default: the last day in the log)."),
    click.option("--day", type=int, help="Day N of the story instead of a date (the first border crossing is day 1)."),
    click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged)."),
]


def with_as_of(command: Any) -> Any:
    for option in reversed(as_of_options):
        command = option(command)
    return command


@cli.command()
@db_option
@with_as_of
@json_option
def state(db: str | None, as_of: dt.date | None, day: int | None, known_on: dt.date | None, as_json: bool) -> None:
    """The state of every projector as of a day."""
    from timeline import render

    with open_for_reading(db) as timeline:
        snapshot = timeline.state(resolve_day(timeline, as_of, day), known_on)
    click.echo(render.dumps(snapshot.to_json()) if as_json else render.state_text(snapshot))


@cli.command()
@click.argument("from_day", metavar="FROM", type=DAY)
@click.argument("to_day", metavar="TO", type=DAY)
@db_option
@click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged).")
@json_option
def diff(from_day: dt.date, to_day: dt.date, db: str | None, known_on: dt.date | None, as_json: bool) -> None:
    """What changed between the end of day FROM and the end of day TO, and which events caused it."""
    from timeline import render

    with open_for_reading(db) as timeline:
        result = timeline.diff(from_day, to_day, known_on)
        # Streamed: a diff across months lists every event in between, and none is held in memory.
        echo_lines(render.diff_json_chunks(result) if as_json else render.diff_lines(result))


@cli.command()
@db_option
@click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged).")
@json_option
def days(db: str | None, known_on: dt.date | None, as_json: bool) -> None:
    """One row per day: day number, date, events that occurred, facts that changed."""
    from timeline import render

    with open_for_reading(db) as timeline:
        # Streamed: a summary holds its day's snapshots, and keeping every day's alive made the
        # garbage collector walk them all again and again (1.6 s and 140 MB at a million events).
        summaries = timeline.days(known_on)
        if as_json:
            echo_lines(render.days_json_chunks(summaries))
        else:
            click.echo(render.days_table(summaries))


@cli.command()
@click.argument("path")
@db_option
@with_as_of
@json_option
def why(
    path: str, db: str | None, as_of: dt.date | None, day: int | None, known_on: dt.date | None, as_json: bool
) -> None:
    """The events behind one fact, e.g. `timeline why settlements.Sudzha --as-of 2024-08-16`."""
    from timeline import render

    with open_for_reading(db) as timeline:
        fact, events = timeline.why(path, resolve_day(timeline, as_of, day), known_on)
    click.echo(render.dumps(render.why_json(path, fact, events)) if as_json else render.why_text(path, fact, events))


@cli.command()
@db_option
@click.option(
    "--format",
    "format_",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl / cloudevents: the log, importable; csv / timelinejs: the events a snapshot sees; "
    "geojson: a snapshot's settlements and incidents as a map; datasette-metadata: metadata.json for Datasette.",
)
@click.option(
    "--output",
    "--out",
    "-o",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (through a temporary file) instead of stdout.",
)
@click.option("--as-of", type=DAY, help="The snapshot's day (default: the last day in the log).")
@click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged).")
def export(db: str | None, format_: str, output: str | None, as_of: dt.date | None, known_on: dt.date | None) -> None:
    """The log, or a snapshot, in another tool's format (default: the log as importable JSONL)."""
    with open_for_reading(db) as timeline:
        if output:
            count = timeline.export_to_file(output, format_, as_of=as_of, known_on=known_on)
            click.echo(f"exported {count} {EXPORTED_ITEMS[format_]} to {output}", err=True)
        else:
            timeline.export(format_, sys.stdout, as_of=as_of, known_on=known_on)


EXPORTED_ITEMS = {
    "jsonl": "events",
    "cloudevents": "events",
    "csv": "events",
    "timelinejs": "events",
    "geojson": "features",
    "datasette-metadata": "tables and views",
}


def _log_name(db: str | None) -> str:
    named = _named(db)
    return os.path.basename(named) if named else "the bundled Kursk 2024 log"


@cli.command()
@db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@click.option("--from", "first", type=DAY, help="The first day the report shows (default: the log's first day).")
@click.option("--to", "last", type=DAY, help="The last day the report shows (default: the log's last day).")
@click.option("--title", help="The report's title (default: names the log).")
def report(db: str | None, out: str, first: dt.date | None, last: dt.date | None, title: str | None) -> None:
    """Write a one-file HTML report: a day slider, known-on control, map and charts; no network needed."""
    from timeline.report import write_report  # the report package loads only for this command

    with open_for_reading(db) as timeline:
        size = write_report(timeline, out, first=first, last=last, title=title, log_name=_log_name(db))
    click.echo(f"wrote {out} ({size:,} bytes)")


@cli.command()
@db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The PNG file to write.")
@click.option("--known-on", type=DAY, help="Only the claims reported by this day (default: everything logged).")
def chart(db: str | None, out: str, known_on: dt.date | None) -> None:
    """Draw the claimed area by claimant over time as a PNG (needs the 'plot' extra: matplotlib)."""
    from timeline.report.chart import write_area_chart

    with open_for_reading(db) as timeline:
        drawn = write_area_chart(timeline, out, known_on)
    click.echo(f"wrote {out} ({drawn} claim{'' if drawn == 1 else 's'})")


def main() -> None:
    cli(prog_name="timeline")


if __name__ == "__main__":
    main()
