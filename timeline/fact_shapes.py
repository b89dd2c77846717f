"""A fact type's name and shape as one tag, so a checkpoint written by another version is never misread.

Checkpoints store each fact as JSON with the name of its type. A later version may keep a
type's name but change its fields (prisoners gained `claims` in place of `claimed_total`);
decoding such a fact would fail, or worse, succeed wrongly. The tag adds a digest of the
type's fields, their types, nested attrs classes and enum members, so a checkpoint whose tags
this version does not know is skipped, and the query replays from the events instead.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import typing
from typing import Any

import attrs


@functools.cache
def shape_tag(cls: type) -> str:
    """'Settlement:3f2a9c1b0d4e': the type's name and a digest of its shape."""
    return f"{cls.__name__}:{hashlib.sha256(_shape(cls).encode()).hexdigest()[:12]}"


def _shape(cls: type) -> str:
    hints = typing.get_type_hints(cls)
    fields = ",".join(f"{field.name}={_describe(hints[field.name])}" for field in attrs.fields(cls))
    return f"{cls.__qualname__}({fields})"


def _describe(annotation: Any) -> str:
    if isinstance(annotation, type) and attrs.has(annotation):
        return _shape(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"{annotation.__qualname__}[{'|'.join(str(member.value) for member in annotation)}]"
    arguments = typing.get_args(annotation)
    if arguments:
        origin = typing.get_origin(annotation)
        return f"{getattr(origin, '__qualname__', repr(origin))}[{','.join(_describe(a) for a in arguments)}]"
    return getattr(annotation, "__qualname__", repr(annotation))
