"""Kept so `timeline.jsonl` imports keep working: the JSONL format lives in `timeline.formats.jsonl`."""

from timeline.formats.jsonl import (
    MAX_LINE_BYTES,
    event_from_json,
    parse_record,
    read_events,
    read_records,
    write_events,
)

__all__ = ["MAX_LINE_BYTES", "event_from_json", "parse_record", "read_events", "read_records", "write_events"]
