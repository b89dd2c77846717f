"""The commands that read a log: `log`, `state`, `diff`, `days`, `why`, `learned`, `history`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from timeline.cli.shell import (
    DAY,
    cli,
    db_option,
    echo_lines,
    json_option,
    open_for_reading,
    resolve_day,
    with_as_of,
)
from timeline.errors import BadInput

if TYPE_CHECKING:
    pass


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
    from timeline.cli import render

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
@db_option
@with_as_of
@json_option
def state(db: str | None, as_of: dt.date | None, day: int | None, known_on: dt.date | None, as_json: bool) -> None:
    """The state of every projector as of a day."""
    from timeline.cli import render

    with open_for_reading(db) as timeline:
        snapshot = timeline.state(resolve_day(timeline, as_of, day), known_on)
    if as_json:
        echo_lines(render.state_json_chunks(snapshot))
    else:
        click.echo(render.state_text(snapshot))


@cli.command()
@click.argument("from_day", metavar="FROM", type=DAY)
@click.argument("to_day", metavar="TO", type=DAY)
@db_option
@click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged).")
@click.option(
    "--all-events",
    is_flag=True,
    help="List every event in between (default: the first 20, or 100 in JSON, and a count).",
)
@json_option
def diff(
    from_day: dt.date, to_day: dt.date, db: str | None, known_on: dt.date | None, all_events: bool, as_json: bool
) -> None:
    """What changed between the end of day FROM and the end of day TO, and which events caused it."""
    from timeline.cli import render

    with open_for_reading(db) as timeline:
        result = timeline.diff(from_day, to_day, known_on)
        # Streamed: a listing of every event across months holds none of them in memory.
        if as_json:
            echo_lines(render.diff_json_chunks(result, all_events=all_events))
        else:
            echo_lines(render.diff_lines(result, all_events=all_events))


@cli.command()
@db_option
@click.option("--known-on", type=DAY, help="Only what had been reported by this day (default: everything logged).")
@json_option
def days(db: str | None, known_on: dt.date | None, as_json: bool) -> None:
    """One row per day: day number, date, events that occurred, facts that changed."""
    from timeline.cli import render

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
    from timeline.cli import render

    with open_for_reading(db) as timeline:
        fact, events = timeline.why(path, resolve_day(timeline, as_of, day), known_on)
    click.echo(render.dumps(render.why_json(path, fact, events)) if as_json else render.why_text(path, fact, events))


@cli.command()
@click.argument("from_known", metavar="K1", type=DAY)
@click.argument("to_known", metavar="K2", type=DAY)
@db_option
@click.option("--as-of", type=DAY, help="The day asked about (default: the last day in the log).")
@click.option("--day", type=int, help="Day N of the story instead of a date (the first border crossing is day 1).")
@click.option(
    "--all-events", is_flag=True, help="List every event (default: the first 20, or 100 in JSON, and a count)."
)
@json_option
def learned(
    from_known: dt.date,
    to_known: dt.date,
    db: str | None,
    as_of: dt.date | None,
    day: int | None,
    all_events: bool,
    as_json: bool,
) -> None:
    """What became known between knowledge days K1 and K2 about one day: every fact whose value
    differs, and the events reported, withdrawn or restored in between."""
    from timeline.cli import render_knowledge

    with open_for_reading(db) as timeline:
        result = timeline.learned(from_known, to_known, resolve_day(timeline, as_of, day))
        # Inside the `with`: the events listed are read from the log as they are printed.
        if as_json:
            echo_lines(render_knowledge.learned_json_chunks(result, all_events=all_events))
        else:
            echo_lines(render_knowledge.learned_lines(result, all_events=all_events))


@cli.command()
@click.argument("path")
@db_option
@click.option("--from", "valid_from", type=DAY, help="Only the versions in force from this valid day on.")
@click.option("--to", "valid_to", type=DAY, help="Only the versions that hold from this valid day or before.")
@json_option
def history(path: str, db: str | None, valid_from: dt.date | None, valid_to: dt.date | None, as_json: bool) -> None:
    """Every version of one fact on both axes, e.g. `timeline history settlements.Sudzha`: the day
    it holds from, the day it was known from (and until), its value, and what was withdrawn."""
    from timeline.cli import render_knowledge

    if valid_from and valid_to and valid_from > valid_to:
        raise BadInput(f"--from {valid_from} is after --to {valid_to}")
    # Printed as read, a page of versions at a time, in one view of the log.
    with open_for_reading(db) as timeline, timeline.store.read_transaction():
        listing = timeline.history_listing(path, valid_from=valid_from, valid_to=valid_to)
        if as_json:
            echo_lines(render_knowledge.history_json_chunks(listing))
        else:
            echo_lines(render_knowledge.history_lines(listing))
