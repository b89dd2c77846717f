"""The commands that write a log: `init`, `append`, `import`, `checkpoint`, `copy`."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from events.envelope import DatePrecision
from timeline.cli.shell import (
    DAY,
    PROGRESS_BAR_BYTES,
    cli,
    db_option,
    json_option,
    open_for_writing,
)
from timeline.errors import BadArgument, BadEvent
from timeline.formats import IMPORT_FORMATS

if TYPE_CHECKING:
    pass


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
    from timeline.cli import render
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


def map_options(command: Any) -> Any:
    """The options of `import --format geojson`: who says, who holds, who published it, which day."""
    for option in reversed(
        [
            click.option("--claimant", help="geojson: who says the territory is held (DeepStateMap)."),
            click.option("--controller", help="geojson: who holds the territory drawn (Russia)."),
            click.option("--source", help="geojson: who published the map (a URL or an outlet)."),
            click.option("--on", type=DAY, help="geojson: the day of the map (it occurred and was known then)."),
            click.option("--region", help="geojson: the region the map covers (optional)."),
        ]
    ):
        command = option(command)
    return command


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
    "changed); acled-deleted: ACLED's list of deleted events (each withdraws the log's version, known from its "
    "deletion day); ucdp: a UCDP GED CSV (re-importing a later download appends only what changed, known "
    "from --known-on); cloudevents: CloudEvents 1.0 JSON, one event per line; geojson: a map of controlled "
    "territory (polygons, WGS84) as one territory.mapped event, with --claimant, --controller, --source and --on.",
)
@click.option("--expect-head", type=int, help="Fail unless the log still ends at this seq (optimistic concurrency).")
@click.option(
    "--known-on",
    type=DAY,
    help="ucdp (required): the day the file was downloaded or released; what it says is known from that day.",
)
@click.option(
    "--encoding",
    help="acled, ucdp: the file's text encoding, such as cp1252 (default: UTF-8, or Windows-1252 when the file is not "
    "UTF-8; a byte-order mark says UTF-8 or UTF-16).",
)
@click.option(
    "--date-order",
    type=click.Choice(("dmy", "mdy")),
    help="acled, ucdp: read numeric dates such as 05/04/2022 as day/month/year (dmy) or month/day/year (mdy) "
    "(default: the order the file's unambiguous dates show).",
)
@json_option
@map_options
def import_(
    file: str, db: str | None, format_: str, expect_head: int | None, as_json: bool, **format_options: Any
) -> None:
    """Append every event of FILE ('-' reads stdin), all or nothing."""
    from timeline.cli import render
    from timeline.formats.acled_deleted import DeletionImportResult
    from timeline.formats.acled_history import AcledImportResult

    # Each format's own options (acled: --encoding, --date-order; geojson: --claimant...); one given
    # to a format that does not take it is refused by name.
    options = {name: value for name, value in format_options.items() if value is not None}
    if format_ == "ucdp" and "known_on" not in options:
        raise BadArgument(
            "--format ucdp needs --known-on DAY: the day the file was downloaded or released "
            "(UCDP's rows do not say when they last changed)"
        )
    with open_for_writing(db) as timeline:
        if file == "-":
            result = timeline.import_file(
                sys.stdin.buffer, format_, name="<stdin>", expected_head=expect_head, **options
            )
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
                    **options,
                )
        else:
            result = timeline.import_file(file, format_, expected_head=expect_head, **options)
    if isinstance(result, AcledImportResult):
        click.echo(render.acled_import_result(result, as_json))
    elif isinstance(result, DeletionImportResult):
        click.echo(render.deletion_import_result(result, as_json))
    else:
        click.echo(render.append_result(result, as_json))


@cli.command()
@click.option(
    "--db", "db", envvar="TIMELINE_DB", required=True, type=click.Path(dir_okay=True), help="The timeline database."
)
@click.option("--clear", is_flag=True, help="Only drop the stored state (queries then replay from the first event).")
def checkpoint(db: str, clear: bool) -> None:
    """Rebuild the stored state that makes every query fast (the writes keep it; this repairs it)."""
    with open_for_writing(db) as timeline:
        if clear:
            click.echo(f"dropped the stored state ({timeline.checkpoints.clear()} fact versions)")
        else:
            click.echo(f"rebuilt the stored state: {timeline.checkpoint()} fact versions")


@cli.command()
@click.argument("source")
@click.argument("destination")
@json_option
def copy(source: str, destination: str, as_json: bool) -> None:
    """Copy the whole log at SOURCE into DESTINATION (an SQLite file or a postgresql:// URL), keeping
    event ids, seqs, recording times, hashes and signed heads. A DESTINATION that holds the
    beginning of the log gets the rest."""
    from timeline.api import Timeline
    from timeline.cli import render

    with Timeline.open(source, read_only=True) as timeline:
        result = timeline.copy_to(destination)
        label = timeline.store.label
    click.echo(render.copy_result(result, label, destination, as_json))
