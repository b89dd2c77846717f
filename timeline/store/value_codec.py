"""The bytes of a stored fact value: its digest (its identity), and a value stored as its
difference from another (`difference`, `apply_difference`); `Texts` reads values back, each once."""

from __future__ import annotations

import hashlib
import zlib


def digest_of(type_name: str, text: bytes) -> bytes:
    """A value's identity: equal digests are equal values (of the same type)."""
    return hashlib.sha256(type_name.encode() + b"\n" + text).digest()[:16]


def _common_prefix(old: bytes, new: bytes, old_at: int, new_at: int, most: int) -> int:
    """How many bytes old[old_at:] and new[new_at:] begin with in common (at most `most`): the
    first differing byte is the highest set byte of the two spans' XOR as big-endian integers (a
    few C-speed passes, where comparing slices byte by byte in Python would be one per byte)."""
    if most <= 0:
        return 0
    mixed = int.from_bytes(old[old_at : old_at + most], "big") ^ int.from_bytes(new[new_at : new_at + most], "big")
    return most - (mixed.bit_length() + 7) // 8


def _common_suffix(old: bytes, new: bytes, old_end: int, new_end: int, most: int) -> int:
    """How many bytes old[:old_end] and new[:new_end] end with in common (at most `most`)."""
    if most <= 0:
        return 0
    mixed = int.from_bytes(old[old_end - most : old_end], "little") ^ int.from_bytes(
        new[new_end - most : new_end], "little"
    )
    return most - (mixed.bit_length() + 7) // 8


_PROBE = 32  # bytes of the new text looked for in the old, to find what the two share inside
_SPLITS = 3  # how many times a difference is split around a shared block (at most 2**3 changed places)


def _operations(
    old: bytes, new: bytes, old_span: tuple[int, int], new_span: tuple[int, int], splits: int, out: list[bytes]
) -> None:
    """Append to `out` the operations that build new[span] from old[span]: copies of the ends they
    share, and inside, a block they share found by probing, with what lies either side of it."""
    (old_lo, old_hi), (new_lo, new_hi) = old_span, new_span
    most = min(old_hi - old_lo, new_hi - new_lo)
    prefix = _common_prefix(old, new, old_lo, new_lo, most)
    suffix = _common_suffix(old, new, old_hi, new_hi, most - prefix)
    _copy(out, old_lo, prefix)
    old_lo, new_lo, old_hi, new_hi = old_lo + prefix, new_lo + prefix, old_hi - suffix, new_hi - suffix
    if splits and new_hi - new_lo > 4 * _PROBE and old_hi - old_lo > 4 * _PROBE:
        probe_at = (new_lo + new_hi - _PROBE) // 2
        found = _nearest(old, new[probe_at : probe_at + _PROBE], old_lo, old_hi, old_lo + (probe_at - new_lo))
        if found >= 0:
            left = _common_suffix(old, new, found, probe_at, min(found - old_lo, probe_at - new_lo))
            right = _common_prefix(old, new, found, probe_at, min(old_hi - found, new_hi - probe_at))
            _operations(old, new, (old_lo, found - left), (new_lo, probe_at - left), splits - 1, out)
            _copy(out, found - left, left + right)
            _operations(old, new, (found + right, old_hi), (probe_at + right, new_hi), splits - 1, out)
            _copy(out, old_hi, suffix)
            return
    if new_hi > new_lo:
        out.append(b"i" + (new_hi - new_lo).to_bytes(4, "big") + new[new_lo:new_hi])
    _copy(out, old_hi, suffix)


def _nearest(old: bytes, probe: bytes, low: int, high: int, expected: int) -> int:
    """Where `probe` occurs in old[low:high] nearest to `expected` (the same place, give or take
    what changed before it: a fact's JSON repeats its field names, so the first match is rarely
    the right one), or -1."""
    after = old.find(probe, max(low, expected), high)
    before = old.rfind(probe, low, min(high, expected + len(probe)))
    if after < 0:
        return before
    if before < 0:
        return after
    return after if after - expected <= expected - before else before


def _copy(out: list[bytes], start: int, length: int) -> None:
    if length:
        out.append(b"c" + start.to_bytes(4, "big") + length.to_bytes(4, "big"))


def difference(old: bytes, new: bytes) -> bytes:
    """`new` as a difference from `old`: copies of the blocks they share and the bytes between,
    zlib-compressed. A fact's next value usually differs from its last in a few places (a figure,
    an id): zlib alone spends a few bytes per 258 of the text it copies; this names each shared
    block in nine bytes. The shared blocks are found by comparing the ends and probing the middle
    (C-speed slices and `find`), not by a general diff, which a write of a million values cannot
    afford in Python."""
    operations: list[bytes] = []
    _operations(old, new, (0, len(old)), (0, len(new)), _SPLITS, operations)
    # The bytes between the shared blocks are often like bytes of the old value: it is the dictionary.
    writer = zlib.compressobj(1, zdict=old or b" ")
    return writer.compress(b"".join(operations)) + writer.flush()


def apply_difference(old: bytes, delta: bytes) -> bytes:
    """The value `difference(old, new)` was made from."""
    reader = zlib.decompressobj(zdict=old or b" ")
    operations = reader.decompress(delta) + reader.flush()
    parts = []
    position = 0
    while position < len(operations):
        if operations[position : position + 1] == b"c":
            start = int.from_bytes(operations[position + 1 : position + 5], "big")
            length = int.from_bytes(operations[position + 5 : position + 9], "big")
            parts.append(old[start : start + length])
            position += 9
        else:
            length = int.from_bytes(operations[position + 1 : position + 5], "big")
            parts.append(operations[position + 5 : position + 5 + length])
            position += 5 + length
    return b"".join(parts)


class Texts:
    """The JSON of some value rows (and of the rows their differences are from), decompressed when
    asked for, each once; values an earlier `Texts` (`known`) has read are taken from it."""

    def __init__(self, rows: dict[int, tuple[str, int | None, bytes]], wanted: set[int], known: Texts | None = None):
        self.rows, self.wanted = rows, wanted & (rows.keys() | (known.read() if known else set()))
        self._texts: dict[int, bytes] = {}
        self._types: dict[int, str] = {}
        if known is not None:
            self._texts.update(known._texts)
            self._types.update(known._types)

    def read(self) -> set[int]:
        """The values whose text this has (or can give without another row)."""
        return self._texts.keys() | self.rows.keys()

    def type_of(self, value_id: int) -> str:
        row = self.rows.get(value_id)
        return row[0] if row is not None else self._types[value_id]

    def text(self, value_id: int) -> bytes:
        known = self._texts.get(value_id)
        if known is not None:
            return known
        chain = [value_id]  # this value, then the one it is a difference from, ... to a whole one
        while (base := self.rows[chain[-1]][1]) is not None and base not in self._texts:
            chain.append(base)
        for link in reversed(chain):
            type_name, base, blob = self.rows[link]
            self._texts[link] = zlib.decompress(blob) if base is None else apply_difference(self._texts[base], blob)
            self._types[link] = type_name
        return self._texts[value_id]

    def keep_only(self, value_ids: set[int]) -> None:
        """Forget every text but those of `value_ids` (the facts in force): a walk stays bounded."""
        for value_id in self._texts.keys() - value_ids:
            del self._texts[value_id]
            self._types.pop(value_id, None)
        self.rows = {value_id: row for value_id, row in self.rows.items() if value_id in value_ids}
