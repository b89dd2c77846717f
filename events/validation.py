"""Field validators shared by the envelope and the payloads."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable
from typing import Any

import attrs

# Control characters (C0, DEL, C1) would let a report rewrite the reader's terminal, and the
# line and paragraph separators break a line; tab is harmless.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# A lone surrogate (JSON "\ud800") is not a character and cannot be stored as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_TEXT = 2_000
MAX_LONG_TEXT = 20_000


def _text_validator(limit: int) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{attribute.name} must be a string, not {type(value).__name__}")
        if not value.strip():
            raise ValueError(f"{attribute.name} must not be empty")
        if len(value) > limit:
            raise ValueError(f"{attribute.name} is longer than {limit:,} characters")
        if _CONTROL_CHARACTER.search(value):
            raise ValueError(f"{attribute.name} contains a control character")
        if _SURROGATE.search(value):
            raise ValueError(f"{attribute.name} contains a lone surrogate (not valid Unicode)")

    return check


# Field metadata naming the check a field's validator makes, so that the fast import path
# (events/fastpath.py) can make the same check without building the attrs object.
CHECK = "timeline.check"

# Field helpers: each returns an attrs.field (typed Any, as attrs.field is). mypy's attrs plugin knows
# only a direct attrs.field call as a field and takes any other call for a default value, so in a
# class that uses helpers a required field made by attrs.field itself reads as one after defaults:
# declare a payload's required fields through helpers (`instance_of` for anything but text and enums).


def text(*, long: bool = False) -> Any:
    """A required, non-empty, single-line string field."""
    limit = MAX_LONG_TEXT if long else MAX_TEXT
    return attrs.field(validator=_text_validator(limit), metadata={CHECK: ("text", limit)})


def optional_text(*, long: bool = False) -> Any:
    limit = MAX_LONG_TEXT if long else MAX_TEXT
    return attrs.field(
        default=None,
        validator=attrs.validators.optional(_text_validator(limit)),
        metadata={CHECK: ("optional_text", limit)},
    )


def one_of(enum_type: type[enum.Enum]) -> Any:
    return attrs.field(validator=attrs.validators.instance_of(enum_type), metadata={CHECK: ("enum", enum_type)})


def instance_of(cls: type) -> Any:
    """A required field holding an instance of `cls` (a Quantity, say)."""
    return attrs.field(validator=attrs.validators.instance_of(cls))


def texts() -> Any:
    """A tuple of names (JSON list of strings)."""
    return attrs.field(
        default=(),
        converter=tuple,
        validator=attrs.validators.deep_iterable(_text_validator(MAX_TEXT), attrs.validators.instance_of(tuple)),
        metadata={CHECK: ("texts", MAX_TEXT)},
    )


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d would admit "２０２４"


def parse_day(value: object, what: str = "date") -> dt.date:
    """Strictly YYYY-MM-DD: '2024-02-30', '20240812' and '2024-8-1' are refused."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError(f"{what} must be a date as YYYY-MM-DD, not {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a real calendar day") from None
