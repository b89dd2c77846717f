"""The fast path to a validated record: the same answer as the cattrs converter, or no answer.

`record_from_json(line)` gives exactly the record `event_to_record(event_from_record(json))`
gives for a line the converter accepts, built without the attrs objects: msgspec parses the
line (C), and each field is checked as its attrs validator would check it, as the field's
metadata names (`events.validation.CHECK`) or its type says (Quantity, bool). Whenever it is
not sure (a backslash escape, a repeated key, an older schema version, a kind with a field it
does not know, anything invalid) it returns None, and the caller takes the cattrs path, which
accepts or gives the one-line error naming the field. So errors are the converter's own, and a
property test checks that both paths agree wherever this one answers.

Why it may skip the per-string control-character check: a JSON string can hold a control
character, a lone surrogate or a line separator only as a backslash escape or as raw bytes
(DEL, C1, U+2028/U+2029) that `record_from_json` looks for, and a line with either goes the
slow way.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import typing
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import msgspec

import events.kinds  # noqa: F401  (registers every kind: the checkers are built from the registry)
from events import registry
from events.codec import ENVELOPE_FIELDS
from events.envelope import _EVENT_ID, DatePrecision
from events.quantity import MAX_VALUE, Bound, Quantity
from events.validation import _ISO_DAY, CHECK, MAX_LONG_TEXT, MAX_TEXT

# C1 controls and U+2028/U+2029 as raw UTF-8 (backslashes, DEL and a byte-order mark are
# looked for with `in`, much faster than a search with alternatives).
_SUSPICIOUS_UNICODE = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]")
# With no backslash in a line, every object key is a string followed by a colon, and no string
# value is: counting these counts the keys, repeated ones included.
_KEY = re.compile(rb'"[^"]*"\s*:')
_ENVELOPE = frozenset(ENVELOPE_FIELDS)
_PRECISIONS = frozenset(precision.value for precision in DatePrecision)
_BOUNDS = frozenset(bound.value for bound in Bound)
_QUANTITY_KEYS = frozenset(("value", "bound", "low", "high", "stated"))
_decode = msgspec.json.Decoder().decode


class Unsure(Exception):
    """This path cannot vouch for the input: take the cattrs path."""


def record_from_json(line: bytes) -> dict[str, Any] | None:
    """The validated record of one JSON line, or None to take the cattrs path."""
    if b"\\" in line or b"\x7f" in line or b"\xef\xbb\xbf" in line:
        return None
    if (b"\xc2" in line or b"\xe2\x80" in line) and _SUSPICIOUS_UNICODE.search(line):
        return None
    try:
        raw = _decode(line)
    except (ValueError, RecursionError):  # msgspec.DecodeError and UnicodeDecodeError are ValueErrors
        return None
    if type(raw) is not dict or not _no_repeated_key(line, _count_keys(raw)):
        return None  # not an object, or a key appears twice in one object
    try:
        return record_from_dict(raw)
    except Unsure:
        return None


def _no_repeated_key(line: bytes, parsed_keys: int) -> bool:
    """Whether the line spells as many object keys as the parse kept (a repeated key is kept once)."""
    if not (b'" ' in line or b'"\t' in line or b'"\r' in line or b'"\n' in line):
        # No quote is followed by whitespace, so every key is spelled `"...":`; a value may also
        # start with `":`, so this count is at least the keys spelled: equal means none repeated.
        if line.count(b'":') == parsed_keys:
            return True
    return len(_KEY.findall(line)) == parsed_keys


def _count_keys(value: Any) -> int:
    """The keys of every object in a parsed JSON value."""
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            count += len(item)
            pending.extend(child for child in item.values() if type(child) in _CONTAINERS)
        elif kind is list:
            pending.extend(child for child in item if type(child) in _CONTAINERS)
    return count


_CONTAINERS = (dict, list)


def record_from_dict(raw: dict[str, Any]) -> dict[str, Any]:
    """The record of a parsed event object; raises Unsure when the cattrs path must decide."""
    if not raw.keys() <= _ENVELOPE:
        raise Unsure
    kind = raw.get("kind")
    if type(kind) is not str:
        raise Unsure
    check_data = _payload_checkers().get(kind)
    if check_data is None or "occurred_on" not in raw or "source" not in raw or "data" not in raw:
        raise Unsure
    current = registry.current_version(kind)
    version = raw.get("schema_version", current)
    if type(version) is not int or version != current:
        raise Unsure  # an older version is upcast on the cattrs path
    occurred_on = _day(raw["occurred_on"])
    reported_on = _day(raw["reported_on"]) if "reported_on" in raw else occurred_on
    if reported_on < occurred_on:
        raise Unsure
    source = _text(raw["source"], MAX_TEXT)
    if "event_id" in raw:
        event_id = raw["event_id"]
        if type(event_id) is not str or not _EVENT_ID.fullmatch(event_id):
            raise Unsure
    else:
        event_id = str(uuid.uuid4())
    data = raw["data"]
    if type(data) is not dict:
        raise Unsure
    record: dict[str, Any] = {
        "event_id": event_id,
        "kind": kind,
        "schema_version": current,
        "occurred_on": occurred_on,
        "reported_on": reported_on,
        "source": source,
        "data": check_data(data),
    }
    unverified = raw.get("unverified", False)
    if type(unverified) is not bool:
        raise Unsure
    if unverified:
        record["unverified"] = True
    note = raw.get("note")
    if note is not None:
        record["note"] = _text(note, MAX_LONG_TEXT)
    precision = raw.get("date_precision", "day")
    if type(precision) is not str or precision not in _PRECISIONS:
        raise Unsure
    if precision != "day":
        record["date_precision"] = precision
    return record


def _day(value: Any) -> str:
    if type(value) is not str or not _ISO_DAY.fullmatch(value):
        raise Unsure
    _real_day(value)
    return value


@functools.lru_cache(maxsize=4096)
def _real_day(value: str) -> None:
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise Unsure from None


def _text(value: Any, limit: int) -> str:
    if type(value) is not str or len(value) > limit or not value.strip():
        raise Unsure
    return value


def _number(value: Any) -> int | float:
    if type(value) is int:
        whole: int = value
        if whole < 0 or whole > MAX_VALUE:
            raise Unsure
        return whole
    if type(value) is float:
        number: float = value
        if not math.isfinite(number) or number < 0 or number > MAX_VALUE:
            raise Unsure
        return int(number) if number.is_integer() else number
    raise Unsure


def _quantity(value: Any) -> dict[str, Any]:
    """As the converter reads a Quantity (events/codec.py): a bare number is exact; a range may
    leave out `value` (it is then the low end); `stated` keeps the source's words."""
    if type(value) is not dict:
        return {"value": _number(value), "bound": "exact"}
    if not value.keys() <= _QUANTITY_KEYS or ("value" not in value and "low" not in value):
        raise Unsure
    bound = value.get("bound", "exact")
    if type(bound) is not str or bound not in _BOUNDS:
        raise Unsure
    number = _number(value["value"] if "value" in value else value["low"])
    low, high = value.get("low"), value.get("high")
    out: dict[str, Any] = {"value": number, "bound": bound}
    if low is not None or high is not None:
        if low is None or high is None:
            raise Unsure
        low, high = _number(low), _number(high)
        if not low <= number <= high:
            raise Unsure
        out["low"], out["high"] = low, high
    if "stated" in value:
        out["stated"] = _text(value["stated"], MAX_TEXT)
    return out


FieldCheck = Callable[[Any], Any]


def _field_check(field: attrs.Attribute) -> tuple[FieldCheck, Any] | None:  # type: ignore[type-arg]  # fields of any class
    """(check giving the record's value, the value an absent field takes) or None if unknown."""
    check = field.metadata.get(CHECK)
    absent = field.default if field.default is not attrs.NOTHING else attrs.NOTHING
    if check is not None:
        name, argument = check
        if name == "text":
            return (lambda value: _text(value, argument)), absent
        if name == "optional_text":
            return (lambda value: None if value is None else _text(value, argument)), absent
        if name == "texts":

            def names(value: Any) -> list[str]:
                if type(value) is not list:
                    raise Unsure
                return [_text(item, argument) for item in value]

            return names, ()
        if name == "enum":
            values = frozenset(member.value for member in argument)

            def member(value: Any) -> str:
                if type(value) is not str or value not in values:
                    raise Unsure
                return value

            return member, absent
        return None
    if field.type is Quantity:
        return _quantity, absent
    if set(typing.get_args(field.type)) == {Quantity, type(None)}:
        return (lambda value: None if value is None else _quantity(value)), absent
    if field.type is bool:

        def boolean(value: Any) -> bool:
            if type(value) is not bool:
                raise Unsure
            return value

        return boolean, absent
    return None


def _payload_checker(cls: type) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The check of one payload class's data, giving its record (fields equal to their default
    omitted, as the converter unstructures), or None when a field is of a kind it does not know."""
    fields = attrs.fields(attrs.resolve_types(cls))
    checks: dict[str, tuple[FieldCheck, Any, Any]] = {}
    for field in fields:
        found = _field_check(field)
        # attrs types Factory as a function returning its value, so isinstance looks wrong to mypy.
        if found is None or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]  # see above
            return None
        check_field, absent = found
        checks[field.name] = (check_field, absent, _record_default(absent))
    post_init = getattr(cls, "__attrs_post_init__", None)
    names = frozenset(checks)

    def check(data: dict[str, Any]) -> dict[str, Any]:
        if not data.keys() <= names:
            raise Unsure
        out: dict[str, Any] = {}
        for name, (check_field, absent, omitted) in checks.items():
            if name in data:
                value = check_field(data[name])
                if value != omitted:
                    out[name] = value
            elif absent is attrs.NOTHING:
                raise Unsure
        if post_init is not None:
            _run_post_init(cls, out)
        return out

    return check


def _record_default(default: Any) -> Any:
    if isinstance(default, enum.Enum):
        return default.value
    if isinstance(default, tuple):
        return list(default)
    return default


def _run_post_init(cls: type, record_data: dict[str, Any]) -> None:
    """A class-wide check (e.g. a territory claim needs an area or a count): build the object with
    field validators off, which runs `__attrs_post_init__` alone."""
    from events.codec import trusted_converter

    try:
        with attrs.validators.disabled():
            trusted_converter.structure(record_data, cls)
    except Exception:
        raise Unsure from None


@functools.cache
def _payload_checkers() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    found = {}
    for kind in registry.kind_names():
        checker = _payload_checker(registry.payload_class(kind))
        if checker is not None:
            found[kind] = checker
    return found
