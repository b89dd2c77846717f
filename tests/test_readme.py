"""The README's Walkthrough shows real output: every `$ timeline ...` command in it is run and compared.

Convention for the README's sample blocks (fenced code blocks in the Walkthrough section):
- a line starting with `$ timeline ` is a command, run against the bundled log;
- the lines after it, up to the next command or the end of the block, are its output;
- a line that is just `...` elides output: the lines between two elisions must appear in the
  real output as one unbroken run, in the order shown; the lines before the first elision
  must be where the output starts, and, unless the block ends with `...`, the lines after the
  last elision must be where it ends. Trailing spaces are ignored.
So a README that drifts from what the commands print fails here, while it can still shorten
long output with `...`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from timeline.cli import cli

README = Path(__file__).parent.parent / "README.md"
ELISION = "..."


@attrs.frozen
class Sample:
    command: str
    shown: tuple[str, ...]


def walkthrough_samples(text: str) -> list[Sample]:
    section = text.split("\n## Walkthrough", 1)[1].split("\n## ", 1)[0]
    samples = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL):
        command: str | None = None
        shown: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ timeline "):
                if command is not None:
                    samples.append(Sample(command, tuple(shown)))
                command, shown = line.removeprefix("$ "), []
            elif command is not None:
                shown.append(line.rstrip())
        if command is not None:
            samples.append(Sample(command, tuple(shown)))
    return samples


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(shown: tuple[str, ...], actual: list[str]) -> str | None:
    """None when `actual` is what `shown` shows, `...` eliding lines; else what differs."""
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
        start = next((start for start in starts if actual[start : start + size] == segment), None)
        if start is None:
            where = "at the start" if index == 0 else "after the lines before it"
            end = " and ending the output" if index == len(segments) - 1 else ""
            return f"these lines are not in the output {where}{end}:\n" + "\n".join(segment)
        position = start + size
    return None


SAMPLES = walkthrough_samples(README.read_text(encoding="utf-8"))


def test_the_walkthrough_has_samples_to_check():
    assert len(SAMPLES) >= 5
    assert any(sample.command.startswith("timeline state") for sample in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample.command for sample in SAMPLES])
def test_readme_sample_output_is_what_the_command_prints(sample):
    result = CliRunner().invoke(cli, shlex.split(sample.command)[1:])
    assert result.exit_code == 0, result.output
    actual = _trim([line.rstrip() for line in result.output.splitlines()])
    problem = matches(sample.shown, actual)
    assert problem is None, f"{sample.command}: {problem}\n--- real output ---\n{result.output}"


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
