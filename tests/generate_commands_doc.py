"""docs/commands.md, built from `timeline --help` and every command's `--help`.

Run `python tests/generate_commands_doc.py` after changing a command: it rewrites the page.
tests/test_docs.py builds the text again and fails when the page differs, so the page has no
other source: edit the commands' help (or INTRO below), never the page.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import click
from click.testing import CliRunner

from timeline.cli import cli

PAGE = Path(__file__).resolve().parent.parent / "docs" / "commands.md"
WIDTH = 78  # what click prints in an 80-column terminal, wherever this runs

INTRO = """\
# Commands

Every `timeline` command, with its options as `timeline COMMAND --help` prints them.
`--db` (or `TIMELINE_DB`) takes an SQLite file or a `postgresql://` URL; read commands without
one use the bundled Kursk log. Every query takes `--json` for machines (`log --json` prints one
object per line; `import --json` prints counts: `appended`, `unchanged`, `first_seq`, `head`).

Exit codes: 0 success, 1 a check failed (`verify`), 2 bad input or usage. Errors are one line on
stderr, naming file, line and field where they apply, e.g.
`Error: events.jsonl:12: data.area_km2.bound: expected one of exact, approx, at_least, more_than, at_most, not 'lots'`.
"""

NOTICE = "<!-- Generated from --help by tests/generate_commands_doc.py: edit the commands' help, not this page. -->"


def help_text(*args: str) -> str:
    """What `timeline ARGS --help` prints, at a fixed width."""
    result = CliRunner().invoke(
        cli,
        [*args, "--help"],
        prog_name="timeline",
        env={"TIMELINE_DB": None},
        terminal_width=WIDTH,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output.rstrip()


def first_paragraph(command: click.Command) -> str:
    """The first paragraph of a command's help, on one line."""
    text = inspect.cleandoc(command.help or command.short_help or "")
    return " ".join(text.split("\n\n", 1)[0].split())


def commands_page() -> str:
    """The text of docs/commands.md."""
    context = click.Context(cli, info_name="timeline")
    names = cli.list_commands(context)
    parts = [NOTICE, "", INTRO]
    for name in names:
        command = cli.get_command(context, name)
        assert command is not None, name
        parts.append(f"- [`{name}`](#timeline-{name}): {first_paragraph(command)}")
    parts += ["", "## timeline", "", "```text", help_text(), "```"]
    for name in names:
        parts += ["", f"## timeline {name}", "", "```text", help_text(name), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(commands_page(), encoding="utf-8")
    print(f"wrote {PAGE}")
