"""The engine's errors. The CLI turns each into one line and the exit code below.

A failed `verify` is not an error but a report (`VerifyReport`), which the CLI turns into exit 1."""

from __future__ import annotations


class TimelineError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 2


class BadInput(TimelineError):
    """The user's input is wrong: a date, an option, an event."""


class BadEvent(BadInput):
    """An event that cannot be recorded, with where it came from (`file:line`) and which field."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        self.where = where
        self.field = field
        self.message = message
        super().__init__(": ".join(part for part in (where, field, message) if part))


class ConflictError(TimelineError):
    """The log moved under us: an event id reused with other content, or another writer got there first."""


class NotATimeline(TimelineError):
    """The path is missing, not SQLite, not a timeline, or a timeline this version cannot read."""


class ReadOnlyTimeline(TimelineError):
    """Writing to a log that must not be written, such as the bundled dataset."""


class MissingExtra(TimelineError):
    """A feature needs an optional library that is not installed; the message names the extra."""
