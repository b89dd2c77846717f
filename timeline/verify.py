"""`verify`: walk the hash chain and report the first seq where the log is not what was written;
with a trusted public key, also check every head that key signed.

The chain alone shows accidental edits, but whoever holds the database can rewrite history and
recompute every hash and the recorded head: the chain of the rewritten log is intact. A head
signed with a key only its owner holds cannot be recomputed, so `verify_trusted` checks that the
log still holds, at each seq the trusted key signed, the hash that was signed.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import attrs

from events.codec import event_from_record
from events.errors import InvalidEvent
from events.fastpath import Unsure, record_from_dict
from timeline.rows import row_hash, row_to_record
from timeline.schema import GENESIS_HASH
from timeline.signing import key_id, signature_holds

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from timeline.store import EventStore


@attrs.frozen
class VerifyReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    # With a trusted key: its id, and the last position it signed that the log still holds.
    trusted_key: str | None = None
    signed_seq: int | None = None
    signed_at: str | None = None
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
                        False, expected_seq - 1, prev_hash, min(seq, expected_seq), problem, checked_from=since[0] + 1
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
                False, expected_seq - 1, prev_hash, min(row["seq"], expected_seq), problem, checked_from=checked_from
            )
        expected_seq, prev_hash = expected_seq + 1, row["hash"]
    head_seq, head_hash = store.head()
    count = expected_seq - 1
    if head_seq == count and head_hash != prev_hash and count:
        return VerifyReport(
            False,
            count,
            prev_hash,
            count,
            "the recorded head hash does not match the last event",
            checked_from=checked_from,
        )
    if (head_seq, head_hash) != (count, prev_hash):
        return VerifyReport(
            False,
            count,
            prev_hash,
            min(head_seq, count) + 1,
            f"the log ends at seq {count} but its recorded head is seq {head_seq} (events at the end were removed or added)",
            checked_from=checked_from,
        )
    missing = store.missing_guards()
    if missing:
        return VerifyReport(
            False,
            count,
            prev_hash,
            None,
            f"append-only triggers are missing: {', '.join(missing)}",
            checked_from=checked_from,
        )
    return VerifyReport(True, count, prev_hash, checked_from=checked_from)


def verify_trusted(store: EventStore, trusted: Ed25519PublicKey) -> VerifyReport:
    """The chain, then every head the trusted key signed, oldest first: each signature must hold
    and the log must still hold the signed hash at the signed seq. The report names the last
    signed position, or the first signed position the log no longer holds."""
    from cryptography.hazmat.primitives import serialization  # only a trusted check needs it

    raw = trusted.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = key_id(raw)
    chain = verify_chain(store)
    report = attrs.evolve(chain, trusted_key=kid)
    if not chain.ok:
        return report
    encoded = base64.b64encode(raw).decode()
    signed = sorted((head for head in store.signed_heads() if head.public_key == encoded), key=lambda head: head.seq)
    if not signed:
        return attrs.evolve(
            report, ok=False, problem=f"no head in the log is signed by the trusted key {kid}: nothing to trust"
        )
    last_good = 0
    for head in signed:
        if not signature_holds(head, trusted):
            return attrs.evolve(
                report,
                ok=False,
                first_bad_seq=head.seq,
                problem=f"the signature of the head at seq {head.seq} does not hold (the signed head was altered)",
            )
        held = store.hash_at(head.seq)
        if held is None:
            return attrs.evolve(
                report,
                ok=False,
                first_bad_seq=chain.events + 1,
                signed_seq=last_good or None,
                problem=f"the log ends at seq {chain.events}, but seq {head.seq} was signed on {head.signed_at} "
                "(events were removed)",
            )
        if held != head.hash:
            return attrs.evolve(
                report,
                ok=False,
                first_bad_seq=head.seq,
                signed_seq=last_good or None,
                problem=f"the log was rewritten: seq {head.seq} no longer has the hash signed on {head.signed_at} "
                + (
                    f"(the change lies after seq {last_good}, signed and intact, and at or before seq {head.seq})"
                    if last_good
                    else f"(the change lies at or before seq {head.seq})"
                ),
            )
        last_good = head.seq
    return attrs.evolve(report, signed_seq=signed[-1].seq, signed_at=signed[-1].signed_at)
