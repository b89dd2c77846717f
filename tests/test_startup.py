"""Start-up: a command imports only what it uses.

Counted, not timed: each module named here cost 10-90 ms of every command's start when it was
imported up front (sqlite-utils pulls in numpy where it is installed), and a script asking a
hundred questions pays start-up a hundred times.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from timeline.api import Timeline

HEAVY = ("sqlite_utils", "numpy", "tabulate", "cryptography", "psycopg", "matplotlib", "shapely", "pyproj")

PROBE = """
import json, sys
from timeline.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, check=True
    )
    return list(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.fixture
def database(tmp_path, dataset_path):
    path = tmp_path / "kursk.db"
    with Timeline.init(path) as timeline:
        timeline.import_jsonl(dataset_path)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["state", "--as-of", "2024-08-16"],
        ["state", "--as-of", "2024-08-16", "--known-on", "2024-08-12"],
        ["diff", "2024-08-10", "2024-08-16"],
        ["why", "settlements.Sudzha"],
        ["log", "--kind", "settlement.claimed"],
        ["verify"],
        [
            "append",
            "statement.made",
            "--on",
            "2024-08-20",
            "--source",
            "Test",
            "--data",
            '{"speaker": "A", "summary": "B"}',
        ],
    ],
    ids=lambda command: " ".join(command[:1]) + (" --known-on" if "--known-on" in command else ""),
)
def test_a_command_on_an_sqlite_log_imports_none_of_the_heavy_modules(database, command):
    assert imported_by(*command, "--db", str(database)) == []


def test_the_modules_are_still_there_for_the_commands_that_need_them(database):
    # The probe can see an import: the table of `days` needs tabulate.
    assert imported_by("days", "--db", str(database)) == ["tabulate"]
