"""What the store's writes return, and what a write hook is told of a write."""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from events.envelope import RecordedEvent


@attrs.frozen
class AppendResult:
    appended: tuple[RecordedEvent, ...]  # empty when the caller asked not to keep them (imports)
    unchanged: int  # events already in the log with identical content
    head: int
    count: int = attrs.field()  # how many were appended
    first_seq: int | None = None

    @count.default
    def _count(self) -> int:
        return len(self.appended)


@attrs.frozen
class CopyResult:
    copied: int  # events written to the target
    already_there: int  # events the target already held (a copy resumed)
    signed_heads: int  # signed heads written to the target
    head: int
    head_hash: str


@attrs.frozen
class Write:
    """What one write did, for the write hooks: the first day it added an event to, the head
    before it, and the retractions it added."""

    earliest_day: str
    head_before: int
    hash_before: str
    retractions: tuple[str, ...]


class WriteObserver(Protocol):
    """What a write hook starts for each write: told each batch of new rows, then the write's end,
    all inside the write's transaction."""

    def rows(self, rows: list[dict[str, Any]]) -> None: ...

    def done(self, write: Write) -> None: ...
