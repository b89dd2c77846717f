"""`verify`: walk the hash chain and report the first seq where the log is not what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from events.codec import event_from_record
from events.errors import InvalidEvent
from timeline.rows import row_hash, row_to_record
from timeline.schema import GENESIS_HASH

if TYPE_CHECKING:
    from timeline.store import EventStore


@attrs.frozen
class VerifyReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(store: EventStore) -> VerifyReport:
    """Every row in seq order from 1, chained to the one before, matching its hash, readable,
    and the recorded head at the last row; the append-only triggers in place."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    for row in store.rows():
        problem = None
        if row["seq"] != expected_seq:
            problem = f"expected seq {expected_seq}, found seq {row['seq']} (an event was removed or inserted)"
        elif row["prev_hash"] != prev_hash:
            problem = "prev_hash does not match the previous event's hash (an event was removed, inserted or moved)"
        elif row_hash(row) != row["hash"]:
            problem = "content does not match its hash (the event was edited)"
        else:
            try:
                event_from_record(row_to_record(row))
            except (InvalidEvent, ValueError, TypeError) as exc:
                problem = f"stored event is not valid: {exc}"
        if problem:
            return VerifyReport(False, expected_seq - 1, prev_hash, min(row["seq"], expected_seq), problem)
        expected_seq, prev_hash = expected_seq + 1, row["hash"]
    head_seq, head_hash = store.head()
    count = expected_seq - 1
    if head_seq == count and head_hash != prev_hash and count:
        return VerifyReport(False, count, prev_hash, count, "the recorded head hash does not match the last event")
    if (head_seq, head_hash) != (count, prev_hash):
        return VerifyReport(
            False,
            count,
            prev_hash,
            min(head_seq, count) + 1,
            f"the log ends at seq {count} but its recorded head is seq {head_seq} (events at the end were removed or added)",
        )
    missing = store.missing_guards()
    if missing:
        return VerifyReport(False, count, prev_hash, None, f"append-only triggers are missing: {', '.join(missing)}")
    return VerifyReport(True, count, prev_hash)
