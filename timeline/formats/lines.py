"""JSON objects one per line: the framing JSONL and CloudEvents share (size limit, UTF-8, BOM, blank
lines, strict JSON), so both refuse a bad line the same way, naming file and line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from timeline.errors import BadEvent

MAX_LINE_BYTES = 1 << 20  # 1 MiB: no real event comes near it


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # With a repeated key, which value a reader takes depends on the reader: refuse it.
                raise ValueError(f"key {key!r} appears twice in one object")
            seen.add(key)
    return record


def parse_record(text: str) -> Any:
    """JSON text -> Python value, refusing NaN/Infinity and repeated keys. Raises ValueError with a short reason."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    except ValueError as exc:  # NaN, or an integer too long to convert
        raise ValueError(f"not valid JSON: {exc}") from None


def json_lines(
    stream: IO[bytes], name: str, *, fast_path: Callable[[bytes], Any] | None = None
) -> Iterator[tuple[Any, str]]:
    """Yield (parsed value, "name:line") for each non-blank line; raise BadEvent at the first bad one.

    `fast_path(raw line)` may answer for a line first (not None: its value is yielded as it is);
    every line it leaves goes the usual way, which gives the errors.
    """
    lineno = 0
    seen_any = False
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)  # room for the line's own "\r\n"
        if not raw:
            break
        lineno += 1
        where = f"{name}:{lineno}"
        if fast_path is not None and len(raw) <= MAX_LINE_BYTES:
            value = fast_path(raw)
            if value is not None:
                seen_any = True
                yield value, where
                continue
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise BadEvent(f"line is longer than {MAX_LINE_BYTES:,} bytes", where=where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadEvent(f"not valid UTF-8 (byte {exc.start + 1} of the line)", where=where) from None
        if lineno == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark from some editors
        if not text.strip():
            continue
        seen_any = True
        try:
            value = parse_record(text)
        except ValueError as exc:
            raise BadEvent(str(exc), where=where) from None
        yield value, where
    if not seen_any:
        raise BadEvent("no events in the input (it is empty)", where=name)
