"""The formats register themselves by name; the names the CLI offers are the registered ones, and
an error that names an argument speaks the caller's language (the API's parameter, the CLI's flag)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from timeline import formats
from timeline.api import Timeline
from timeline.cli import cli
from timeline.errors import BadArgument, BadInput


def test_the_formats_the_cli_offers_are_the_registered_ones():
    assert sorted(formats.EXPORT_FORMATS) == sorted(formats.exporters())
    assert sorted(formats.IMPORT_FORMATS) == sorted(formats.importers())


def test_an_unknown_format_is_refused_naming_the_known_ones():
    with pytest.raises(BadInput, match=r"unknown export format .xlsx.*csv"):
        Timeline.bundled().export("xlsx")


def test_an_argument_is_named_as_the_api_names_it_and_as_the_cli_names_it():
    with pytest.raises(BadArgument, match=r"^occurred_from 2024-08-20 is after occurred_to 2024-08-10$"):
        list(Timeline.bundled().events(occurred_from=dt.date(2024, 8, 20), occurred_to=dt.date(2024, 8, 10)))
    result = CliRunner().invoke(cli, ["log", "--from", "2024-08-20", "--to", "2024-08-10"])
    assert result.exit_code == 2 and "Error: --from 2024-08-20 is after --to 2024-08-10" in result.stderr
    with pytest.raises(BadArgument, match=r"^day must be 1 or more"):
        Timeline.bundled().date_of_day(0)
