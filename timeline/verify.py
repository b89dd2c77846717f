"""`verify`: walk the hash chain and report the first seq where the log is not what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from events.codec import event_from_record
from events.errors import InvalidEvent
from events.fastpath import Unsure, record_from_dict
from timeline.rows import row_hash, row_to_record
from timeline.schema import APPEND_ONLY_TRIGGERS, GENESIS_HASH

if TYPE_CHECKING:
    from timeline.store import EventStore


@attrs.frozen
class VerifyReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    checked_from: int = 1  # the first seq whose row was read (after the last verified head, if incremental)


def verify_chain(store: EventStore, *, since: tuple[int, str] | None = None) -> VerifyReport:
    """Every row in seq order from 1, chained to the one before, matching its hash, readable,
    and the recorded head at the last row; the append-only triggers in place.

    `since` (seq, hash), a head an earlier full walk found intact: start after it, checking
    that its row still holds that hash (an edit before it is left to a full walk).
    """
    expected_seq, prev_hash = 1, GENESIS_HASH
    if since is not None and since[0] > 0:
        anchor = next(store.rows("seq = ?", [since[0]]), None)
        if anchor is not None and anchor["hash"] == since[1] and row_hash(anchor) == since[1]:
            expected_seq, prev_hash = since[0] + 1, since[1]
    checked_from = expected_seq
    for row in store.rows("seq >= ?", [expected_seq]) if expected_seq > 1 else store.rows():
        problem = None
        if row["seq"] != expected_seq:
            problem = f"expected seq {expected_seq}, found seq {row['seq']} (an event was removed or inserted)"
        elif row["prev_hash"] != prev_hash:
            problem = "prev_hash does not match the previous event's hash (an event was removed, inserted or moved)"
        elif row_hash(row) != row["hash"]:
            problem = "content does not match its hash (the event was edited)"
        else:
            record = row_to_record(row)
            try:
                record_from_dict(record)  # the fast check; when unsure, the converter decides
            except Unsure:
                try:
                    event_from_record(record)
                except (InvalidEvent, ValueError, TypeError) as exc:
                    problem = f"stored event is not valid: {exc}"
        if problem:
            return VerifyReport(
                False, expected_seq - 1, prev_hash, min(row["seq"], expected_seq), problem, checked_from
            )
        expected_seq, prev_hash = expected_seq + 1, row["hash"]
    head_seq, head_hash = store.head()
    count = expected_seq - 1
    if head_seq == count and head_hash != prev_hash and count:
        return VerifyReport(
            False, count, prev_hash, count, "the recorded head hash does not match the last event", checked_from
        )
    if (head_seq, head_hash) != (count, prev_hash):
        return VerifyReport(
            False,
            count,
            prev_hash,
            min(head_seq, count) + 1,
            f"the log ends at seq {count} but its recorded head is seq {head_seq} (events at the end were removed or added)",
            checked_from,
        )
    triggers = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = sorted(set(APPEND_ONLY_TRIGGERS) - triggers)
    if missing:
        return VerifyReport(
            False, count, prev_hash, None, f"append-only triggers are missing: {', '.join(missing)}", checked_from
        )
    return VerifyReport(True, count, prev_hash, checked_from=checked_from)
