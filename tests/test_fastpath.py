"""The fast import path gives the converter's record or no answer: never another record, never
a pass for what the converter refuses. Its refusals go to the converter, so errors are the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import AUGUST_2024, events

from events import registry
from events.codec import event_from_record, event_to_record
from events.errors import InvalidEvent
from events.fastpath import _payload_checkers, record_from_json
from timeline.errors import BadEvent
from timeline.jsonl import event_from_json, parse_record, read_events

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**13) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


def converter_record(line: bytes) -> dict[str, Any] | None:
    """What the cattrs path makes of a line: its record, or None when it refuses it."""
    try:
        return event_to_record(event_from_record(parse_record(line.decode("utf-8"))))
    except (ValueError, InvalidEvent, UnicodeDecodeError):
        return None


def assert_agrees(line: bytes) -> None:
    fast = record_from_json(line)
    if fast is None:
        return
    slow = converter_record(line)
    assert slow is not None, f"the fast path accepted what the converter refuses: {line!r}"
    if "event_id" not in json.loads(line):
        slow["event_id"] = fast["event_id"]  # both made up a UUID
    assert fast == slow
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)  # same types, too


def spellings(record: dict[str, Any]) -> list[bytes]:
    """Ways a producer may write one record."""
    return [
        json.dumps(record, ensure_ascii=False).encode(),
        json.dumps(record).encode(),  # \\u escapes: the slow path's
        json.dumps(dict(reversed(record.items())), ensure_ascii=False, indent=1).replace("\n", " ").encode(),
        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\r\n",
    ]


@given(events(window=AUGUST_2024))
def test_valid_events_give_the_converters_record(event):
    record = event_to_record(event)
    for line in spellings(record):
        assert_agrees(line)
    plain = json.dumps(record, ensure_ascii=False).encode()
    if b"\\" not in plain and record["kind"] in _payload_checkers():
        # The common case takes the fast path.
        assert record_from_json(plain) == record


def test_the_kinds_with_a_fast_path():
    # A kind whose fields the fast path does not know (numbers with their own validators, as
    # ACLED's incidents have) is read by the converter alone: slower, never different.
    assert set(_payload_checkers()) >= {
        "border.crossed",
        "territory.claimed",
        "settlement.claimed",
        "emergency.declared",
        "emergency.lifted",
        "prisoners.captured",
        "official.appointed",
        "civilians.displaced",
        "statement.made",
        "forces.redeployed",
        "event.retracted",
        "casualties.reported",
    }


@given(events(window=AUGUST_2024), st.data())
def test_defaults_written_out_and_floats_give_the_same_record(event, data):
    record = event_to_record(event)
    for name, value in (("unverified", False), ("note", None), ("date_precision", "day"), ("schema_version", None)):
        if name not in record and data.draw(st.booleans()):
            record[name] = value if name != "schema_version" else registry.current_version(record["kind"])
    for key, value in list(record["data"].items()):
        if isinstance(value, dict) and "value" in value and data.draw(st.booleans()):
            record["data"][key] = {**value, "value": float(value["value"])}  # 1000.0 is 1000
    assert_agrees(json.dumps(record, ensure_ascii=False).encode())


@st.composite
def near_valid_lines(draw: st.DrawFn) -> bytes:
    """A valid record with one thing changed: a value, a missing or extra key, a repeated key."""
    record = event_to_record(draw(events(window=AUGUST_2024, small_pools=True)))
    paths = [(name,) for name in record] + [("data", name) for name in record["data"]]
    paths += [
        ("data", name, inner) for name, value in record["data"].items() if isinstance(value, dict) for inner in value
    ]
    path = draw(st.sampled_from(paths))
    parent = record
    for part in path[:-1]:
        parent = parent[part]
    change = draw(st.sampled_from(["value", "delete", "extra", "repeat"]))
    if change == "value":
        parent[path[-1]] = draw(JSON_VALUES)
    elif change == "delete":
        del parent[path[-1]]
    elif change == "extra":
        parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    line = json.dumps(record, ensure_ascii=False)
    if change == "repeat":
        key = json.dumps(path[-1], ensure_ascii=False)
        line = line.replace(key + ":", f"{key}: {json.dumps(draw(JSON_VALUES))}, {key}:", 1)
    return line.encode()


@given(near_valid_lines())
def test_near_valid_lines_get_the_converters_answer(line):
    assert_agrees(line)
    if converter_record(line) is None:
        assert record_from_json(line) is None


@given(st.binary(max_size=200) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_random_lines_never_pass_the_fast_path_alone(line):
    assert_agrees(line)


@pytest.mark.parametrize(
    "line, field",
    [
        (b'{"kind": "statement.made", "occurred_on": "2024-08-12", "source": "x", "data": {"speaker": "", "summary": "s"}}', "data.speaker"),
        (b'{"kind": "prisoners.captured", "occurred_on": "2024-08-12", "source": "x", "data": {"captor": "c", "count": -1, "basis": "total"}}', "data.count"),
        (b'{"kind": "statement.made", "occurred_on": "2024-08-12", "reported_on": "2024-08-11", "source": "x", "data": {"speaker": "s", "summary": "s"}}', "reported_on"),
        (b'{"kind": "statement.made", "occurred_on": "2024-08-12", "source": "x", "source": "y", "data": {"speaker": "s", "summary": "s"}}', None),
    ],
)  # fmt: skip
def test_a_refused_line_gets_the_converters_one_line_error(line, field):
    assert record_from_json(line) is None
    with pytest.raises(BadEvent) as slow:
        event_from_json(line.decode(), where="f.jsonl:3")
    import io

    with pytest.raises(BadEvent) as imported:
        list(read_events(io.BytesIO(b"\n\n" + line + b"\n"), "f.jsonl"))
    assert str(imported.value) == str(slow.value)
    assert "f.jsonl:3" in str(imported.value)
    if field:
        assert field in str(imported.value)
