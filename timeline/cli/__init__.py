"""The `timeline` command: parses, calls the Python API, prints. No logic of its own.

The group and what the commands share live in `shell`; the commands, by what they do, in
`writing`, `reading`, `proofs` and `publishing`. The engine is imported inside the commands that
use it, so `timeline --version` and `--help` start in a few tens of milliseconds.
"""

from __future__ import annotations

from timeline.cli import proofs, publishing, reading, writing
from timeline.cli.shell import cli

__all__ = ["cli", "main", "proofs", "publishing", "reading", "writing"]


def main() -> None:
    cli(prog_name="timeline")
