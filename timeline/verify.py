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


_LINK_PROBLEMS = {
    "seq": "expected seq {expected}, found seq {found} (an event was removed or inserted)",
    "prev_hash": "prev_hash does not match the previous event's hash (an event was removed, inserted or moved)",
}


def verify_chain(store: EventStore, *, since: tuple[int, str] | None = None) -> VerifyReport:
    """Every row in seq order from 1, chained to the one before, matching its hash, readable,
    and the recorded head at the last row; the append-only triggers in place.

    `since` (seq, hash), a head an earlier check found intact: the rows up to it are checked
    for their links only (seq and prev_hash, so a row removed, inserted or moved is still
    found); their content is left to a full check. Its own row must still hold that hash.
    """
    expected_seq, prev_hash = 1, GENESIS_HASH
    if since is not None and since[0] > 0:
        anchor = next(store.rows("seq = ?", [since[0]]), None)
        if anchor is not None and anchor["hash"] == since[1] and row_hash(anchor) == since[1]:
            for seq, row_prev, row_hash_ in store.hash_links(until_seq=since[0]):
                problem = None
                if seq != expected_seq:
                    problem = _LINK_PROBLEMS["seq"].format(expected=expected_seq, found=seq)
                elif row_prev != prev_hash:
                    problem = _LINK_PROBLEMS["prev_hash"]
                if problem:
                    return VerifyReport(
                        False, expected_seq - 1, prev_hash, min(seq, expected_seq), problem, since[0] + 1
                    )
                expected_seq, prev_hash = expected_seq + 1, row_hash_
            if (expected_seq - 1, prev_hash) != since:
                expected_seq, prev_hash = 1, GENESIS_HASH  # the links do not lead to it: check everything
    checked_from = expected_seq
    for row in store.rows("seq >= ?", [expected_seq]) if expected_seq > 1 else store.rows():
        problem = None
        if row["seq"] != expected_seq:
            problem = _LINK_PROBLEMS["seq"].format(expected=expected_seq, found=row["seq"])
        elif row["prev_hash"] != prev_hash:
            problem = _LINK_PROBLEMS["prev_hash"]
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
