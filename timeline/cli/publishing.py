"""The commands that take answers to other tools: `export`, `report`, `chart`."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING

import click

from timeline import formats
from timeline.cli.shell import (
    DAY,
    _named,
    cli,
    db_option,
    open_for_reading,
)
from timeline.formats import EXPORT_FORMATS

if TYPE_CHECKING:
    pass


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
            click.echo(f"exported {count} {formats.exporter(format_).items} to {output}", err=True)
        else:
            timeline.export(format_, sys.stdout, as_of=as_of, known_on=known_on)


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
