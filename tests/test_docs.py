"""Every example in README.md and docs/*.md is run, and what it prints is compared with the page.

Conventions for the pages' fenced code blocks (docs/index.md says the same, briefly):

- A block with no info string whose commands are `$ timeline ...` is a sample from the bundled
  log: each command runs in-process (click's CliRunner) with TIMELINE_DB unset (in an empty
  folder, so nothing it might write lands in the repository), and what it prints is compared
  with the lines shown after it.
- `console` blocks are a session: all of one page's run in order, in one fresh temporary folder,
  TIMELINE_DB unset. `$ timeline ...` runs in-process (CliRunner, catch_exceptions=False, the
  session's environment); `$ export NAME=value` sets a variable for the rest of the page; any
  other `$ ` line runs with `bash -c` in the folder, as does a `timeline` line that pipes or
  redirects (`|`, `>`, `<`, `;`, `&`). `timeline` and `python` in bash are this interpreter's
  (its folder comes first on PATH). A line ending in `\\` goes on on the next one.
- The lines after a command, up to the next `$ ` line or the end of the block, are its output.
  A line that is just `...` elides output: the lines between two elisions must appear in the
  real output as one unbroken run, in the order shown; the lines before the first elision must
  be where the output starts, and, unless the block ends with `...`, the lines after the last
  elision must be where it ends. Trailing spaces are ignored. In a session, `…` (U+2026) inside
  a line matches any text: hashes of a log written now, times, sizes, key ids. (In a bundled
  sample `…` is only itself: the tables shorten long cells with it.)
- A command exits 0, unless its output shown starts with `FAILED:` or `Error:`: then non-zero.
- `python` blocks: all of one page's run in order with `exec`, in one namespace, in the page's
  session folder after its `console` blocks. A ```` ```python no-run ```` block is not run, and
  the sentence after it says why.
- A page that draws a chart (`timeline chart`) needs the 'plot' extra: without matplotlib it
  skips, saying why; with CI set it fails instead.
- PostgreSQL: the pages write the URL postgresql://analyst@db.example.org/newsroom. A page that
  uses it gets a fresh database (the `postgres_url` fixture: without a server the page skips,
  saying why; with CI set it fails instead), whose URL replaces that text in its commands and
  code and is put back in their output before comparing.
- `sh` (install lines), `text` and `json` blocks are not run, so they hold no `timeline` command
  and no Python API; a block with any other info string fails the test.
- Input files: a page's session makes them with its own commands, except those that FIXTURES
  below writes into the session folder before the page runs (ACLED downloads, a file of more
  events, a forger's script).

docs/commands.md is generated from `--help` (tests/generate_commands_doc.py) and checked here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from acled_samples import csv_bytes, row, spreadsheet_bytes, timestamp
from click.testing import CliRunner
from generate_commands_doc import PAGE as COMMANDS_PAGE
from generate_commands_doc import commands_page
from ucdp_samples import csv_bytes as ucdp_csv_bytes
from ucdp_samples import row as ucdp_row

from timeline.cli import cli

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS_URL = "postgresql://analyst@db.example.org/newsroom"
ELISION = "..."
ANY_TEXT = "…"
CONTINUATION = "\\"  # a command line ending in it goes on on the next line
FAILURE_PREFIXES = ("FAILED:", "Error:")
NOT_RUN = ("sh", "text", "json")
SHELL_OPERATORS = re.compile(r"[|<>;&]")


# --------------------------------------------------------------------------------------------
# Reading the pages
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Block:
    page: str
    line: int  # of the opening fence
    info: str
    lines: tuple[str, ...]
    after: str  # the first line of text after the closing fence that is not blank


@attrs.frozen
class Command:
    where: str  # page:line
    text: str  # without the `$ `, continuation lines joined
    shown: tuple[str, ...]


def _name(path: Path) -> str:
    """How messages name a page: README.md, docs/teams.md."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def read_blocks(path: Path) -> list[Block]:
    """The page's fenced code blocks, with their info strings."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = re.match(r"^(`{3,})(.*)$", lines[index])
        if not opening:
            index += 1
            continue
        fence, start = opening.group(1), index
        index += 1
        while index < len(lines) and lines[index].rstrip() != fence:
            index += 1
        after = next((line for line in lines[index + 1 :] if line.strip()), "")
        found.append(Block(_name(path), start + 1, opening.group(2).strip(), tuple(lines[start + 1 : index]), after))
        index += 1
    return found


def commands(block: Block) -> list[Command]:
    """The block's commands, each with the output shown after it."""
    found: list[Command] = []
    text: str | None = None
    where, shown, continued = "", [], False
    for offset, line in enumerate(block.lines, start=block.line + 1):
        if continued or line.startswith("$ "):
            if not continued:
                if text is not None:
                    found.append(Command(where, text, tuple(shown)))
                text, where, shown = "", f"{block.page}:{offset}", []
            part = line.removeprefix("$ ").strip()
            continued = part.endswith(CONTINUATION)
            text = f"{text} {part.removesuffix(CONTINUATION).strip()}".strip()
        elif text is not None:
            shown.append(line.rstrip())
    if text is not None:
        found.append(Command(where, text, tuple(shown)))
    return found


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _same(shown: str, actual: str, wildcard: bool) -> bool:
    if not wildcard or ANY_TEXT not in shown:
        return shown == actual
    pattern = ".*".join(re.escape(piece) for piece in shown.split(ANY_TEXT))
    return re.fullmatch(pattern, actual) is not None


def _run_at(segment: list[str], actual: list[str], start: int, wildcard: bool) -> bool:
    """Whether `actual` holds `segment` as an unbroken run from `start`."""
    run = actual[start : start + len(segment)]
    return len(run) == len(segment) and all(_same(want, got, wildcard) for want, got in zip(segment, run, strict=True))


def matches(shown: tuple[str, ...], actual: list[str], *, wildcard: bool = False) -> str | None:
    """None when `actual` is what `shown` shows, `...` eliding lines (and, with `wildcard`, `…`
    inside a line matching any text); else what differs."""
    segments: list[list[str]] = [[]]
    for line in _trim(list(shown)):
        if line.strip() == ELISION:
            segments.append([])
        else:
            segments[-1].append(line)
    position = 0
    for index, segment in enumerate(segments):
        if not segment:
            continue
        size = len(segment)
        starts = [0] if index == 0 else range(position, len(actual) - size + 1)
        if index == len(segments) - 1:  # not followed by `...`: it is where the output ends
            starts = [start for start in starts if start == len(actual) - size]
        start = next((start for start in starts if _run_at(segment, actual, start, wildcard)), None)
        if start is None:
            where = "at the start" if index == 0 else "after the lines before it"
            end = " and ending the output" if index == len(segments) - 1 else ""
            return f"these lines are not in the output {where}{end}:\n" + "\n".join(segment)
        position = start + size
    return None


def _expects_failure(shown: tuple[str, ...]) -> bool:
    first = next((line for line in shown if line.strip()), "")
    return first.startswith(FAILURE_PREFIXES)


def _check(command: Command, exit_code: int, output: str, *, wildcard: bool) -> None:
    expect_failure = _expects_failure(command.shown)
    assert (exit_code != 0) is expect_failure, (
        f"{command.where}: `{command.text}` exited {exit_code}, "
        f"expected {'non-zero' if expect_failure else '0'}\n--- real output ---\n{output}"
    )
    actual = _trim([line.rstrip() for line in output.splitlines()])
    problem = matches(command.shown, actual, wildcard=wildcard)
    assert problem is None, f"{command.where}: `{command.text}`: {problem}\n--- real output ---\n{output}"


BLOCKS = [block for page in PAGES for block in read_blocks(page)]
SAMPLES = [command for block in BLOCKS if block.info == "" for command in commands(block)]
SESSION_PAGES = [page for page in PAGES if any(block.info in ("console", "python") for block in read_blocks(page))]


# --------------------------------------------------------------------------------------------
# Every block is run, or says why not
# --------------------------------------------------------------------------------------------


def test_the_pages_are_there_and_the_readme_is_short():
    names = {page.name for page in PAGES}
    assert {"README.md", "index.md", "walkthrough.md", "commands.md", "teams.md", "python-api.md"} <= names
    assert len((ROOT / "README.md").read_bytes()) <= 15_000


def test_the_walkthrough_has_samples_to_check():
    for page in ("README.md", "docs/walkthrough.md"):
        samples = [sample for sample in SAMPLES if sample.where.startswith(f"{page}:")]
        assert len(samples) >= 5, page
        assert any(sample.text.startswith("timeline state") for sample in samples), page


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{block.page}:{block.line}:{block.info}" for block in BLOCKS])
def test_every_block_is_run_or_not_meant_to_be(block):
    where = f"{block.page}:{block.line}"
    first = next((line for line in block.lines if line.strip()), "")
    if block.info == "":
        assert first.startswith("$ timeline "), f"{where}: a block with no info string is a bundled-log sample"
        for command in commands(block):
            assert command.text.startswith("timeline "), f"{command.where}: only `timeline` runs on the bundled log"
            assert "--db" not in command.text, f"{command.where}: a sample on a log of its own goes in a console block"
    elif block.info == "console":
        assert first.startswith("$ "), f"{where}: a console block starts with a command"
        for command in commands(block):
            if re.search(r"\s(-f|--follow)\b", command.text):
                assert re.search(r"--max-events|--timeout", command.text), f"{command.where}: a follower must end"
    elif block.info == "python no-run":
        assert block.after and not block.after.startswith(("```", "#", "|")), (
            f"{where}: a block that is not run is followed by a sentence saying why"
        )
    elif block.info in NOT_RUN:
        for line in block.lines:
            stripped = line.strip()
            assert not stripped.startswith(("$ ", "timeline ")), f"{where}: commands go in a console block: {line}"
            assert not re.match(r"(from|import) timeline\b", stripped), f"{where}: Python goes in a python block"
    else:
        assert block.info == "python", f"{where}: unknown info string {block.info!r}"


# --------------------------------------------------------------------------------------------
# Samples from the bundled log
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{sample.where} {sample.text}" for sample in SAMPLES])
def test_a_bundled_sample_prints_what_the_page_shows(sample, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, shlex.split(sample.text)[1:], prog_name="timeline")
    _check(sample, result.exit_code, result.output, wildcard=False)


# --------------------------------------------------------------------------------------------
# Sessions: console and python blocks, page by page
# --------------------------------------------------------------------------------------------


def _day(n: int) -> dt.date:
    return dt.date(2024, 8, n)


def _acled_downloads(folder: Path) -> None:
    """Two weekly ACLED downloads of four rows each, and the malformed files docs/acled.md imports.

    The second download revises RUS1002 (Kurchatov: 3 fatalities become 5), drops RUS1003
    (Korenevo) and adds RUS1005 (Sudzha taken)."""
    kurchatov = {
        "location": "Kurchatov",
        "admin2": "Kurchatovskiy",
        "latitude": 51.6606,
        "longitude": 35.6573,
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "notes": "Shelling of Kurchatov.",
    }
    korenevo = {"location": "Korenevo", "admin2": "Korenevskiy", "latitude": 51.4117, "longitude": 34.9094}
    rows_14 = [
        row("RUS1001", _day(6), revised=_day(13)),
        row("RUS1002", _day(7), revised=_day(13), fatalities=3, **kurchatov),
        row("RUS1003", _day(10), revised=_day(13), fatalities=2, **korenevo),
        row("RUS1004", _day(11), revised=_day(13), fatalities=1),
    ]
    rows_21 = [
        rows_14[0],
        row("RUS1002", _day(7), revised=_day(21), fatalities=5, **kurchatov),
        rows_14[3],
        row(
            "RUS1005",
            _day(15),
            revised=_day(21),
            sub_event_type="Non-state actor overtakes territory",
            notes="Ukrainian forces take Sudzha.",
        ),
    ]
    (folder / "acled-2024-08-14.csv").write_bytes(csv_bytes(rows_14))
    (folder / "acled-2024-08-21.csv").write_bytes(csv_bytes(rows_21))
    bad = {
        "bad-latitude.csv": [rows_14[0], {**rows_14[1], "latitude": 123.0}],
        "bad-fatalities.csv": [rows_14[0], {**rows_14[1], "fatalities": "many"}],
        "bad-date.csv": [rows_14[0], {**rows_14[1], "event_date": "2024-02-30"}],
        "repeated-row.csv": [rows_14[0], rows_14[1], {**rows_14[0], "notes": "Other words."}],
    }
    for name, rows in bad.items():
        (folder / name).write_bytes(csv_bytes(rows))
    (folder / "header-only.csv").write_bytes(csv_bytes([]))
    saved = [
        row("RUS2001", _day(6), revised=_day(15), notes="Ukraine’s forces advance near Sudzha."),
        row("RUS2002", _day(7), revised=_day(15)),
        row("RUS2003", _day(14), revised=_day(15)),
    ]
    (folder / "acled-saved.csv").write_bytes(
        spreadsheet_bytes(saved, date_form="dd.mm.yyyy", separator=";", encoding="cp1252")
    )
    deleted = f"event_id_cnty,deleted_timestamp\r\nRUS1004,{timestamp(_day(22))}\r\nUKR7777,{timestamp(_day(22))}\r\n"
    (folder / "acled-deleted.csv").write_text(deleted, encoding="utf-8", newline="")
    (folder / "acled-ambiguous.csv").write_bytes(spreadsheet_bytes(saved[:2], date_form="dd/mm/yyyy 00:00:00"))
    (folder / "events.jsonl").write_text(json.dumps(_more_events()[0]) + "\n", encoding="utf-8")
    with zipfile.ZipFile(folder / "export.xlsx", "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")


def _ucdp_downloads(folder: Path) -> None:
    """Two UCDP GED downloads (made-up rows) of the Kursk fighting, and the malformed files
    docs/ucdp.md imports.

    The second download writes every row another way (dates with midnight, 3.0 for 3, true for
    TRUE), revises 502 (Kurchatov: best 3 becomes 8), drops 503 (Korenevo) and adds 505."""
    kursk = {"adm_1": "Kursk", "adm_2": "Sudzhanskiy", "where_coordinates": "Sudzha"}
    kurchatov = {
        **kursk,
        "adm_2": "Kurchatovskiy",
        "where_coordinates": "Kurchatov",
        "latitude": 51.6606,
        "longitude": 35.6573,
        "type_of_violence": 3,
        "deaths_a": 0,
        "deaths_b": 0,
        "deaths_civilians": 3,
    }
    korenevo = {**kursk, "adm_2": "Korenevskiy", "where_coordinates": "Korenevo", "latitude": 51.4117,
                "longitude": 34.9094}  # fmt: skip
    first = [
        ucdp_row(501, _day(6), **kursk),
        ucdp_row(502, _day(7), **kurchatov),
        ucdp_row(503, _day(10), **korenevo, best=2, low=2, high=2, deaths_a=1),
        ucdp_row(504, _day(12), _day(14), **kursk, date_prec=2, best=11, low=9, high=20, deaths_a=6, deaths_b=5),
    ]

    def another_way(values: dict) -> dict:
        return {**values, "date_start": f"{values['date_start']}T00:00:00", "best": f"{values['best']}.0",
                "active_year": "true"}  # fmt: skip

    second = [
        another_way(first[0]),
        {**ucdp_row(502, _day(7), **kurchatov), "best": 8, "high": 10, "deaths_civilians": 8},
        another_way(first[3]),
        ucdp_row(505, _day(15), **kursk, best=4, low=4, high=6, deaths_a=4),
    ]
    (folder / "ged-2024-09-01.csv").write_bytes(ucdp_csv_bytes(first))
    (folder / "ged-2024-10-01.csv").write_bytes(ucdp_csv_bytes(second, bom=True))
    (folder / "ged-bad-best.csv").write_bytes(ucdp_csv_bytes([first[0], {**first[1], "best": "three"}]))
    (folder / "ged-bad-range.csv").write_bytes(ucdp_csv_bytes([first[0], {**first[1], "low": 5}]))
    (folder / "ged-no-best.csv").write_bytes(ucdp_csv_bytes(first, columns=("id", "date_start", "date_end", "country")))


def _more_events() -> list[dict]:
    return [
        {
            "event_id": "peskov-2024-08-25",
            "kind": "statement.made",
            "occurred_on": "2024-08-25",
            "source": "Kremlin press service",
            "data": {"speaker": "Dmitry Peskov", "summary": "Talks are off the table."},
        },
        {
            "event_id": "isw-2024-08-25-1250-km2",
            "kind": "territory.claimed",
            "occurred_on": "2024-08-25",
            "source": "Institute for the Study of War",
            "data": {"claimant": "ISW", "basis": "total", "area_km2": {"value": 1250, "bound": "approx"}},
        },
    ]


def _write_more_events(folder: Path) -> None:
    """more-events.jsonl: two events in the event format, for the pages that import "more events"."""
    text = "".join(json.dumps(record) + "\n" for record in _more_events())
    (folder / "more-events.jsonl").write_text(text, encoding="utf-8")


FORGE = '''"""A forger's tool: rewrite seq 20 of a JSONL export and recompute every later hash.

`python forge.py EXPORT FORGED` leaves the signed heads out; with --keep-signed-heads, it keeps them."""

import json
import sys

from timeline.store.rows import record_to_row

CHAIN = ("seq", "recorded_at", "prev_hash", "hash")
source, target, *options = sys.argv[1:]
with open(source, encoding="utf-8") as file:
    lines = [json.loads(line) for line in file]
events = [line for line in lines if "signed_heads" not in line]
events[19]["source"] = "someone else"
previous = events[18]["hash"]
for line in events[19:]:
    record = {name: value for name, value in line.items() if name not in CHAIN}
    line["prev_hash"] = previous
    line["hash"] = previous = record_to_row(record, line["seq"], line["recorded_at"], previous)["hash"]
kept = [line for line in lines if "signed_heads" in line] if "--keep-signed-heads" in options else []
with open(target, "w", encoding="utf-8") as out:
    out.writelines(json.dumps(line) + "\\n" for line in [*events, *kept])
'''


def _write_forger(folder: Path) -> None:
    """forge.py, the forger's script docs/teams.md runs."""
    (folder / "forge.py").write_text(FORGE, encoding="utf-8")


# What a page's session finds in its folder before its first command.
FIXTURES: dict[str, list[Callable[[Path], None]]] = {
    "docs/walkthrough.md": [_write_more_events],
    "docs/acled.md": [_acled_downloads],
    "docs/ucdp.md": [_acled_downloads, _ucdp_downloads],
    "docs/exports.md": [_acled_downloads],
    "docs/teams.md": [_write_forger],
    "docs/python-api.md": [_write_more_events],
}


def _shown_url(url: str) -> str:
    """The URL as the commands print it: a password shows as ***."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class Session:
    """One page's console commands, run in order in one folder with one environment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, url: str | None):
        self.monkeypatch = monkeypatch
        self.url = url

    def real(self, text: str) -> str:
        return text.replace(DOCS_URL, self.url) if self.url else text

    def shown(self, output: str) -> str:
        return output.replace(_shown_url(self.url), DOCS_URL) if self.url else output

    def run(self, command: Command) -> None:
        text = self.real(command.text)
        words = shlex.split(text, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            self.monkeypatch.setenv(name, value)
            assert not command.shown, f"{command.where}: export prints nothing"
            return
        if words[0] == "timeline" and not SHELL_OPERATORS.search(text.split("#", 1)[0]):
            result = CliRunner().invoke(cli, words[1:], prog_name="timeline", catch_exceptions=False)
            exit_code, output = result.exit_code, result.output
        else:
            completed = subprocess.run(
                ["bash", "-c", text],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
                check=False,
            )
            exit_code, output = completed.returncode, completed.stdout
        _check(command, exit_code, self.shown(output), wildcard=True)


@pytest.mark.parametrize("page", SESSION_PAGES, ids=[_name(page) for page in SESSION_PAGES])
def test_a_page_session_runs_as_the_page_shows(page, tmp_path, monkeypatch, request, capsys, require):
    blocks = read_blocks(page)
    console = [command for block in blocks if block.info == "console" for command in commands(block)]
    python = [block for block in blocks if block.info == "python"]
    everything = "\n".join(line for block in blocks if block.info in ("console", "python") for line in block.lines)
    url = request.getfixturevalue("postgres_url") if DOCS_URL in everything else None
    if "timeline chart" in everything:  # draws with matplotlib: skipped without it, failed under CI
        require("matplotlib", "the 'plot' extra (pip install -e '.[plot]')")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for fixture in FIXTURES.get(_name(page), []):
        fixture(tmp_path)
    session = Session(monkeypatch, url)
    for command in console:
        session.run(command)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for block in python:
        code = session.real("\n".join(block.lines))
        exec(compile(code, f"{_name(page)}:{block.line + 1}", "exec"), namespace)


def test_every_fixture_is_for_a_page_with_a_session():
    assert set(FIXTURES) <= {_name(page) for page in SESSION_PAGES}


# --------------------------------------------------------------------------------------------
# docs/commands.md
# --------------------------------------------------------------------------------------------


def test_the_command_reference_is_generated_from_help():
    assert COMMANDS_PAGE.read_text(encoding="utf-8") == commands_page(), (
        "docs/commands.md is not what `--help` says: run `python tests/generate_commands_doc.py`"
    )


# --------------------------------------------------------------------------------------------
# The conventions themselves
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shown, actual, ok",
    [
        (("a", "b"), ["a", "b"], True),
        (("a",), ["a", "b"], False),  # no elision: the whole output must be shown
        (("a", "..."), ["a", "b"], True),
        (("a", "...", "c"), ["a", "b", "c"], True),
        (("a", "...", "b"), ["a", "b", "c"], False),  # the end must be the end
        (("a", "...", "c", "..."), ["a", "b", "c", "d"], True),
        (("a", "...", "d", "c", "..."), ["a", "b", "c", "d"], False),  # order counts
        (("b", "..."), ["a", "b"], False),  # the start must be the start
        (("a", "...", "b", "d", "..."), ["a", "b", "c", "d"], False),  # a run stays unbroken
    ],
)
def test_the_elision_convention(shown, actual, ok):
    assert (matches(shown, actual) is None) is ok


@pytest.mark.parametrize(
    "shown, actual, wildcard, ok",
    [
        (("hash …",), ["hash 509ff"], True, True),
        (("hash …",), ["hash 509ff"], False, False),  # only sessions have the wildcard
        (("hash … at …",), ["hash 1fc at 2026-11-25"], True, True),
        (("hash … at …",), ["hash 1fc on 2026-11-25"], True, False),  # the text around it counts
        (("…",), ["anything"], True, True),
        (("wrote … (… bytes)",), ["wrote report.html (66,947 bytes)"], True, True),
        (("a…",), ["ab", "c"], True, False),  # within one line only
        (("x.y",), ["xzy"], True, False),  # the rest is literal, not a pattern
        (("...", "b …"), ["a", "b c"], True, True),
    ],
)
def test_the_any_text_convention(shown, actual, wildcard, ok):
    assert (matches(shown, actual, wildcard=wildcard) is None) is ok


def test_commands_are_read_with_their_continuations_and_output():
    block = Block(
        "page.md",
        1,
        "console",
        ("$ timeline append a \\", "    --data '{}'", "appended", "$ export A=b", "$ ls", "x", "y"),
        "",
    )
    assert commands(block) == [
        Command("page.md:2", "timeline append a --data '{}'", ("appended",)),
        Command("page.md:5", "export A=b", ()),
        Command("page.md:6", "ls", ("x", "y")),
    ]


def test_a_failure_is_expected_only_where_the_page_shows_one():
    assert _expects_failure(("FAILED: seq 3",)) and _expects_failure(("", "Error: bad.csv: row 2"))
    assert not _expects_failure(("ok: 47 events",)) and not _expects_failure(())


def test_the_docs_url_is_put_back_as_the_commands_print_it():
    assert _shown_url("postgresql://postgres@127.0.0.1:5432/db") == "postgresql://postgres@127.0.0.1:5432/db"
    assert _shown_url("postgresql://me:secret@host/db") == "postgresql://me:***@host/db"


def test_blocks_are_read_with_their_info_string_and_the_text_after_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n```python no-run\nx = 1\n```\n\nIt needs a server.\n\n````text\n```\n````\n")
    assert read_blocks(page) == [
        Block("page.md", 3, "python no-run", ("x = 1",), "It needs a server."),
        Block("page.md", 9, "text", ("```",), ""),
    ]
