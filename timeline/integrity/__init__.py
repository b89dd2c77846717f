"""The log's proofs: `verify` (every row against its hash and chain, the triggers, the signed
heads), `verify_export` (the same of a published copy), `sign` (a head signed with a private key)
and `copy_rows` (a whole log, hashes and signatures included, into another store)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from timeline.errors import BadInput, ChainBroken
from timeline.formats import cloudevents
from timeline.formats.published import after_reading, published_rows, read_lines
from timeline.integrity import signing
from timeline.integrity.verify import VerifyReport, failed, verify_log
from timeline.store import CopyResult, EventStore, SignedHead, memory_store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["VerifyReport", "copy_rows", "sign", "verify", "verify_export"]


def verify(
    store: EventStore, trust: Ed25519PublicKey | None = None, *, quick: bool = False, decode: bool = False
) -> VerifyReport:
    """Read every row and report every finding (`verify.verify_log`); an intact log's head is
    recorded (when the store can be written) for a later `quick` check."""
    report = verify_log(store, trusted=trust, quick=quick, decode=decode)
    if report.ok:
        store.record_verified(report.events, report.head_hash)
    return report


def verify_export(path: str | os.PathLike[str], trust: Ed25519PublicKey | None = None) -> VerifyReport:
    """Check an exported file (JSONL or CloudEvents) as `verify` checks a log: its rows are rebuilt
    in memory from the chain they carry, and the first broken link is reported."""
    replica = memory_store(label=str(path))
    try:
        with Path(path).open("rb") as stream:
            signed_heads: list[SignedHead] = []
            rows = _exported_rows(stream, str(path), signed_heads)
            try:
                replica.append_rows(rows, after_reading(signed_heads), check_signed_heads=False)
            except ChainBroken as exc:
                count = exc.seq - 1
                problem = f"{exc.where}: {exc.message}" if exc.where else exc.message
                return failed(count, replica.hash_at(count) or "", exc.seq, problem)
        return verify(replica, trust)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        replica.close()


def sign(store: EventStore, private_key: Ed25519PrivateKey) -> SignedHead:
    """Sign the log's current head (seq, hash, time) and keep the signature in the log."""
    if store.count() == 0:
        raise BadInput(f"{store.label}: the log is empty, so it has no head to sign")
    return store.record_signed_head(lambda seq, hash_: signing.sign(private_key, seq, hash_))


def copy_rows(source: EventStore, destination: EventStore) -> CopyResult:
    """Copy the whole log (ids, seqs, recording times, hashes and signed heads) into `destination`.
    A destination that holds the beginning of this log gets the rest; one that holds another log is
    refused, unchanged."""
    with source.read_transaction():
        rows = ((row, f"{source.label} seq {row['seq']}") for row in source.rows())
        return destination.append_rows(rows, source.signed_heads())


def _exported_rows(
    stream: IO[bytes], name: str, signed_heads: list[SignedHead]
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The rows of an exported file that carries its hash chain: JSONL (a published copy) or CloudEvents."""
    first_line = stream.peek(1 << 16) if hasattr(stream, "peek") else b""
    if b'"specversion"' in first_line.split(b"\n", 1)[0]:
        yield from cloudevents.read_published(stream, name, signed_heads)
        return
    lines = read_lines(stream, name, signed_heads)
    first = next(lines)
    if first.chain is None:
        raise BadInput(f"{name}: its lines carry no hash chain (only the export of a signed log does)")
    yield from published_rows(itertools.chain([first], lines))
