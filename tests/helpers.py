"""What many tests share: running the CLI in-process as a user would, and the events they log."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from timeline.cli import cli


def invoke(*args: object, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """The `timeline` command in-process. An error the CLI does not turn into one line and an exit
    code propagates: a crash fails the test with its traceback, whatever else the test checks."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input, env=env, catch_exceptions=False)


def ok(*args: object, input: str | bytes | None = None) -> str:
    """stdout of a command that must succeed."""
    result = invoke(*args, input=input)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


def statement(
    event_id: str, occurred_on: str = "2024-08-07", summary: str = "The advance has been stopped.", **envelope: Any
) -> dict[str, Any]:
    """A statement as a record in the event format (what a JSONL line or `append` holds)."""
    return {
        "event_id": event_id,
        "kind": "statement.made",
        "occurred_on": occurred_on,
        "source": "TASS",
        "data": {"speaker": "Valery Gerasimov", "summary": summary},
        **envelope,
    }
