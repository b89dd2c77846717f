"""`verify`: read every row of the log and report everything that is not what was written.

What a check reads, every time (no row is trusted because an earlier check read it):

- every row's content, re-hashed and compared with its stored hash;
- every link: each row's seq follows the one before and its prev_hash is that row's hash;
- the recorded head: the last row's seq and hash;
- the database's refusals of UPDATE and DELETE (triggers): present, enabled and unaltered;
- every signed head: its signature holds under the key it names, and the log still holds the hash
  it signed at its seq. With a trusted key, also that the key signed a head the log holds.
- that every event's kind is one this version knows (with `decode`, every event is decoded).

Every finding is reported, each naming its seq where it has one. The chain alone shows edits made
without recomputing hashes; whoever holds the database can rewrite history and recompute every
hash and the head. A head signed with a key only its owner holds cannot be recomputed: `trusted`
checks that the log still holds, at each seq that key signed, the hash that was signed.

Speed: each backend re-hashes the rows in its fastest way (`EventStore.scan_chain`), a log of
PARALLEL_FROM rows or more in two ranges at once (one in a second process), and only the rows its
scan flags are judged again by the reference spelling of a row's hash (`rows.row_hash`).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from events import registry
from events.codec import event_from_record
from events.errors import InvalidEvent
from events.fastpath import Unsure, record_from_dict
from timeline.integrity.signing import signature_holds_under_its_key
from timeline.store.chain_scan import ChainSegment, Suspect, content_matches, segment_of
from timeline.store.layout import GENESIS_HASH
from timeline.store.rows import row_to_record
from timeline.store.signed import SignedHead, key_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from timeline.store import EventStore

# Below this many rows a second process costs more (its start, ~0.15 s) than it saves.
PARALLEL_FROM = 200_000
# Bad rows named one by one; past this many a report gives their count.
ROWS_LISTED = 20
_UNBOUNDED = 2**62


@attrs.frozen
class Finding:
    problem: str
    seq: int | None = None


@attrs.frozen
class VerifyReport:
    events: int  # rows read
    head_hash: str  # the hash of the last row read
    findings: tuple[Finding, ...] = ()
    more_bad_rows: int = 0  # bad rows found beyond those named in findings
    # A quick check re-hashed the rows from this seq only (the rows before were read for their links).
    quick_from: int | None = None
    decoded: bool = False  # every event was decoded with this version
    signed_heads: int = 0  # signed heads checked against the keys they name and the log
    # With a trusted key: its id, and the last position it signed that the log still holds.
    trusted_key: str | None = None
    signed_seq: int | None = None
    signed_at: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def checked(self) -> list[str]:
        """What was read, in words."""
        rows = "every row linked to the one before" + (
            f", the rows from seq {self.quick_from} re-hashed" if self.quick_from else " and re-hashed"
        )
        found = [rows, "the recorded head", "the append-only triggers", "every kind known to this version"]
        if self.decoded:
            found.append("every event decoded")
        if self.signed_heads:
            found.append(f"{self.signed_heads} signed head{'s' if self.signed_heads != 1 else ''} under the keys named")
        return found

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [finding.seq for finding in self.findings if finding.seq is not None]
        return min(seqs) if seqs else None

    @property
    def problem(self) -> str | None:
        """The finding at the first bad seq (or the first finding, if none names a seq)."""
        if not self.findings:
            return None
        first = self.first_bad_seq
        return next((f.problem for f in self.findings if f.seq == first), self.findings[0].problem)


def failed(events: int, head_hash: str, seq: int | None, problem: str) -> VerifyReport:
    """A report of one finding (an export whose rows could not be read back, say)."""
    return VerifyReport(events, head_hash, (Finding(problem, seq),))


def verify_log(
    store: EventStore,
    *,
    trusted: Ed25519PublicKey | None = None,
    quick: bool = False,
    decode: bool = False,
    parallel: bool = True,
) -> VerifyReport:
    """Check the whole log (see the module's docstring). `quick` re-hashes only the rows after the
    head an earlier check found intact (the rows before it are read for their links alone);
    `decode` also decodes every event with this version; `trusted`, a public key whose signed
    heads the log must hold."""
    since = _quick_anchor(store) if quick else None
    segments, head = _scan(store, since, parallel=parallel)
    rows_read = sum(segment.rows for segment in segments)
    last = next((segment.last for segment in reversed(segments) if segment.last is not None), (0, GENESIS_HASH))
    findings, more = _row_findings(store, segments)
    findings += _head_findings(store, head, last)
    findings += [Finding(problem) for problem in store.guard_problems()]
    findings += _kind_findings(store)
    if decode:
        findings += _decode_findings(store)
    signed, trusted_key, trusted_head = _signed_head_findings(store, trusted, last[0])
    findings += signed
    report = VerifyReport(
        rows_read,
        last[1],
        tuple(findings),
        more,
        quick_from=since[0] + 1 if since else None,
        decoded=decode,
        signed_heads=len(store.signed_heads()),
    )
    if trusted_head is not None:
        report = attrs.evolve(report, signed_seq=trusted_head.seq, signed_at=trusted_head.signed_at)
    return attrs.evolve(report, trusted_key=trusted_key)


# -- the rows ------------------------------------------------------------------------------------


def _quick_anchor(store: EventStore) -> tuple[int, str] | None:
    """The head an earlier check found intact, if its row still holds that hash and its content."""
    since = store.verified_head()
    if since is None or since[0] <= 0:
        return None
    rows = list(store.rows_for_check(since[0] - 1, since[0]))
    if not rows or rows[0]["hash"] != since[1] or not content_matches(rows[0]):
        return None
    return since


def _scan(
    store: EventStore, since: tuple[int, str] | None, *, parallel: bool
) -> tuple[list[ChainSegment], tuple[int, str]]:
    """Every row, as segments in seq order, and the recorded head read after them; rows another
    writer appended while the scan ran are read too, so the two describe the same log."""
    segments: list[ChainSegment] = []
    start = 0
    if since is not None:
        links = ((seq, prev, hash_, True) for seq, prev, hash_ in store.hash_links(until_seq=since[0]))
        segments.append(segment_of(0, since[0], links))
        start = since[0]
    head = store.head()[0]
    target = store.reopen_target()
    if parallel and target is not None and head - start >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        middle = start + (head - start) // 2
        worker = _start_scan_elsewhere(target, start, middle)
        try:
            second_half = store.scan_chain(after_seq=middle, until_seq=_UNBOUNDED)
        except BaseException:
            if worker is not None:
                worker.kill()
            raise
        first_half = _finish_scan_elsewhere(worker)
        # No second process here (a sandbox, say), or it failed: that half is read in this one.
        segments.append(first_half or store.scan_chain(after_seq=start, until_seq=middle))
        segments.append(second_half)
    else:
        segments.append(store.scan_chain(after_seq=start, until_seq=_UNBOUNDED))
    # Rows appended by another writer after the scan's last read, before the head is read: read them too.
    for _ in range(3):
        head_now = store.head()
        end = next((segment.last[0] for segment in reversed(segments) if segment.last is not None), 0)
        if head_now[0] <= end:
            break
        more = store.scan_chain(after_seq=end, until_seq=_UNBOUNDED)
        if not more.rows:
            break  # the head is past the rows: a finding, not a race
        segments.append(more)
    return segments, head_now


def _start_scan_elsewhere(target: str, after_seq: int, until_seq: int) -> subprocess.Popen[bytes] | None:
    """A range scanned by another Python process (`python -m timeline.integrity.verify`), on a read-only
    handle of its own. The target goes in on stdin: a URL's password stays off the command line."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "timeline.integrity.verify"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        assert worker.stdin is not None
        worker.stdin.write(json.dumps({"target": target, "after_seq": after_seq, "until_seq": until_seq}).encode())
        worker.stdin.close()
    except OSError:
        return None
    return worker


def _finish_scan_elsewhere(worker: subprocess.Popen[bytes] | None) -> ChainSegment | None:
    if worker is None:
        return None
    assert worker.stdout is not None
    output = worker.stdout.read()
    if worker.wait() != 0:
        return None
    return segment_from_json(json.loads(output))


def segment_to_json(segment: ChainSegment) -> dict[str, Any]:
    return attrs.asdict(segment, recurse=True)


def segment_from_json(data: dict[str, Any]) -> ChainSegment:
    def pair(value: list[Any] | None) -> tuple[int, str] | None:
        return None if value is None else (int(value[0]), str(value[1]))

    return ChainSegment(
        data["after_seq"],
        data["until_seq"],
        data["rows"],
        pair(data["first"]),
        pair(data["last"]),
        tuple(Suspect(**suspect) for suspect in data["suspects"]),
        data["suspects_total"],
    )


def _scan_requested() -> None:
    """The other process's side: read the request on stdin, print the segment as JSON."""
    from timeline.store import open_store

    request = json.loads(sys.stdin.read())
    store = open_store(request["target"], writable=False)
    try:
        segment = store.scan_chain(after_seq=request["after_seq"], until_seq=request["until_seq"])
    finally:
        store.close()
    sys.stdout.write(json.dumps(segment_to_json(segment)))


def _suspects(segments: list[ChainSegment]) -> Iterator[Suspect]:
    """Every flagged row, each with the row before it; the ranges' own ends linked to each other."""
    before: tuple[int, str] = (0, GENESIS_HASH)
    for segment in segments:
        if segment.first is None or segment.last is None:
            continue
        first_seq, first_prev = segment.first
        if first_seq != before[0] + 1 or first_prev != before[1]:
            yield Suspect(first_seq, *before)
        for suspect in segment.suspects:
            if suspect.before_seq is None:
                if suspect.seq == first_seq and (first_seq, first_prev) == (before[0] + 1, before[1]):
                    yield Suspect(suspect.seq, *before)  # its content only: its link was judged above
                continue
            yield suspect
        before = segment.last


def _row_findings(store: EventStore, segments: list[ChainSegment]) -> tuple[list[Finding], int]:
    """The flagged rows, judged again one by one by the reference check: the first ROWS_LISTED bad
    rows named, and how many more there were."""
    findings: list[Finding] = []
    judged: set[int] = set()
    bad_rows = 0
    for suspect in _suspects(segments):
        if suspect.seq in judged:
            continue
        judged.add(suspect.seq)
        problems = _judge(store, suspect)
        if problems:
            bad_rows += 1
            if bad_rows <= ROWS_LISTED:
                findings += problems
    flagged = sum(segment.suspects_total for segment in segments)
    unjudged = max(0, flagged - len(judged))
    return findings, max(0, bad_rows - ROWS_LISTED) + unjudged


def _judge(store: EventStore, suspect: Suspect) -> list[Finding]:
    rows = list(store.rows_for_check(suspect.seq - 1, suspect.seq))
    if not rows:
        return []
    row = rows[0]
    found = []
    expected = (suspect.before_seq or 0) + 1
    if row["seq"] != expected:
        removed = f"seq {expected}" if row["seq"] == expected + 1 else f"seq {expected} to {row['seq'] - 1}"
        found.append(Finding(f"expected seq {expected}, found seq {row['seq']} ({removed} removed)", expected))
    elif row["prev_hash"] != suspect.before_hash:
        found.append(
            Finding(
                "prev_hash does not match the previous event's hash (an event before it was edited and "
                "re-hashed, removed, inserted or moved)",
                row["seq"],
            )
        )
    if not content_matches(row):
        found.append(Finding("content does not match its hash (the event was edited)", row["seq"]))
    return found


def _head_findings(store: EventStore, head: tuple[int, str], last: tuple[int, str]) -> list[Finding]:
    """The recorded head must be the last row; and the head an earlier check found intact (kept
    up to date by every append) must still be a position of the log."""
    found = []
    head_seq, head_hash = head
    count = last[0]
    if head_seq == count and head_hash != last[1] and count:
        found.append(Finding("the recorded head hash does not match the last event", count))
    elif head_seq != count:
        found.append(
            Finding(
                f"the log ends at seq {count} but its recorded head is seq {head_seq} "
                "(events at the end were removed or added)",
                min(head_seq, count) + 1,
            )
        )
    verified = store.verified_head()
    if verified is not None and verified[0] > 0:
        held = store.hash_at(verified[0])
        if held is None:
            found.append(
                Finding(
                    f"an earlier check found the log intact up to seq {verified[0]}, but it now ends at seq "
                    f"{count} (events at the end were removed)",
                    count + 1,
                )
            )
        elif held != verified[1]:
            found.append(
                Finding(
                    f"an earlier check found the log intact up to seq {verified[0]}, but seq {verified[0]} "
                    "now has another hash (the log was rewritten at or before it)",
                    verified[0],
                )
            )
    return found


def _kind_findings(store: EventStore) -> list[Finding]:
    known = set(registry.kind_names())
    return [
        Finding(f"kind {kind!r} is not one this version of timeline knows (written by a newer version?)", seq)
        for kind, seq in sorted(store.first_seq_by_kind().items(), key=lambda item: item[1])
        if kind not in known
    ]


def _decode_findings(store: EventStore) -> list[Finding]:
    """Every event decoded as a query would: the first that this version cannot read."""
    for row in store.rows():
        record = row_to_record(row)
        try:
            record_from_dict(record)  # the fast check; when unsure, the converter decides
        except Unsure:
            try:
                event_from_record(record)
            except (InvalidEvent, ValueError, TypeError) as exc:
                return [Finding(f"stored event is not valid: {exc}", row["seq"])]
    return []


# -- the signed heads ----------------------------------------------------------------------------


def _signed_head_findings(
    store: EventStore, trusted: Ed25519PublicKey | None, last_seq: int
) -> tuple[list[Finding], str | None, SignedHead | None]:
    """Each signed head, oldest first, against the key it names and the log; with a trusted key,
    its id and the last head it signed with nothing rewritten up to it."""
    trusted_raw = _raw(trusted) if trusted is not None else None
    trusted_key = base64.b64encode(trusted_raw).decode() if trusted_raw is not None else None
    found: list[Finding] = []
    last_good: SignedHead | None = None  # the last head whose signature and position hold
    trusted_good: SignedHead | None = None
    broken = False  # a head before this one did not hold: nothing after it is vouched for
    by_trusted = 0
    for head in sorted(store.signed_heads(), key=lambda head: head.seq):
        by_trusted += head.public_key == trusted_key
        problem = _signed_head_problem(store, head, last_seq, last_good)
        if problem is not None:
            found.append(problem)
            broken = True
            continue
        last_good = head
        if head.public_key == trusted_key and not broken:
            trusted_good = head
    if trusted_raw is None:
        return found, None, None
    if not by_trusted:
        found.append(
            Finding(f"no head in the log is signed by the trusted key {key_id(trusted_raw)}: nothing to trust")
        )
    return found, key_id(trusted_raw), trusted_good


def _raw(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization  # only a trusted check needs it

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _signed_head_problem(
    store: EventStore, head: SignedHead, last_seq: int, last_good: SignedHead | None
) -> Finding | None:
    """What is wrong with one signed head: its signature, or the log no longer holding what it signed."""
    if not signature_holds_under_its_key(head):
        return Finding(
            f"the signature of the head at seq {head.seq} does not hold (the signed head was altered)", head.seq
        )
    held = store.hash_at(head.seq)
    if held is None:
        return Finding(
            f"the log ends at seq {last_seq}, but seq {head.seq} was signed on {head.signed_at} (events were removed)",
            last_seq + 1,
        )
    if held != head.hash:
        where = (
            f"the change lies after seq {last_good.seq}, signed and intact, and at or before seq {head.seq}"
            if last_good is not None
            else f"the change lies at or before seq {head.seq}"
        )
        return Finding(
            f"the log was rewritten: seq {head.seq} no longer has the hash signed on {head.signed_at} ({where})",
            head.seq,
        )
    return None


if __name__ == "__main__":
    _scan_requested()
