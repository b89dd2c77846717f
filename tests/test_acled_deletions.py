"""ACLED's deleted-events list: each deletion withdraws the log's version from its deletion day;
deletions of events the log never held are counted, not refused."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from acled_samples import csv_bytes, row, timestamp
from helpers import invoke

from timeline.api import Timeline
from timeline.errors import BadEvent
from timeline.formats.acled import claim_id, incident_id
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


def deletions_csv(*deletions: tuple[str, int]) -> bytes:
    lines = ["event_id_cnty,deleted_timestamp", *(f"{record},{at}" for record, at in deletions)]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def timeline() -> Timeline:
    timeline = Timeline(memory_store())
    rows = [
        row("RUS1", day(6), revised=day(10)),
        row("RUS2", day(7), revised=day(12)),
        row("RUS3", day(8), revised=day(10), sub_event_type="Non-state actor overtakes territory"),
    ]
    timeline.import_acled(io.BytesIO(csv_bytes(rows)), name="acled.csv")
    return timeline


def delete(timeline: Timeline, data: bytes, name: str = "deleted.csv"):
    return timeline.import_file(io.BytesIO(data), "acled-deleted", name=name)


def visible_ids(timeline: Timeline, known_on: dt.date | None = None) -> set[str]:
    return {recorded.event.event_id for recorded in timeline.visible_events(known_on=known_on)}


def test_a_deletion_withdraws_the_version_from_its_deletion_day(timeline):
    result = delete(
        timeline,
        deletions_csv(
            ("RUS1", timestamp(day(15))),
            ("RUS3", timestamp(day(16))),
            ("UKR999", timestamp(day(15))),  # another country's event: not in this log
            ("RUS2", timestamp(day(11))),  # deleted before the version the log holds
            ("RUS1", timestamp(day(15))),
        ),
    )
    counts = result.counts
    assert (counts.rows, counts.deleted, counts.unknown, counts.older, counts.repeated) == (5, 2, 1, 1, 1)
    assert result.append.count == 3  # RUS1; RUS3 and its settlement claim
    rus1, rus2 = incident_id("RUS1", timestamp(day(10))), incident_id("RUS2", timestamp(day(12)))
    rus3 = incident_id("RUS3", timestamp(day(10)))
    assert {rus1, rus3, claim_id(rus3)} <= visible_ids(timeline, known_on=day(14))
    assert rus1 not in visible_ids(timeline, known_on=day(15)) and rus3 in visible_ids(timeline, known_on=day(15))
    assert visible_ids(timeline, known_on=day(16)) & {rus1, rus3, claim_id(rus3)} == set()
    assert rus2 in visible_ids(timeline)
    assert (result.known_from, result.known_to) == (day(15).isoformat(), day(16).isoformat())


def test_the_same_list_again_appends_nothing(timeline):
    data = deletions_csv(("RUS1", timestamp(day(15))))
    delete(timeline, data)
    again = delete(timeline, data)
    assert (again.counts.already_withdrawn, again.append.count) == (1, 0)


def test_the_apis_json_imports_as_its_csv_does(timeline):
    document = {"status": 200, "data": [{"event_id_cnty": "RUS1", "deleted_timestamp": str(timestamp(day(15)))}]}
    result = delete(timeline, json.dumps(document).encode(), name="deleted.json")
    assert (result.counts.deleted, result.append.count) == (1, 1)


def test_the_command_says_what_it_did_and_what_it_changed(tmp_path):
    db = tmp_path / "log.db"
    (tmp_path / "acled.csv").write_bytes(csv_bytes([row("RUS1", day(6), revised=day(10))]))
    (tmp_path / "deleted.csv").write_bytes(deletions_csv(("RUS1", timestamp(day(15))), ("UKR9", timestamp(day(15)))))
    assert invoke("init", "--db", db).exit_code == 0
    assert invoke("import", tmp_path / "acled.csv", "--format", "acled", "--db", db).exit_code == 0
    result = invoke("import", tmp_path / "deleted.csv", "--format", "acled-deleted", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "2 deletions: 1 deleted, 1 not in the log; appended 1 retraction; the log ends at seq 2"
    assert lines[2] == f"what it changed: timeline learned {day(14)} {day(15)}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"event_id_cnty,when\r\nRUS1,1\r\n", "row 1: missing column deleted_timestamp"),
        (deletions_csv(("RUS1", "soon")), "row 2: deleted_timestamp: expected Unix seconds"),  # type: ignore[arg-type]
        (b"event_id_cnty,deleted_timestamp\r\n,1723800000\r\n", "row 2: event_id_cnty: empty (required)"),
        (b'{"data": {"event_id_cnty": "RUS1"}}', 'expected the API\'s {"data": [...]}'),
    ],
)
def test_a_bad_list_is_refused_in_one_line_and_changes_nothing(tmp_path, fingerprint, content, message):
    db = tmp_path / "log.db"
    (tmp_path / "acled.csv").write_bytes(csv_bytes([row("RUS1", day(6), revised=day(10))]))
    assert invoke("init", "--db", db).exit_code == 0
    assert invoke("import", tmp_path / "acled.csv", "--format", "acled", "--db", db).exit_code == 0
    before = fingerprint(db)
    source = tmp_path / "deleted.csv"
    source.write_bytes(content)
    result = invoke("import", source, "--format", "acled-deleted", "--db", db)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert result.output.startswith(f"Error: {source}") and message in result.output, result.output
    assert fingerprint(db) == before


def test_a_deletion_list_is_no_acled_export():
    timeline = Timeline(memory_store())
    with pytest.raises(
        BadEvent, match=r"deleted.csv:row 1: ACLED's deleted-events list, not an export: .*acled-deleted"
    ):
        timeline.import_acled(io.BytesIO(deletions_csv(("RUS1", 1723800000))), name="deleted.csv")
    with pytest.raises(BadEvent, match=r"export.csv: an ACLED export, not its deleted-events list: .*--format acled"):
        delete(timeline, csv_bytes([row("RUS1", day(6))]), name="export.csv")
