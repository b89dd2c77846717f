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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.codec import event_from_record
from events.errors import InvalidEvent
from timeline.rows import row_hash, row_to_record
from timeline.schema import GENESIS_HASH
from timeline.signing import key_id, signature_holds

if TYPE_CHECKING:
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


def verify_trusted(store: EventStore, trusted: Ed25519PublicKey) -> VerifyReport:
    """The chain, then every head the trusted key signed, oldest first: each signature must hold
    and the log must still hold the signed hash at the signed seq. The report names the last
    signed position, or the first signed position the log no longer holds."""
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
