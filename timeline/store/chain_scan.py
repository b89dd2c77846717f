"""The chain scan behind `verify`: what a backend's scan of a seq range reports, and the reference
judgement of a row (its content against its hash, by `rows.row_hash`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import attrs

from timeline.store.rows import row_hash


class CheckedRows(Protocol):
    """What the reference scan needs of a store (`base.EventStore` is one)."""

    def rows_for_check(self, after_seq: int, until_seq: int) -> Iterator[dict[str, Any]]: ...


@attrs.frozen
class Suspect:
    """A row the fast chain scan could not vouch for, with the row before it in seq order as the
    scan saw it (None for the first row of a scanned range: the caller knows that one)."""

    seq: int
    before_seq: int | None
    before_hash: str | None


@attrs.frozen
class ChainSegment:
    """What a scan of the rows with after_seq < seq <= until_seq found: how many rows, the first
    row's seq and prev_hash and the last row's seq and hash (to link it to the ranges beside it),
    and the rows whose content or link did not hold (the first SUSPECT_LIMIT, and how many)."""

    after_seq: int
    until_seq: int
    rows: int
    first: tuple[int, str] | None  # (seq, prev_hash)
    last: tuple[int, str] | None  # (seq, hash)
    suspects: tuple[Suspect, ...]
    suspects_total: int


SUSPECT_LIMIT = 100


def _hex(value: Any) -> str:
    """A hash as the store reads it: bytes as lowercase hex, text as it is."""
    return value.hex() if isinstance(value, bytes) else str(value)


def segment_of(after_seq: int, until_seq: int, rows: Iterable[tuple[int, Any, Any, bool]]) -> ChainSegment:
    """A ChainSegment from (seq, prev_hash, hash, content matches) rows in seq order: a row is a
    suspect when its content does not match its hash, or it does not follow the row before."""
    suspects: list[Suspect] = []
    total = count = 0
    first: tuple[int, str] | None = None
    before_seq: int | None = None
    before_hash: Any = None
    for seq, prev_hash, hash_, content_ok in rows:
        if before_seq is None:
            first = (seq, _hex(prev_hash))
            if not content_ok:
                total += 1
                suspects.append(Suspect(seq, None, None))
        elif not content_ok or seq != before_seq + 1 or prev_hash != before_hash:
            total += 1
            if len(suspects) < SUSPECT_LIMIT:
                suspects.append(Suspect(seq, before_seq, _hex(before_hash)))
        before_seq, before_hash = seq, hash_
        count += 1
    last = None if before_seq is None else (before_seq, _hex(before_hash))
    return ChainSegment(after_seq, until_seq, count, first, last, tuple(suspects), total)


def scan_failed(store: CheckedRows, after_seq: int, until_seq: int, problem: Exception) -> ChainSegment:
    """The reference scan, row by row in Python, for a range the fast scan could not read (a
    value edited into a type the database cannot spell as JSON): slow, and only on an edited log."""

    def judged() -> Iterator[tuple[int, Any, Any, bool]]:
        for row in store.rows_for_check(after_seq, until_seq):
            yield row["seq"], row["prev_hash"], row["hash"], content_matches(row)

    return segment_of(after_seq, until_seq, judged())


def content_matches(row: dict[str, Any]) -> bool:
    """Whether a row's content matches its hash, by the reference spelling (`rows.row_hash`); a
    row that cannot be spelled at all (a value edited into bytes, or text that is not UTF-8) does not."""
    try:
        return bool(row_hash(row) == row["hash"])
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
