"""Why an event could not be read: `InvalidEvent`, and the translation of cattrs' errors into it.

`field` is a dotted path such as `data.area_km2.bound`.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception


class InvalidEvent(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def _format_error(exc: BaseException, _type: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.errors.ForbiddenExtraKeysError):
        return f"unknown field(s): {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    return format_exception(exc, _type)


def _class_at(cls: Any, path: list[str]) -> Any:
    """The attrs class reached by following `path` through the fields of `cls`, or None."""
    for part in path:
        if not attrs.has(cls) or part not in attrs.fields_dict(cls):
            return None
        field_type = attrs.fields_dict(cls)[part].type
        candidates = [t for t in typing.get_args(field_type) if t is not type(None)] or [field_type]
        cls = next((t for t in candidates if attrs.has(t)), None)
    return cls


def _blame_field(cls: type, path: str, message: str) -> tuple[str, str]:
    """A validator raises in its class's __init__, so cattrs blames the object that holds the field;
    the message starts with the field's name ("claimant must not be empty"), so move it to the path."""
    name, _, rest = message.partition(" ")
    holder = _class_at(cls, path.split(".") if path else [])
    if holder is not None and attrs.has(holder) and name in attrs.fields_dict(holder) and rest:
        return ".".join(p for p in (path, name) if p), rest
    return path, message


def first_error(exc: Exception, prefix: str, cls: type | None = None) -> InvalidEvent:
    """The first problem cattrs found, as (dotted field path, message)."""
    if isinstance(exc, InvalidEvent):
        return exc
    if isinstance(exc, (cattrs.BaseValidationError,)):
        message, _, where = cattrs.transform_error(exc, path="$", format_exception=_format_error)[0].rpartition(" @ ")
        path = where.removeprefix("$").lstrip(".")
        if message.startswith("unknown field(s)"):
            # cattrs reports extras on the object that holds them; name the field itself.
            path = ".".join(p for p in (path, message.split(": ", 1)[1].split(", ")[0]) if p)
            message = "unknown field"
        elif cls is not None:
            path, message = _blame_field(cls, path, message)
        return InvalidEvent(".".join(p for p in (prefix, path) if p), message)
    return InvalidEvent(prefix or None, str(exc))
