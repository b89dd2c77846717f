"""Hostile input: the `timeline` command refuses it with one clean line and writes nothing.

Three families of input, each refused with exit code 2, exactly one line on
stderr that starts "Error: " and names the input (and the line, for a line of a JSONL file), no
traceback, `SystemExit` as the runner's exception, and the log byte-for-byte as it was:

1. `import` of random and near-valid JSONL. Valid lines come from `strategies.event_logs`; one
   line is broken on purpose (wrong type, missing or unknown field, NaN, huge or deeply nested
   numbers, invalid UTF-8, lone surrogates, control characters, an over-long line, impossible
   dates, bad quantities, a bare value, truncated JSON, a stray BOM) and put at a random position,
   so an import that was not atomic would leave the valid lines before it in the log.
2. `append --data` fed hostile JSON text, and every date option of every command fed hostile text.
3. `--db` naming the wrong kind of file: missing, a directory, not SQLite, SQLite but not a
   timeline, a timeline from a newer store schema, a read-only file, a path in a missing folder.

tests/test_cli_log.py holds the example-based cases (one per kind of bad line, and log / verify /
import / append against a missing path, a text file, another SQLite file and a directory); this
file adds the generated inputs and the rest of the command x file matrix.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gc
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from strategies import event_logs, events, payloads

from events import registry
from events.codec import converter, event_to_record
from timeline.api import Timeline
from timeline.cli import cli
from timeline.errors import NotATimeline
from timeline.formats.jsonl import MAX_LINE_BYTES
from timeline.store import BATCH_SIZE
from timeline.store import sqlite_schema as schema

REPO = Path(__file__).resolve().parents[1]

# Hypothesis runs these tests against fixtures that only hand out pure functions or a database
# that the test copies per example, so function-scoped fixtures are safe to share.
HOSTILE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Each test is parametrized by kind of hostile input (or by option), so a few examples each
# cover every kind; the whole file stays well under a minute.
PER_FAMILY = settings(HOSTILE, max_examples=10)
PER_OPTION = settings(HOSTILE, max_examples=15)

BOM = b"\xef\xbb\xbf"
# C0 and C1 controls and DEL: one of these in an error line could move the cursor or recolour the
# terminal. The CLI escapes them (`one_line`); an error line must hold none.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
STATEMENT_DATA = '{"speaker": "Valery Gerasimov", "summary": "The advance has been stopped."}'


# --------------------------------------------------------------------------------------------
# Running the command and judging a refusal
# --------------------------------------------------------------------------------------------


def invoke(args: list[Any], *, input: bytes | str | None = None, catch_exceptions: bool = False):
    """The CLI in-process. Exceptions propagate (a crash fails the test with its traceback)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input, catch_exceptions=catch_exceptions)


def assert_refused(result: Any, *fragments: str, starts: str | None = None) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr starting "Error: ", no traceback."""
    assert result.exit_code == 2, (
        result.exit_code,
        result.stdout[-2000:],
        result.stderr[-2000:],
        repr(result.exception),
    )
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught error
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    error = result.stderr
    assert error.startswith("Error: ") and error.endswith("\n") and error.count("\n") == 1 and "\r" not in error, error
    line = error[:-1]
    assert not CONTROL_CHARACTER.search(line), line
    if starts is not None:
        assert line.startswith(starts), (starts, line)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def assert_usage_refused(result: Any, *fragments: str) -> str:
    """Click's own refusal of an option value: the usage hint, then one "Error: " line naming the option."""
    assert result.exit_code == 2, (
        result.exit_code,
        result.stdout[-2000:],
        result.stderr[-2000:],
        repr(result.exception),
    )
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.split("\n") if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert all(line.startswith(("Usage: ", "Try ")) for line in lines if line not in errors), result.stderr
    assert "\r" not in result.stderr and not CONTROL_CHARACTER.search(errors[0]), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, as the fingerprint sees a log: an empty `-wal`
    holds the same nothing as a missing one, and `-shm` (SQLite's scratch index, rewritten by any
    reader) is left out."""
    state = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir():
            state[name + "/"] = b""
        elif not name.endswith("-shm") and not (name.endswith("-wal") and path.stat().st_size == 0):
            state[name] = path.read_bytes()
    return state


# --------------------------------------------------------------------------------------------
# The log every test starts from
# --------------------------------------------------------------------------------------------

# Ids with capitals and underscores: the generated valid lines (mostly UUIDs and lowercase slugs)
# do not reuse one, so no generated line conflicts with the log before the broken line is reached.
BASE_LOG = [
    {
        "event_id": "BASE_crossing",
        "kind": "border.crossed",
        "occurred_on": "2024-08-06",
        "source": "Russian Ministry of Defence",
        "data": {"force": "Ukrainian forces", "from_country": "Ukraine", "into_region": "Kursk Oblast"},
    },
    {
        "event_id": "BASE_gerasimov",
        "kind": "statement.made",
        "occurred_on": "2024-08-07",
        "source": "TASS",
        "data": {"speaker": "Valery Gerasimov", "summary": "The advance has been stopped."},
    },
    {
        "event_id": "BASE_syrskyi",
        "kind": "territory.claimed",
        "occurred_on": "2024-08-12",
        "source": "Oleksandr Syrskyi",
        "data": {"claimant": "Ukraine", "area_km2": {"value": 1000, "bound": "approx"}, "basis": "total"},
    },
    {
        "event_id": "BASE_sudzha",
        "kind": "settlement.claimed",
        "occurred_on": "2024-08-14",
        "reported_on": "2024-08-15",
        "source": "Volodymyr Zelenskyy",
        "data": {
            "settlement": "Sudzha",
            "region": "Kursk Oblast",
            "status": "controlled",
            "claimant": "Ukraine",
            "controller": "Ukraine",
        },
    },
]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed timeline holding BASE_LOG, with checkpoints, that every test copies and never touches."""
    db = tmp_path_factory.mktemp("template") / "timeline.db"
    assert invoke(["init", "--db", db]).exit_code == 0
    lines = "".join(json.dumps(record) + "\n" for record in BASE_LOG)
    assert invoke(["import", "-", "--db", db], input=lines.encode()).exit_code == 0
    assert invoke(["checkpoint", "--db", db]).exit_code == 0
    assert not Path(f"{db}-wal").exists()  # the last writer closed: the main file holds everything
    return db


@pytest.fixture(scope="module")
def fresh_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """`fresh_db()`: a copy of the template in a folder of its own (one per hypothesis example)."""
    scratch = tmp_path_factory.mktemp("examples")

    def make() -> Path:
        db = Path(tempfile.mkdtemp(dir=scratch)) / "timeline.db"
        shutil.copyfile(template_db, db)
        return db

    return make


# --------------------------------------------------------------------------------------------
# Hostile JSON built from valid events: where a value sits and which JSON types it may take
# --------------------------------------------------------------------------------------------

JSON_TYPES = ("null", "bool", "number", "string", "list", "object")
# Values of each JSON type; a slot gets one of a type it does not accept.
WRONG_VALUES: dict[str, list[Any]] = {
    "null": [None],
    "bool": [True, False],
    "number": [0, -1, 2.5, 10**15],
    "string": ["", "x", "2024-08-12", "true"],
    "list": [[], ["x"], [1, 2]],
    "object": [{}, {"value": 1, "bound": "exact"}],
}
REQUIRED_ENVELOPE_FIELDS = ("kind", "occurred_on", "source", "data")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}[type(value)]


class Slot(NamedTuple):
    """A place in a record that holds a value, and the JSON types a valid value there may have."""

    path: tuple[str, ...]
    accepts: frozenset[str]
    required: bool = False

    @property
    def field(self) -> str:
        # The field an error names: quantity parts (`data.count.bound`) are reported on the quantity.
        return ".".join(self.path[:2])


def data_slots(kind: str, data: dict[str, Any], prefix: tuple[str, ...]) -> list[Slot]:
    """The slots of a payload: each field present, and the parts of each quantity given as an object."""
    fields = attrs.fields_dict(registry.payload_class(kind))
    slots = []
    for name, value in data.items():
        field = fields[name]
        optional = field.default is not attrs.NOTHING
        quantity = "Quantity" in str(field.type)
        accepts = {json_type(value)} | ({"null"} if optional else set()) | ({"number", "object"} if quantity else set())
        slots.append(Slot((*prefix, name), frozenset(accepts), required=not optional))
        if quantity and isinstance(value, dict):
            for part in value:
                part_accepts = (
                    {"string"} if part == "bound" else {"number"} | ({"null"} if part in ("low", "high") else set())
                )
                slots.append(Slot((*prefix, name, part), frozenset(part_accepts)))
    return slots


def record_slots(record: dict[str, Any]) -> list[Slot]:
    """The slots of an event record: the envelope's fields, then the payload's."""
    slots = [
        Slot(
            (name,),
            frozenset({json_type(value)} | ({"null"} if name == "note" else set())),
            name in REQUIRED_ENVELOPE_FIELDS,
        )
        for name, value in record.items()
    ]
    return slots + data_slots(record["kind"], record["data"], ("data",))


def with_value(root: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    root = copy.deepcopy(root)
    holder = root
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return root


def without(root: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    root = copy.deepcopy(root)
    holder = root
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return root


def dumps(value: Any) -> bytes:
    # surrogatepass: a lone surrogate in a str (as from undecodable argv bytes) stays one in the bytes
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# A value no valid record holds (valid text has no control characters): its JSON spelling is
# swapped for raw bytes, which need not be JSON at all.
MARKER = "\x01hostile\x01"
MARKER_JSON = json.dumps(MARKER).encode()


def with_raw(root: dict[str, Any], path: tuple[str, ...], raw: bytes) -> bytes:
    """`root` as JSON with the value at `path` replaced by the raw bytes `raw`."""
    if not path:
        return raw
    line = dumps(with_value(root, path, MARKER))
    assert line.count(MARKER_JSON) == 1
    return line.replace(MARKER_JSON, raw)


class Bad(NamedTuple):
    """A broken piece of input and what its error must say (every fragment, in the error line)."""

    text: bytes
    what: str
    fragments: tuple[str, ...] = ()


NON_FINITE = (b"NaN", b"Infinity", b"-Infinity")
HUGE_INTEGER = str(10**400).encode()
TOO_MANY_DIGITS = b"9" * 5000  # past Python's int-from-text limit (4,300 digits)
DEEP = (b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"0" + b"}" * 10_000)
INVALID_UTF8 = (b'"\xff"', b'"\xe2\x82"', b'"a\xc0\xafb"', b'"\xed\xa0\x80"', b'"\xf8\x88\x80\x80\x80"')
LONE_SURROGATES = (b'"\\ud800"', b'"\\udfff"', b'"a\\udc80b"', b'"\\ud800\\ud800"')
# Escaped, a control character is valid JSON that the validators refuse; raw, it is not JSON.
# (Tab is allowed in text; a raw newline would end the line.)
ESCAPED_CONTROLS = [c for c in map(chr, [*range(0x20), *range(0x7F, 0xA0)]) if c != "\t"]
RAW_CONTROLS = [bytes([c]) for c in range(0x20) if c not in (0x09, 0x0A)]
IMPOSSIBLE_DATES = (
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-04-31",
    "2024-12-32",
    "0000-01-01",
    "2024-8-1",
    "20240812",
    "2024/08/12",
    "12.08.2024",
    "2024-08-12T00:00:00",
    " 2024-08-12",
    "2024-08-12 ",
    "２０２４-０８-１２",
    "",
    None,
    20240812,
    ["2024-08-12"],
)
BAD_QUANTITIES = (
    -1,
    -0.001,
    -(10**12),
    10**12 + 1,
    "1000",
    "about 800",
    True,
    [800],
    {"value": -5, "bound": "exact"},
    {"value": "5"},
    {"value": None},
    {"bound": "exact"},
    {"value": 5, "bound": "roughly"},
    {"value": 5, "low": 10, "high": 1},
    {"value": 5, "low": 1},
    {"value": 5, "low": None, "high": 7},
    {"value": 1, "unit": "km"},
)
BARE_VALUES = (b"[]", b"3", b'"x"', b"null", b"true", b"[{}]", b"-0", b'"{}"', b"[" + dumps(BASE_LOG[1]) + b"]")
# Names an error quotes as they are: with a newline or an escape sequence, they test that it stays one clean line.
UNKNOWN_NAMES = (
    "colour",
    "seq",
    "hash",
    "recorded_at",
    "Kind",
    "data_",
    "",
    "x" * 200,
    "é",
    "line\nbreak",
    "\x1b[31mred",
    "\r",
)
QUANTITY_KINDS = ("civilians.displaced", "prisoners.captured", "territory.claimed")


@st.composite
def records(draw: st.DrawFn, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A valid event in the JSONL event format."""
    return event_to_record(draw(events(kinds=kinds)))


def pick_slot(slots: list[Slot]) -> st.SearchStrategy[Slot]:
    """A slot, payload fields first: drawing straight from the list would favour the envelope's first field."""
    by_depth = {depth: [slot for slot in slots if len(slot.path) == depth] for depth in (2, 3, 1)}
    return st.sampled_from([group for group in by_depth.values() if group]).flatmap(st.sampled_from)


@st.composite
def _wrong_type(draw: st.DrawFn, root: dict[str, Any], slots: list[Slot]) -> Bad:
    slot = draw(pick_slot(slots))
    wrong = draw(st.sampled_from([t for t in JSON_TYPES if t not in slot.accepts]))
    value = draw(st.sampled_from(WRONG_VALUES[wrong]))
    return Bad(dumps(with_value(root, slot.path, value)), f"{slot.field} := {value!r}", (slot.field,))


@st.composite
def _missing_field(draw: st.DrawFn, root: dict[str, Any], slots: list[Slot]) -> Bad:
    slot = draw(pick_slot([slot for slot in slots if slot.required]))
    return Bad(dumps(without(root, slot.path)), f"without {slot.field}", (slot.field, "required field missing"))


@st.composite
def _unknown_field(draw: st.DrawFn, root: dict[str, Any], slots: list[Slot], *, top_level: bool = True) -> Bad:
    holders = ([()] if top_level else []) + [slot.path for slot in slots if "object" in slot.accepts]
    holders = [path for path in holders if isinstance(_at(root, path), dict)]
    holder = draw(st.sampled_from(holders))
    name = draw(st.sampled_from(UNKNOWN_NAMES).filter(lambda n: n not in _at(root, holder)))
    return Bad(dumps(with_value(root, (*holder, name), 1)), f"unknown field {name!r} in {holder}", ("unknown",))


def _at(root: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        root = root[key]
    return root


# Raw text put where a value belongs: (the text, or a strategy for it), and what the error names
# (None: the slot's field).
RAW_VALUES: dict[str, tuple[bytes | st.SearchStrategy[bytes], tuple[str | None, ...]]] = {
    "NaN or Infinity": (st.sampled_from(NON_FINITE), ("not valid JSON",)),
    "huge integer": (HUGE_INTEGER, (None,)),
    "5000-digit integer": (TOO_MANY_DIGITS, ("not valid JSON",)),
    "deep nesting": (st.sampled_from(DEEP), ("not valid JSON", "nested too deeply")),
    "invalid UTF-8": (st.sampled_from(INVALID_UTF8), ("not valid UTF-8",)),
    "lone surrogate": (st.sampled_from(LONE_SURROGATES), (None,)),
    "escaped control character": (
        st.sampled_from(ESCAPED_CONTROLS).map(lambda c: json.dumps(f"a{c}b").encode()),
        (None,),
    ),
    "raw control character": (st.sampled_from(RAW_CONTROLS).map(lambda c: b'"a' + c + b'b"'), ("not valid JSON",)),
    "line over 1 MiB": (
        st.integers(1, 10).map(lambda n: b'"' + b"a" * (MAX_LINE_BYTES + n) + b'"'),
        (f"longer than {MAX_LINE_BYTES:,} bytes",),
    ),
}


@st.composite
def _raw_value(draw: st.DrawFn, root: dict[str, Any], slots: list[Slot], problem: str) -> Bad:
    """A slot's value replaced by raw text: not JSON, or JSON no field accepts."""
    slot = draw(pick_slot(slots))
    raw, names = RAW_VALUES[problem]
    raw = draw(raw) if isinstance(raw, st.SearchStrategy) else raw
    return Bad(
        with_raw(root, slot.path, raw), f"{slot.field} := {problem} {raw[:40]!r}", tuple(n or slot.field for n in names)
    )


@st.composite
def _impossible_date(draw: st.DrawFn, record: dict[str, Any]) -> Bad:
    name = draw(st.sampled_from(["occurred_on", "reported_on"]))
    value = draw(st.sampled_from(IMPOSSIBLE_DATES))
    return Bad(dumps({**record, name: value}), f"{name} := {value!r}", (name,))


def _reported_before_occurred(record: dict[str, Any]) -> Bad:
    occurred = dt.date.fromisoformat(record["occurred_on"])
    if occurred == dt.date.min:
        occurred += dt.timedelta(days=1)
    reported = occurred - dt.timedelta(days=1)
    bad = {**record, "occurred_on": occurred.isoformat(), "reported_on": reported.isoformat()}
    return Bad(dumps(bad), "reported_on before occurred_on", ("reported_on", "before"))


@st.composite
def _bad_quantity(draw: st.DrawFn, root: dict[str, Any], kind: str) -> Bad:
    fields = attrs.fields_dict(registry.payload_class(kind))
    name = draw(st.sampled_from([n for n in root["data"] if "Quantity" in str(fields[n].type)]))
    value = draw(st.sampled_from(BAD_QUANTITIES))
    return Bad(dumps(with_value(root, ("data", name), value)), f"data.{name} := {value!r}", (f"data.{name}",))


@st.composite
def _truncated(draw: st.DrawFn, value: dict[str, Any]) -> Bad:
    text = json.dumps(value, ensure_ascii=False)
    cut = draw(st.integers(1, len(text) - 1))  # a proper prefix of an object is never JSON
    return Bad(text[:cut].encode("utf-8"), f"cut at {cut} of {len(text)}", ("not valid JSON",))


@st.composite
def _random_line(draw: st.DrawFn) -> Bad:
    def not_blank(raw: bytes) -> bool:
        try:
            return bool(raw.decode("utf-8").removeprefix("\ufeff").strip())
        except UnicodeDecodeError:
            return True

    raw = draw(
        st.one_of(
            st.binary(min_size=1, max_size=200), st.text(min_size=1, max_size=200).map(lambda t: t.encode("utf-8"))
        )
    )
    raw = raw.replace(b"\n", b" ")
    return (
        Bad(raw, f"random {raw[:40]!r}")
        if not_blank(raw)
        else Bad(b"{", "random (blank, replaced)", ("not valid JSON",))
    )


def _from_record(
    build: Callable[[dict[str, Any]], st.SearchStrategy[Bad]], kinds: tuple[str, ...] | None = None
) -> st.SearchStrategy[Bad]:
    return records(kinds=kinds).flatmap(build)


BOM_INSIDE = "BOM inside the file"
# One strategy per kind of broken line; each makes a valid event invalid in one place.
LINE_FAMILIES: dict[str, st.SearchStrategy[Bad]] = {
    "wrong type": _from_record(lambda r: _wrong_type(r, record_slots(r))),
    "missing field": _from_record(lambda r: _missing_field(r, record_slots(r))),
    "unknown field": _from_record(lambda r: _unknown_field(r, record_slots(r))),
    **{problem: _from_record(lambda r, p=problem: _raw_value(r, record_slots(r), p)) for problem in RAW_VALUES},
    "impossible date": _from_record(_impossible_date),
    "reported before occurred": _from_record(lambda r: st.just(_reported_before_occurred(r))),
    "bad quantity": _from_record(lambda r: _bad_quantity(r, r["kind"]), QUANTITY_KINDS),
    "bare JSON value": st.sampled_from(BARE_VALUES).map(lambda raw: Bad(raw, f"bare {raw[:20]!r}", ("JSON object",))),
    "truncated JSON": _from_record(_truncated),
    # A byte-order mark belongs at the start of the file only.
    BOM_INSIDE: _from_record(lambda r: st.just(Bad(BOM + dumps(r), BOM_INSIDE, ("not valid JSON",)))),
    "random line": _random_line(),
}


class HostileFile(NamedTuple):
    content: bytes
    bad_line: int | None  # None: a problem of the whole input (no events at all)
    bad: Bad


NO_EVENTS = (b"", b"\n", b"\n\n  \n\t\n", b"\r\n\r\n", BOM, BOM + b"\n  \n", b" " * 1000)


@st.composite
def hostile_jsonl(draw: st.DrawFn, family: str) -> HostileFile:
    """Valid lines with one bad line of `family` among them, or (family "no events") an input with no events."""
    if family == "no events":
        content = draw(st.sampled_from(NO_EVENTS))
        return HostileFile(content, None, Bad(content, "no events", ("no events",)))
    bad = draw(LINE_FAMILIES[family])
    good = [dumps(event_to_record(event)) for event in draw(event_logs(max_size=4))]
    # Counted from the end, so the simplest case has every valid line before the bad one:
    # the lines a non-atomic import would have kept.
    lines: list[bytes | None] = list(good)
    lines.insert(len(good) - draw(st.integers(0, len(good))), None)  # None marks the bad line
    for _ in range(draw(st.integers(0, 2))):  # blank lines count in line numbers
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b"", b"   ", b"\t"])))
    bad_line = lines.index(None) + 1
    text = bad.text
    if bad.what == BOM_INSIDE and bad_line == 1:
        text = BOM + text  # one BOM at the start of line 1 is allowed: two are not
    lines[bad_line - 1] = text
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    content = newline.join(lines) + (newline if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        content = BOM + content  # allowed at the start: it never makes a bad line good
    return HostileFile(content, bad_line, bad)


def assert_import_refused(result: Any, name: str, hostile: HostileFile) -> None:
    where = f"{name}:{hostile.bad_line}" if hostile.bad_line is not None else name
    line = assert_refused(result, starts=f"Error: {where}: ")
    for fragment in hostile.bad.fragments:
        assert fragment in line, (hostile.bad.what, fragment, line)


# --------------------------------------------------------------------------------------------
# 1. import: random and near-valid JSONL, from a file and from stdin
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize("family", [*LINE_FAMILIES, "no events"])
@PER_FAMILY
@given(data=st.data())
def test_a_hostile_jsonl_import_is_refused_in_one_line_and_changes_nothing(fresh_db, fingerprint, source, family, data):
    hostile = data.draw(hostile_jsonl(family), label="hostile")
    db = fresh_db()
    before = fingerprint(db)
    if source == "file":
        path = db.parent / "hostile.jsonl"
        path.write_bytes(hostile.content)
        assert_import_refused(invoke(["import", path, "--db", db]), str(path), hostile)
    else:
        assert_import_refused(invoke(["import", "-", "--db", db], input=hostile.content), "<stdin>", hostile)
    assert fingerprint(db) == before


# The store parses a batch of lines before writing any of it, so a bad line among the first
# BATCH_SIZE lines is refused before anything is written. After a full batch of valid lines the
# first batch is already written inside the transaction when the bad line is read: only a real
# rollback leaves the log as it was.
FULL_BATCH = b"".join(
    dumps({**BASE_LOG[1], "event_id": f"FILL_{n}", "data": {"speaker": "Valery Gerasimov", "summary": f"Report {n}."}})
    + b"\n"
    for n in range(BATCH_SIZE)
)


# No shrinking: at a tenth of a second per example it would run for minutes; the failing example
# is reported as drawn, with its kind of bad line in `what`.
@settings(HOSTILE, max_examples=20, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(family=st.sampled_from(list(LINE_FAMILIES)), data=st.data())
def test_a_hostile_line_after_a_full_write_batch_changes_nothing(fresh_db, fingerprint, family, data):
    hostile = data.draw(hostile_jsonl(family), label="hostile")
    db = fresh_db()
    before = fingerprint(db)
    content = FULL_BATCH + hostile.content.removeprefix(BOM)  # a BOM is allowed only at the very start
    result = invoke(["import", "-", "--db", db], input=content)
    line = assert_refused(result, starts=f"Error: <stdin>:{BATCH_SIZE + hostile.bad_line}: ")
    for fragment in hostile.bad.fragments:
        assert fragment in line, (hostile.bad.what, fragment, line)
    assert fingerprint(db) == before


# --------------------------------------------------------------------------------------------
# 2a. append --data: hostile JSON text
# --------------------------------------------------------------------------------------------


def _inner(wrapped: bytes) -> bytes:
    """The value of a one-key object {"data": ...} as JSON text (it need not be valid JSON)."""
    prefix = b'{"data": '
    assert wrapped.startswith(prefix) and wrapped.endswith(b"}")
    return wrapped[len(prefix) : -1]


def _payload_family(
    build: Callable[[dict[str, Any], list[Slot], str], st.SearchStrategy[Bad]], kinds: tuple[str, ...] | None = None
):
    """(kind, --data text): a valid payload of a drawn kind, broken by `build` inside {"data": payload},
    so that slots and errors share names ("data.count")."""

    @st.composite
    def family(draw: st.DrawFn) -> tuple[str, Bad]:
        kind = draw(st.sampled_from(kinds or registry.kind_names()))
        root = {"data": converter.unstructure(draw(payloads(kind)))}
        slots = data_slots(kind, root["data"], ("data",))
        bad = draw(build(root, slots, kind))
        return kind, bad._replace(text=_inner(bad.text))

    return family()


def _whole(slots: list[Slot]) -> list[Slot]:
    return [*slots, Slot(("data",), frozenset({"object"}))]


def _any_kind(strategy: st.SearchStrategy[Bad]) -> st.SearchStrategy[tuple[str, Bad]]:
    return st.tuples(st.sampled_from(registry.kind_names()), strategy)


def _set_to(root: dict[str, Any], slot: Slot, value: str) -> Bad:
    return Bad(dumps(with_value(root, slot.path, value)), f"{slot.field} := {value[:20]!r}", (slot.field,))


def _as_data(bad: Bad) -> Bad:
    """Broken JSON text given whole as --data, in the {"data": ...} wrapping `_payload_family` removes."""
    return Bad(b'{"data": ' + bad.text + b"}", bad.what, ("--data", "not valid JSON"))


DATA_FAMILIES: dict[str, st.SearchStrategy[tuple[str, Bad]]] = {
    "wrong type": _payload_family(lambda root, slots, kind: _wrong_type(root, _whole(slots))),
    "missing field": _payload_family(lambda root, slots, kind: _missing_field(root, slots)),
    "unknown field": _payload_family(lambda root, slots, kind: _unknown_field(root, _whole(slots), top_level=False)),
    # Undecodable bytes cannot be in a str argument (see "argv surrogate"); --data has no line limit.
    **{
        problem: _payload_family(lambda root, slots, kind, p=problem: _raw_value(root, _whole(slots), p))
        for problem in RAW_VALUES
        if problem not in ("invalid UTF-8", "line over 1 MiB")
    },
    # A terminal hands Python undecodable argv bytes as lone surrogates (surrogateescape).
    "argv surrogate": _payload_family(
        lambda root, slots, kind: pick_slot(slots).map(lambda s: _set_to(root, s, "a\udcffb"))
    ),
    "text over the limit": _payload_family(
        lambda root, slots, kind: pick_slot(slots).map(lambda s: _set_to(root, s, "a" * 20_001))
    ),
    "bad quantity": _payload_family(lambda root, slots, kind: _bad_quantity(root, kind), QUANTITY_KINDS),
    "truncated JSON": _payload_family(lambda root, slots, kind: _truncated(root["data"]).map(_as_data)),
    "BOM": _payload_family(lambda root, slots, kind: st.just(_as_data(Bad(BOM + dumps(root["data"]), "BOM")))),
    "not an object": _any_kind(
        st.sampled_from([*BARE_VALUES, *NON_FINITE, HUGE_INTEGER, *DEEP, b""]).map(
            lambda raw: Bad(raw, f"bare {raw[:20]!r}")
        )
    ),
    "random text": _any_kind(st.text(max_size=100).map(lambda text: Bad(text.encode("utf-8"), "random text"))),
}


@pytest.mark.parametrize("family", list(DATA_FAMILIES))
@PER_FAMILY
@given(data=st.data())
def test_hostile_append_data_is_refused_in_one_line_and_changes_nothing(fresh_db, fingerprint, family, data):
    kind, bad = data.draw(DATA_FAMILIES[family], label="kind, bad")
    db = fresh_db()
    before = fingerprint(db)
    text = bad.text.decode("utf-8", "surrogatepass")
    result = invoke(["append", kind, "--db", db, "--on", "2024-08-10", "--source", "S", f"--data={text}"])
    line = assert_refused(result, "data")
    for fragment in bad.fragments:
        assert fragment in line, (bad.what, fragment, line)
    assert fingerprint(db) == before


# --------------------------------------------------------------------------------------------
# 2b. Date options of every command
# --------------------------------------------------------------------------------------------


def is_a_calendar_day(text: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


# Digits of other scripts: fullwidth, Arabic-Indic, Devanagari, mathematical bold.
DIGIT_ZEROS = (0xFF10, 0x0660, 0x0966, 0x1D7CE)


def in_other_digits(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


SPELLINGS = (
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y-%m-%dT00:00",
    "%Y-%m-%d 00:00:00",
    " %Y-%m-%d",
    "%Y-%m-%d\n",
    "%Y/%m/%d",
    "%b %d %Y",
    "%Y-W%W",
    "%Y-%j",
    "+%Y-%m-%d",
    "%Y-%m-%d%z",
    "'%Y-%m-%d'",
)


def hostile_days() -> st.SearchStrategy[str]:
    """Text that is not a calendar day as YYYY-MM-DD, much of it close to one."""
    return st.one_of(
        st.sampled_from(
            [d for d in IMPOSSIBLE_DATES if isinstance(d, str)]
            + ["2024-02-29x", "-2024-08-12", "10000-01-01", "yesterday", "today"]
        ),
        st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)),
        st.builds(lambda d, f: d.strftime(f), st.dates(), st.sampled_from(SPELLINGS)),
        st.builds(lambda d, z: in_other_digits(d.isoformat(), z), st.dates(), st.sampled_from(DIGIT_ZEROS)),
        st.text(max_size=20),
        st.sampled_from(["9" * 1000, "2024-08-12" * 10_000, "-" * 5000]),
    ).filter(lambda text: not is_a_calendar_day(text))


DAY = object()  # where the hostile day goes in a command line
DB = object()

DATE_OPTIONS = {
    "append --on": (
        ["append", "statement.made", "--db", DB, "--on={}", "--source", "S", "--data", STATEMENT_DATA],
        "'--on'",
    ),
    "append --reported-on": (
        [
            "append",
            "statement.made",
            "--db",
            DB,
            "--on",
            "2024-08-10",
            "--reported-on={}",
            "--source",
            "S",
            "--data",
            STATEMENT_DATA,
        ],
        "'--reported-on'",
    ),
    "log --from": (["log", "--db", DB, "--from={}"], "'--from'"),
    "log --to": (["log", "--db", DB, "--to={}"], "'--to'"),
    "state --as-of": (["state", "--db", DB, "--as-of={}"], "'--as-of'"),
    "state --known-on": (["state", "--db", DB, "--known-on={}"], "'--known-on'"),
    "diff FROM": (["diff", "--db", DB, "--", DAY, "2024-08-20"], "'FROM'"),
    "diff TO": (["diff", "--db", DB, "--", "2024-08-06", DAY], "'TO'"),
    "diff --known-on": (["diff", "--db", DB, "--known-on={}", "2024-08-06", "2024-08-20"], "'--known-on'"),
    "days --known-on": (["days", "--db", DB, "--known-on={}"], "'--known-on'"),
    "why --as-of": (["why", "settlements.Sudzha", "--db", DB, "--as-of={}"], "'--as-of'"),
    "why --known-on": (["why", "settlements.Sudzha", "--db", DB, "--known-on={}"], "'--known-on'"),
}


def command_line(template: list[Any], db: Path, day: str) -> list[Any]:
    # "--opt=value" and "--" keep a value that starts with "-" from being read as an option.
    out = []
    for part in template:
        if part is DB:
            out.append(db)
        elif part is DAY:
            out.append(day)
        elif isinstance(part, str) and part.endswith("={}"):
            out.append(part[:-2] + day)
        else:
            out.append(part)
    return out


@pytest.mark.parametrize("option", list(DATE_OPTIONS))
@PER_OPTION
@given(day=hostile_days())
def test_a_hostile_date_option_is_refused_and_changes_nothing(fresh_db, fingerprint, option, day):
    template, named = DATE_OPTIONS[option]
    db = fresh_db()
    before = fingerprint(db)
    assert_usage_refused(invoke(command_line(template, db, day)), named)
    assert fingerprint(db) == before


def test_the_date_options_work_when_the_day_is_real(fresh_db):
    # Guards the test above: with a real day every one of those command lines runs.
    for option, (template, _) in DATE_OPTIONS.items():
        db = fresh_db()
        result = invoke(command_line(template, db, "2024-08-15"))
        assert result.exit_code == 0, (option, result.stderr)


# The template's day 1 is 2024-08-06; the calendar ends on 9999-12-31.
LAST_DAY_NUMBER = (dt.date.max - dt.date(2024, 8, 6)).days + 1


@pytest.mark.parametrize("command", [["state"], ["why", "settlements.Sudzha"]], ids=["state", "why"])
@PER_OPTION
@given(
    day=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=LAST_DAY_NUMBER + 1),
        st.sampled_from([10**30, -(10**30), 2**63, 2**64]),
    )
)
def test_a_day_number_outside_the_calendar_is_refused_and_changes_nothing(fresh_db, fingerprint, command, day):
    db = fresh_db()
    before = fingerprint(db)
    assert_refused(invoke([*command, "--db", db, f"--day={day}"]), "--day", str(day)[:40])
    assert fingerprint(db) == before


def _not_an_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("command", [["state"], ["why", "settlements.Sudzha"]], ids=["state", "why"])
@PER_OPTION
@given(
    day=st.one_of(st.sampled_from(["", "1.5", "1e3", "ten", "10**30", "0x10", "--1"]), st.text(max_size=20)).filter(
        _not_an_integer
    )
)
def test_a_day_that_is_not_a_number_is_refused_and_changes_nothing(fresh_db, fingerprint, command, day):
    db = fresh_db()
    before = fingerprint(db)
    assert_usage_refused(invoke([*command, "--db", db, f"--day={day}"]), "'--day'")
    assert fingerprint(db) == before


def test_the_last_day_of_the_calendar_is_a_day_number_that_works(fresh_db):
    # Guards the bound above: LAST_DAY_NUMBER is accepted, so the refusals start right after it.
    result = invoke(["state", "--db", fresh_db(), f"--day={LAST_DAY_NUMBER}", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["as_of"] == "9999-12-31"


# --------------------------------------------------------------------------------------------
# 3. Wrong files behind --db
# --------------------------------------------------------------------------------------------


def command_args(command: str, db: Path, events_file: Path) -> list[Any]:
    return {
        "init": ["init", "--db", db],
        "append": [
            "append",
            "statement.made",
            "--db",
            db,
            "--on",
            "2024-08-10",
            "--source",
            "S",
            "--data",
            STATEMENT_DATA,
        ],
        "import": ["import", events_file, "--db", db],
        "log": ["log", "--db", db],
        "state": ["state", "--db", db, "--as-of", "2024-08-10"],
        "diff": ["diff", "2024-08-06", "2024-08-14", "--db", db],
        "days": ["days", "--db", db],
        "why": ["why", "settlements.Sudzha", "--db", db],
        "export": ["export", "--db", db],
        "verify": ["verify", "--db", db],
        "checkpoint": ["checkpoint", "--db", db],
    }[command]


COMMANDS = ("init", "append", "import", "log", "state", "diff", "days", "why", "export", "verify", "checkpoint")
WRITERS = ("init", "append", "import", "checkpoint")


def _sqlite_without_a_log(db: Path, fresh_db: Callable[[], Path]) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('not a timeline')")
        conn.commit()


def _newer_store_schema(db: Path, fresh_db: Callable[[], Path]) -> None:
    shutil.copyfile(fresh_db(), db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
        conn.commit()


WRONG_FILES: dict[str, tuple[Callable[[Path, Callable[[], Path]], None] | None, str]] = {
    # kind: (how to make it at the db path, what the error says)
    "missing": (None, "no such file"),
    "directory": (lambda db, _: db.mkdir(), "directory"),
    "text file": (lambda db, _: db.write_text("my notes\n"), "not a timeline"),
    "empty file": (lambda db, _: db.write_bytes(b""), "not a timeline"),
    "random bytes": (lambda db, _: db.write_bytes(random.Random(2024).randbytes(10_000)), "not a timeline"),
    "sqlite header, garbage after": (
        lambda db, _: db.write_bytes(b"SQLite format 3\x00" + b"\xa5" * 8000),
        "not a timeline",
    ),
    "sqlite without a log": (_sqlite_without_a_log, "not a timeline"),
    "newer store schema": (_newer_store_schema, "newer version"),
    "in a missing folder": (None, "no such file"),
}
# Pairs tests/test_cli_log.py already covers (TestNotATimeline and the init tests).
ALREADY_COVERED = {
    *(
        (command, kind)
        for command in ("log", "verify", "import", "append")
        for kind in ("missing", "text file", "sqlite without a log", "directory")
    ),
    ("init", "text file"),
    ("init", "in a missing folder"),
}
# init creates a missing file; and it makes an empty file (as `touch` leaves one) a new timeline.
NOT_AN_ERROR = {("init", "missing"), ("init", "empty file")}
WRONG_FILE_CASES = [
    pytest.param(command, kind, id=f"{command}-{kind}")
    for kind in WRONG_FILES
    for command in COMMANDS
    if (command, kind) not in ALREADY_COVERED | NOT_AN_ERROR
]


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({**BASE_LOG[1], "event_id": "NEW_one", "occurred_on": "2024-08-20"}) + "\n")
    return path


@pytest.mark.parametrize("command, kind", WRONG_FILE_CASES)
def test_a_wrong_database_file_is_refused_in_one_line_and_left_as_it_was(
    tmp_path, fresh_db, events_file, command, kind
):
    folder = tmp_path / "here"
    folder.mkdir()
    db = folder / ("missing" if kind == "in a missing folder" else "") / "timeline.db"
    make, message = WRONG_FILES[kind]
    if make is not None:
        make(db, fresh_db)
    before, listing = folder_state(folder), sorted(os.listdir(folder))
    assert_refused(invoke(command_args(command, db, events_file)), str(db), message)
    assert folder_state(folder) == before
    if kind != "newer store schema":
        # Not a WAL database: SQLite had no reason to create a -wal or -shm, and none is left.
        assert sorted(os.listdir(folder)) == listing
    assert not (folder / "missing").exists()


def test_init_makes_an_empty_file_a_new_timeline(tmp_path):
    # What `init` guarantees for a file that `touch` (or mktemp) made: it becomes an empty log.
    db = tmp_path / "touched.db"
    db.write_bytes(b"")
    result = invoke(["init", "--db", db])
    assert result.exit_code == 0 and "0 events" in result.stdout
    assert invoke(["verify", "--db", db]).stdout.startswith("ok: 0 events")


def _foreign_events_table(db: Path) -> None:
    """Another program's database: its own `events` table, and a schema version it set itself."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, title TEXT, starts_at TEXT)")
        conn.execute("INSERT INTO events (title, starts_at) VALUES ('standup', '2024-08-12T09:00')")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_with_another_programs_events_table_is_left_as_it_was(tmp_path, fingerprint, events_file, command):
    folder = tmp_path / "here"
    folder.mkdir()
    db = folder / "calendar.db"
    _foreign_events_table(db)
    before, listing = fingerprint(db), sorted(os.listdir(folder))
    result = invoke(command_args(command, db, events_file), catch_exceptions=True)
    assert result.exit_code != 0
    del result
    gc.collect()  # a crashed command may leave its connection to the garbage collector
    assert fingerprint(db) == before
    assert sorted(os.listdir(folder)) == listing


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_with_another_programs_events_table_is_refused_as_not_a_timeline(tmp_path, events_file, command):
    db = tmp_path / "calendar.db"
    _foreign_events_table(db)
    assert_refused(invoke(command_args(command, db, events_file), catch_exceptions=True), str(db), "not a timeline")


# A read-only file. Root ignores permission bits (os.access(path, W_OK) is True for root, and
# SQLite would write), so as root each case runs in a forked child that has dropped to the
# unprivileged user `nobody`: that is the situation the read-only check exists for.
NOBODY = 65534


def run_unprivileged(args: list[Any], *, input: bytes | None = None) -> Any:
    """The CLI in-process as an ordinary user: directly, or as root in a child that drops to `nobody`."""
    if os.geteuid() != 0:
        return invoke(args, input=input)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            except OSError as exc:
                report = {"cannot_drop": repr(exc)}
            else:
                result = CliRunner().invoke(cli, [str(arg) for arg in args], input=input)
                report = {
                    "exit_code": result.exit_code,
                    "stdout": result.stdout,
                    "stderr": result.stderr,
                    "system_exit": isinstance(result.exception, SystemExit),
                    "exception": repr(result.exception),
                }
            with os.fdopen(write_end, "w") as pipe:
                json.dump(report, pipe)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    report = json.loads(text)
    if "cannot_drop" in report:
        pytest.skip(f"cannot drop root privileges to test a read-only file: {report['cannot_drop']}")
    exception = (
        SystemExit(report["exit_code"])
        if report["system_exit"]
        else (RuntimeError(report["exception"]) if report["exception"] != "None" else None)
    )
    return SimpleNamespace(
        exit_code=report["exit_code"], stdout=report["stdout"], stderr=report["stderr"], exception=exception
    )


@pytest.fixture
def unprivileged_folder(tmp_path: Path) -> Any:
    """A folder the user running the commands owns (as root: `nobody`, outside pytest's private tmp)."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="timeline-hostile-"))
    try:
        os.chown(folder, NOBODY, NOBODY)
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _own(path: Path, mode: int) -> None:
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    path.chmod(mode)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_database_refuses_writes_and_serves_reads(unprivileged_folder, template_db, fingerprint, command):
    db = unprivileged_folder / "timeline.db"
    shutil.copyfile(template_db, db)
    _own(db, 0o444)
    events_file = unprivileged_folder / "events.jsonl"
    events_file.write_text(json.dumps({**BASE_LOG[1], "event_id": "NEW_one", "occurred_on": "2024-08-20"}) + "\n")
    _own(events_file, 0o644)
    before, listing = fingerprint(template_db), sorted(os.listdir(unprivileged_folder))
    result = run_unprivileged(command_args(command, db, events_file))
    after_listing = sorted(os.listdir(unprivileged_folder))
    if command in WRITERS:
        assert_refused(result, str(db), "read-only")
        assert after_listing == listing
    else:
        # Reading needs no write access to the file (SQLite may add its -wal/-shm beside it).
        assert result.exit_code == 0, (result.stderr, result.exception)
        assert set(after_listing) - set(listing) <= {"timeline.db-wal", "timeline.db-shm"}
    assert fingerprint(db) == before


def test_an_unreadable_jsonl_file_is_refused_and_changes_nothing(unprivileged_folder, template_db, fingerprint):
    db = unprivileged_folder / "timeline.db"
    shutil.copyfile(template_db, db)
    _own(db, 0o644)
    source = unprivileged_folder / "secret.jsonl"
    source.write_text(json.dumps(BASE_LOG[1]) + "\n")
    _own(source, 0o000)
    before = fingerprint(template_db)
    # click's Path type checks a file it is given is readable: its own refusal, with the usage hint.
    assert_usage_refused(run_unprivileged(["import", source, "--db", db]), "'FILE'", str(source), "not readable")
    assert fingerprint(db) == before


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd to list open files")
def test_a_refused_open_leaves_no_file_open(tmp_path, fresh_db):
    db = tmp_path / "newer.db"
    _newer_store_schema(db, fresh_db)

    def open_files() -> list[str]:
        paths = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [path for path in paths if path.startswith(str(db))]

    gc.collect()
    try:
        Timeline.open(db)
    except NotATimeline:
        pass
    else:
        pytest.fail("a timeline from a newer store schema was opened")
    assert open_files() == []


# --------------------------------------------------------------------------------------------
# Wrong files elsewhere: the FILE of import, the --output of export
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, fragments",
    [
        pytest.param(lambda folder, db: folder, ["is a directory"], id="a-directory"),
        pytest.param(lambda folder, db: db, [":1: "], id="the-database-itself"),
        pytest.param(
            lambda folder, db: _write(folder / "image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
            [":1: not valid UTF-8"],
            id="binary",
        ),
        pytest.param(
            lambda folder, db: _write(folder / "utf16.jsonl", json.dumps(BASE_LOG[1]).encode("utf-16")),
            [":1: not valid UTF-8"],
            id="utf-16",
        ),
    ],
)
def test_importing_a_file_that_is_not_jsonl_is_refused_and_changes_nothing(fresh_db, fingerprint, make, fragments):
    db = fresh_db()
    source = make(db.parent, db)
    before = fingerprint(db)
    assert_refused(invoke(["import", source, "--db", db]), str(source), *fragments)
    assert fingerprint(db) == before


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_exporting_over_a_directory_is_refused(fresh_db, fingerprint):
    db = fresh_db()
    before = fingerprint(db)
    assert_usage_refused(invoke(["export", "--db", db, "-o", db.parent]), "'--output'", "directory")
    assert fingerprint(db) == before


def test_exporting_onto_the_database_itself_is_refused_and_destroys_nothing(fresh_db, fingerprint):
    db = fresh_db()
    before = fingerprint(db)
    result = invoke(["export", "--db", db, "-o", db], catch_exceptions=True)
    assert db.stat().st_size > 0, "the log was truncated"
    assert fingerprint(db) == before
    assert_refused(result, str(db))


def test_exporting_into_a_missing_folder_is_refused_in_one_line(fresh_db, tmp_path):
    output = tmp_path / "no" / "such" / "folder" / "events.jsonl"
    assert_refused(invoke(["export", "--db", fresh_db(), "-o", output], catch_exceptions=True), str(output))
    assert not (tmp_path / "no").exists()


# --------------------------------------------------------------------------------------------
# Other bugs found with hostile input
# --------------------------------------------------------------------------------------------


def test_days_lists_an_event_on_the_last_day_of_the_calendar(tmp_path):
    db = tmp_path / "far.db"
    assert invoke(["init", "--db", db]).exit_code == 0
    appended = invoke(
        ["append", "statement.made", "--db", db, "--on", "9999-12-31", "--source", "S", "--data", STATEMENT_DATA]
    )
    assert appended.exit_code == 0, appended.stderr
    result = invoke(["days", "--db", db], catch_exceptions=True)
    assert result.exit_code == 0, repr(result.exception)
    assert "9999-12-31" in result.stdout


@pytest.mark.parametrize("where", ["option", "jsonl"])
def test_a_day_in_other_digits_is_refused_as_the_wrong_format(fresh_db, where):
    db = fresh_db()
    day = "２０２４-０８-１２"
    if where == "option":
        line = assert_usage_refused(invoke(["state", "--db", db, f"--as-of={day}"]), "'--as-of'")
    else:
        record = json.dumps({**BASE_LOG[1], "occurred_on": day}, ensure_ascii=False)
        line = assert_refused(invoke(["import", "-", "--db", db], input=record.encode()), "<stdin>:1: occurred_on")
    assert "must be a date as YYYY-MM-DD" in line


def test_the_error_for_a_raw_control_character_reads_well(fresh_db):
    result = invoke(
        [
            "append",
            "statement.made",
            "--db",
            fresh_db(),
            "--on",
            "2024-08-10",
            "--source",
            "S",
            "--data",
            '{"speaker": "a\x07b", "summary": "s"}',
        ]
    )
    line = assert_refused(result, "--data", "Invalid control character")
    assert " at at " not in line


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"], ids=["U+2028", "U+2029"])
def test_a_unicode_line_separator_in_a_text_field_is_refused(fresh_db, fingerprint, separator):
    db = fresh_db()
    before = fingerprint(db)
    result = invoke(
        [
            "append",
            "statement.made",
            "--db",
            db,
            "--on",
            "2024-08-10",
            "--source",
            f"TASS{separator}Interfax",
            "--data",
            STATEMENT_DATA,
        ]
    )
    assert_refused(result, "source")
    assert fingerprint(db) == before


def test_an_error_quoting_a_unicode_line_separator_stays_one_line(fresh_db):
    record = {**BASE_LOG[1], "data": {**BASE_LOG[1]["data"], "tone\u2028note": 1}}
    result = invoke(["import", "-", "--db", fresh_db()], input=dumps(record))
    assert_refused(result, "<stdin>:1: ", "unknown field")
    assert len(result.stderr.splitlines()) == 1, result.stderr


# --------------------------------------------------------------------------------------------
# The same through a real process: what a user at a terminal sees
# --------------------------------------------------------------------------------------------


def run_timeline(args: list[str | bytes], *, input: bytes | None = None) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "TIMELINE_DB"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "timeline.cli", *[arg if isinstance(arg, bytes) else str(arg) for arg in args]],
        input=input,
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def _deep_line() -> bytes:
    return with_raw(BASE_LOG[1], ("data", "summary"), DEEP[0])


SUBPROCESS_CASES = [
    pytest.param(
        lambda db, folder: (
            ["import", _write(folder / "deep.jsonl", dumps(BASE_LOG[0]) + b"\n\n" + _deep_line() + b"\n"), "--db", db],
            None,
        ),
        "{folder}/deep.jsonl:3: not valid JSON: nested too deeply",
        id="import-file-deep-nesting",
    ),
    pytest.param(
        lambda db, folder: (
            ["import", "-", "--db", db],
            dumps(BASE_LOG[0]) + b"\n" + with_raw(BASE_LOG[1], ("source",), b'"\xff"') + b"\n",
        ),
        "<stdin>:2: not valid UTF-8",
        id="import-stdin-invalid-utf8",
    ),
    # Undecodable bytes on the command line reach Python as lone surrogates.
    pytest.param(
        lambda db, folder: (
            [
                "append",
                "statement.made",
                "--db",
                db,
                "--on",
                "2024-08-10",
                "--source",
                "S",
                "--data",
                b'{"speaker": "\xff", "summary": "s"}',
            ],
            None,
        ),
        "data.speaker: contains a lone surrogate",
        id="append-data-invalid-utf8-argv",
    ),
    pytest.param(
        lambda db, folder: (
            ["append", "statement.made", "--db", db, "--on", "2024-02-30", "--source", "S", "--data", STATEMENT_DATA],
            None,
        ),
        "Invalid value for '--on': '2024-02-30' is not a real calendar day",
        id="append-impossible-date",
    ),
    pytest.param(
        lambda db, folder: (
            [
                "append",
                "statement.made",
                "--db",
                _newer(db),
                "--on",
                "2024-08-10",
                "--source",
                "S",
                "--data",
                STATEMENT_DATA,
            ],
            None,
        ),
        "written by a newer version of timeline",
        id="append-to-a-newer-store-schema",
    ),
]


def _newer(db: Path) -> Path:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
        conn.commit()
    return db


@pytest.mark.parametrize("case, expected", SUBPROCESS_CASES)
def test_a_real_process_refuses_hostile_input_without_a_traceback(fresh_db, fingerprint, tmp_path, case, expected):
    db = fresh_db()
    args, stdin = case(db, db.parent)
    listing = sorted(os.listdir(db.parent))
    # Fingerprint a twin: opening the log itself, even read-only, would put a -wal/-shm beside it.
    twin = tmp_path / "twin.db"
    shutil.copyfile(db, twin)
    before = fingerprint(twin)
    done = run_timeline(args, input=stdin)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert b"Traceback" not in done.stdout + done.stderr and done.stdout == b""
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    assert expected.format(folder=db.parent) in errors[0], errors[0]
    # A refused writer leaves nothing beside the file, not even SQLite's -wal/-shm.
    assert sorted(os.listdir(db.parent)) == listing
    assert fingerprint(db) == before
