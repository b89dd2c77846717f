"""The engine's errors. The CLI turns each into one line and the exit code below.

A failed `verify` is not an error but a report (`VerifyReport`), which the CLI turns into exit 1."""

from __future__ import annotations

from collections.abc import Mapping


class TimelineError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 2


class BadInput(TimelineError):
    """The user's input is wrong: a date, an option, an event."""


class BadArgument(BadInput):
    """A bad value given to a named argument. The message names arguments as `{name}`: the Python
    API spells each as its parameter, the CLI as its flag (`spelled`)."""

    # Where the Python API's own name would not tell a reader what to do.
    API_NAMES: Mapping[str, str] = {"db": "Timeline.open(path)"}

    def __init__(self, template: str):
        self.template = template
        super().__init__(self.spelled(self.API_NAMES))

    def spelled(self, names: Mapping[str, str]) -> str:
        """The message with each `{name}` spelled as `names` says (or as the name itself)."""
        return self.template.format_map(_Spelling(names))


class _Spelling(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


class BadEvent(BadInput):
    """An event that cannot be recorded, with where it came from (`file:line`) and which field."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        self.where = where
        self.field = field
        self.message = message
        super().__init__(": ".join(part for part in (where, field, message) if part))


class ChainBroken(BadEvent):
    """Rows copied from another log (or a published copy) that do not form an intact hash chain."""

    def __init__(self, message: str, *, seq: int, where: str | None = None, field: str | None = None):
        self.seq = seq
        super().__init__(message, where=where, field=field)


class ConflictError(TimelineError):
    """The log moved under us: an event id reused with other content, or another writer got there first."""


class NotATimeline(TimelineError):
    """The path is missing, not SQLite, not a timeline, or a timeline this version cannot read."""


class ReadOnlyTimeline(TimelineError):
    """Writing to a log that must not be written, such as the bundled dataset."""


class MissingExtra(TimelineError):
    """A feature needs an optional library that is not installed; the message names the extra."""
