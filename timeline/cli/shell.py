"""What every `timeline` command shares: the group that turns errors into one line and an exit
code, the options, the day type, and opening a log for reading or writing.

Exit codes: 0 success, 1 a check failed (verify), 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from timeline import __version__
from timeline.errors import BadArgument, BadInput, ReadOnlyTimeline, TimelineError

# The engine is imported inside the commands that use it, so `timeline --version` and `--help`
# start in a few tens of milliseconds.
if TYPE_CHECKING:
    from timeline.api import Timeline


class Day(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.4 only; [...] fails at run time on 8.1-8.3
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
    "from_known": "K1",
    "to_known": "K2",
    "path": "PATH",
    "encoding": "--encoding",
    "date_order": "--date-order",
    "claimant": "--claimant",
    "controller": "--controller",
    "region": "--region",
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
