"""The one place where event kinds are named: kind name <-> payload class, and its schema version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import attrs


class Payload(attrs.AttrsInstance, Protocol):
    """What the data class of every event kind is: an attrs class that can describe itself."""

    def describe(self) -> str:
        """One line for people: what the event says."""
        ...


T = TypeVar("T", bound=type[Payload])

_class_by_kind: dict[str, type[Payload]] = {}
_kind_by_class: dict[type, str] = {}
_version_by_kind: dict[str, int] = {}


class UnknownKind(ValueError):
    pass


def kind(name: str, version: int = 1) -> Callable[[T], T]:
    """Register a payload class as the data of event kind `name`, now at schema `version`."""

    def register(cls: T) -> T:
        if name in _class_by_kind:
            raise ValueError(f"event kind {name!r} is registered twice")
        _class_by_kind[name] = cls
        _kind_by_class[cls] = name
        _version_by_kind[name] = version
        return cls

    return register


def payload_class(name: str) -> type[Payload]:
    try:
        return _class_by_kind[name]
    except KeyError:
        raise UnknownKind(f"unknown kind {name!r} (known: {', '.join(kind_names())})") from None


def kind_of(payload: object) -> str:
    return _kind_by_class[type(payload)]


def kind_of_class(cls: type) -> str:
    return _kind_by_class[cls]


def current_version(name: str) -> int:
    payload_class(name)
    return _version_by_kind[name]


def kind_names() -> list[str]:
    return sorted(_class_by_kind)
