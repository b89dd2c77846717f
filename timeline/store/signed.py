"""A signed head as the store keeps it: a log position, when and by which key it was signed, and
the signature. The store only keeps them; `timeline.integrity.signing` makes and checks the signatures."""

from __future__ import annotations

import base64
import hashlib

import attrs


@attrs.frozen
class SignedHead:
    """A log position (seq and hash), when it was signed, by which key, and the signature."""

    seq: int
    hash: str
    signed_at: str
    public_key: str  # raw Ed25519 public key, base64
    signature: str  # base64

    @property
    def key_id(self) -> str:
        return key_id(base64.b64decode(self.public_key))

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)


def key_id(raw_public_key: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]
