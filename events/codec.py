"""The one cattrs converter: events, payloads and state <-> JSON-ready dicts; canonical JSON."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs

import events.kinds  # noqa: F401  (registers every kind)
from events import registry
from events.envelope import DatePrecision, Event
from events.errors import InvalidEvent, first_error
from events.quantity import Bound, Quantity
from events.upcasters import upcast
from events.validation import parse_day

converter = cattrs.Converter(forbid_extra_keys=True, omit_if_default=True, detailed_validation=True)

ENVELOPE_FIELDS = (
    "event_id",
    "kind",
    "schema_version",
    "occurred_on",
    "reported_on",
    "source",
    "unverified",
    "note",
    "date_precision",
    "data",
)


def _strict(expected: type, name: str) -> Callable[[Any, type], Any]:
    def structure(value: Any, _: type) -> Any:
        # cattrs would coerce 3 to "3" and "yes" to True; a mistyped field is an error here.
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {name}, not {_json_type(value)}")
        return value

    return structure


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


converter.register_structure_hook(str, _strict(str, "a string"))
converter.register_structure_hook(bool, _strict(bool, "true or false"))


def _structure_int(value: Any, _: type) -> int:
    # cattrs would turn "3" and 3.7 into 3; a count or a code written as text is an error here.
    if isinstance(value, bool) or not isinstance(value, int):
        shown = repr(value) if isinstance(value, float) else _json_type(value)
        raise TypeError(f"expected a whole number, not {shown}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, not {_json_type(value)}")
    return float(value)


converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(dt.date, lambda value, _: parse_day(value))
converter.register_unstructure_hook(dt.date, dt.date.isoformat)


def _structure_names(value: Any, _: type) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of strings, not {_json_type(value)}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"expected a list of strings, found {_json_type(item)}")
    return tuple(value)


converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_names)


E = TypeVar("E", bound=enum.Enum)


def _structure_enum(value: Any, enum_type: type[E]) -> E:
    try:
        if isinstance(value, str):
            return enum_type(value)
    except ValueError:
        pass
    choices = ", ".join(member.value for member in enum_type)
    shown = repr(value) if isinstance(value, str) else _json_type(value)
    raise ValueError(f"expected one of {choices}, not {shown}")


converter.register_structure_hook_func(lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum)

_QUANTITY_KEYS = {"value", "bound", "low", "high", "stated"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _structure_quantity(value: Any, _: type) -> Quantity:
    """A bare number is exact; otherwise {value, bound, low?, high?, stated?}.

    A range may leave out `value`: it is then the range's low end (see events/quantity.py).
    """
    if _is_number(value):
        try:
            return Quantity(value)
        except ValueError as exc:  # the user wrote a bare number: blame the field, not "value"
            raise ValueError(str(exc).removeprefix("value ")) from None
    if not isinstance(value, dict):
        raise TypeError(f"expected a number or an object with value and bound, not {_json_type(value)}")
    extra = set(value) - _QUANTITY_KEYS
    if extra:
        raise ValueError(f"unknown quantity field(s): {', '.join(sorted(extra))}")
    if "value" not in value and "low" not in value:
        raise ValueError("a quantity needs a value (or a range: low and high)")
    # Messages start with the field's name, which error reporting moves into the path (data.area_km2.bound).
    for key in ("value", "low", "high"):
        if key in value and value[key] is not None and not _is_number(value[key]):
            raise TypeError(f"{key} must be a number, not {_json_type(value[key])}")
    if "stated" in value and not isinstance(value["stated"], str):
        raise TypeError(f"stated must be a string, not {_json_type(value['stated'])}")
    try:
        bound = _structure_enum(value.get("bound", "exact"), Bound)
    except ValueError as exc:
        raise ValueError(f"bound {exc}") from None
    figure = value["value"] if "value" in value else value["low"]
    return Quantity(figure, bound, value.get("low"), value.get("high"), value.get("stated"))


def _unstructure_quantity(quantity: Quantity) -> dict[str, Any]:
    out: dict[str, Any] = {"value": quantity.value, "bound": quantity.bound.value}
    if quantity.is_range:
        out["low"], out["high"] = quantity.low, quantity.high
    if quantity.stated is not None:  # omitted when absent: older records keep their spelling and hashes
        out["stated"] = quantity.stated
    return out


converter.register_structure_hook(Quantity, _structure_quantity)
converter.register_unstructure_hook(Quantity, _unstructure_quantity)


def structure_payload(kind: str, data: Any, version: int | None = None) -> object:
    """Payload dict (at schema `version`, default current) -> payload instance of `kind`."""
    cls = registry.payload_class(kind)
    current = registry.current_version(kind)
    if not isinstance(data, dict):
        raise InvalidEvent("data", f"expected an object, not {_json_type(data)}")
    if version is not None and version != current:
        data = upcast(kind, version, data, current)
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs gathers every failure; we report the first
        raise first_error(exc, "data", cls) from None


def event_from_record(record: Any) -> Event:
    """A JSON object in the event format -> Event. Raises InvalidEvent naming the field."""
    if not isinstance(record, dict):
        raise InvalidEvent(None, f"an event must be a JSON object, not {_json_type(record)}")
    extra = sorted(set(record) - set(ENVELOPE_FIELDS))
    if extra:
        raise InvalidEvent(extra[0], "unknown field (event fields: " + ", ".join(ENVELOPE_FIELDS) + ")")
    for required in ("kind", "occurred_on", "source", "data"):
        if required not in record:
            raise InvalidEvent(required, "required field missing")
    kind = record["kind"]
    if not isinstance(kind, str):
        raise InvalidEvent("kind", f"expected a string, not {_json_type(kind)}")
    try:
        current = registry.current_version(kind)
    except registry.UnknownKind as exc:
        raise InvalidEvent("kind", str(exc)) from None
    version = record.get("schema_version", current)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= current:
        raise InvalidEvent("schema_version", f"{kind} has versions 1 to {current}, not {version!r}")
    payload = structure_payload(kind, record["data"], version)
    fields: dict[str, Any] = {"payload": payload}
    for name in ("occurred_on", "reported_on"):
        if name in record:
            try:
                fields[name] = parse_day(record[name], name)
            except ValueError as exc:
                raise InvalidEvent(name, str(exc).removeprefix(name + " ")) from None
    if "date_precision" in record:
        try:
            fields["date_precision"] = _structure_enum(record["date_precision"], DatePrecision)
        except ValueError as exc:
            raise InvalidEvent("date_precision", str(exc)) from None
    for name, expected in (
        ("source", "a string"),
        ("event_id", "a string"),
        ("note", "a string"),
        ("unverified", "true or false"),
    ):
        if name in record:
            value = record[name]
            if name == "note" and value is None:
                continue
            try:
                fields[name] = _strict(bool if name == "unverified" else str, expected)(value, object)
            except TypeError as exc:
                raise InvalidEvent(name, str(exc)) from None
    try:
        return Event(**fields)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        field = next((f for f in ENVELOPE_FIELDS if message.startswith(f)), None)
        raise InvalidEvent(field, message.removeprefix(f"{field} ") if field else message) from None


@functools.cache
def _members_by_value(enum_type: type[enum.Enum]) -> dict[Any, enum.Enum]:
    # A dict lookup instead of Enum.__call__: replay reads a hundred thousand enums a second.
    return {member.value: member for member in enum_type}


_PRECISION_BY_VALUE = {precision.value: precision for precision in DatePrecision}

# Rows the store wrote were validated on the way in and are covered by the hash chain, so
# replay reads them without running validators again; `verify` still reads them in full.
trusted_converter = converter.copy(detailed_validation=False)
trusted_converter.register_structure_hook(str, lambda value, _: value)
trusted_converter.register_structure_hook(bool, lambda value, _: value)
trusted_converter.register_structure_hook(int, lambda value, _: value)
trusted_converter.register_structure_hook(float, lambda value, _: float(value))
trusted_converter.register_structure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda value, t: _members_by_value(t)[value]
)
trusted_converter.register_structure_hook(
    Quantity, lambda q, _: Quantity(q["value"], Bound(q["bound"]), q.get("low"), q.get("high"), q.get("stated"))
)


def event_from_trusted_values(
    event_id: str,
    kind: str,
    schema_version: int,
    occurred_on: str,
    reported_on: str,
    source: str,
    unverified: bool,
    note: str | None,
    data: dict[str, Any],
    date_precision: str = "day",
) -> Event:
    """Fields the store itself wrote -> Event, upcast but not validated again (replay's fast path)."""
    cls = registry.payload_class(kind)
    current = registry.current_version(kind)
    if schema_version != current:
        data = upcast(kind, schema_version, data, current)
    was_disabled = attrs.validators.get_disabled()
    attrs.validators.set_disabled(True)  # what validators.disabled() does, without its generator's cost
    try:
        return Event(
            trusted_converter.structure(data, cls),
            dt.date.fromisoformat(occurred_on),
            source,
            dt.date.fromisoformat(reported_on),
            event_id,
            unverified,
            note,
            _PRECISION_BY_VALUE[date_precision],
        )
    finally:
        attrs.validators.set_disabled(was_disabled)


@functools.cache
def _trusted_payload_decoder(kind: str) -> Any:
    """msgspec's decoder of a payload class: it builds attrs objects from JSON text in C, without
    validators, ~2x faster than json.loads and the trusted converter."""
    return trusted_decoder(registry.payload_class(kind))


def trusted_decoder(cls: type) -> Any:
    """msgspec's JSON decoder of an attrs class, for text this code wrote itself (the log's rows,
    stored facts): it builds the objects in C and runs none of their validators.

    msgspec runs an attrs class's validators itself, ignoring attrs' switch to disable them: about
    15% of an import went to checking rows that were checked when they were appended. It decides
    once per class, when a decoder for the class (or a class holding it) is first built, and
    keeps that decision on the class; every typed msgspec decoder here is built by this function,
    so each class is decided here, validators off. The hook is msgspec's private
    `_wrap_attrs_validators`: a msgspec without it decodes the same objects, validators on.
    """
    import msgspec
    from msgspec import _utils

    hook = "_wrap_attrs_validators"
    wrap = getattr(_utils, hook, None)
    if wrap is None:  # pragma: no cover - another msgspec: the same objects, checked again
        return msgspec.json.Decoder(cls).decode

    def no_validators(fields: object, post_init: Callable[[object], None] | None) -> Any:
        return post_init

    setattr(_utils, hook, no_validators)
    try:
        return msgspec.json.Decoder(cls).decode
    finally:
        setattr(_utils, hook, wrap)


@functools.lru_cache(maxsize=8192)
def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def event_from_trusted_row(
    event_id: str,
    kind: str,
    schema_version: int,
    occurred_on: str,
    reported_on: str,
    source: str,
    unverified: int,
    note: str | None,
    data: str,
    date_precision: str,
) -> Event:
    """A row the store itself wrote (data as JSON text) -> Event, not validated again (replay's hot path)."""
    if schema_version != registry.current_version(kind):
        return event_from_trusted_values(
            event_id, kind, schema_version, occurred_on, reported_on, source, bool(unverified), note,
            json.loads(data), date_precision,
        )  # fmt: skip
    was_disabled = attrs.validators.get_disabled()
    attrs.validators.set_disabled(True)
    try:
        return Event(
            _trusted_payload_decoder(kind)(data),
            _day(occurred_on),
            source,
            _day(reported_on),
            event_id,
            bool(unverified),
            note,
            typing.cast(DatePrecision, _members_by_value(DatePrecision)[date_precision]),
        )
    finally:
        attrs.validators.set_disabled(was_disabled)


class CheckedRecord(dict[str, Any]):
    """A record in the event format that is known valid: what `event_to_record` gives for the event
    it describes (events.fastpath builds these without the attrs objects)."""

    __slots__ = ()

    def event(self) -> Event:
        return event_from_record(self)


def event_to_record(event: Event) -> dict[str, Any]:
    """Event -> the JSON-ready event format (always the current schema version)."""
    record: dict[str, Any] = {
        "event_id": event.event_id,
        "kind": event.kind,
        "schema_version": event.schema_version,
        "occurred_on": event.occurred_on.isoformat(),
        "reported_on": event.reported_on.isoformat(),
        "source": event.source,
        "data": converter.unstructure(event.payload),
    }
    if event.unverified:
        record["unverified"] = True
    if event.note is not None:
        record["note"] = event.note
    if event.date_precision is not DatePrecision.DAY:  # omitted when a day: older records stay as they were
        record["date_precision"] = event.date_precision.value
    return record


def unstructure(value: Any) -> Any:
    """Any event, payload or state value -> JSON-ready data."""
    if isinstance(value, Event):
        return event_to_record(value)
    return converter.unstructure(value)


def structure(data: Any, cls: type) -> Any:
    if cls is Event:
        return event_from_record(data)
    return converter.structure(data, cls)


# The encoder json.dumps(value, sort_keys=True, ...) would build on every call, built once: same output.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8, no NaN. Hashes are taken over this."""
    return _canonical.encode(value)


# Snapshots are read by programs that want every key every time, so state is unstructured
# with defaults kept; the hooks are this converter's own.
state_converter = converter.copy(omit_if_default=False)
