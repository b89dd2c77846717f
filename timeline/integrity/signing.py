"""Signed heads: an Ed25519 signature over a log position, so a published log can be trusted.

The hash chain shows accidental edits, but whoever holds the file can rewrite history and
recompute every hash. A head signed with a key that only its owner holds cannot be
recomputed: a reader who trusts the public key checks that the log still holds, at the
signed seq, the hash that was signed. The `cryptography` package does the cryptography;
this module only decides what is signed and how keys are kept in files.

What is signed is the canonical JSON of {"purpose", "seq", "hash", "signed_at"}: the
purpose string keeps a signature made for a timeline head from being valid for anything else.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from timeline.errors import BadInput
from timeline.store.signed import SignedHead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PURPOSE = "timeline signed head v1"


def message(seq: int, hash_: str, signed_at: str) -> bytes:
    """The bytes a signature covers."""
    statement = {"purpose": PURPOSE, "seq": seq, "hash": hash_, "signed_at": signed_at}
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


# `cryptography` is imported by the functions that use it: every command reads signed heads,
# few sign or check them, and its import is a measurable part of start-up.


def _raw(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(private_key: Ed25519PrivateKey, seq: int, hash_: str, signed_at: str | None = None) -> SignedHead:
    signed_at = signed_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    signature = private_key.sign(message(seq, hash_, signed_at))
    return SignedHead(
        seq,
        hash_,
        signed_at,
        base64.b64encode(_raw(private_key.public_key())).decode(),
        base64.b64encode(signature).decode(),
    )


def signature_holds(signed: SignedHead, trusted: Ed25519PublicKey) -> bool:
    """True when `signed` was made by the trusted key over exactly its seq, hash and time."""
    from cryptography.exceptions import InvalidSignature

    if signed.public_key != base64.b64encode(_raw(trusted)).decode():
        return False
    try:
        trusted.verify(base64.b64decode(signed.signature), message(signed.seq, signed.hash, signed.signed_at))
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_holds_under_its_key(signed: SignedHead) -> bool:
    """True when `signed` was made over exactly its seq, hash and time by the key it names: it
    was not edited. Who that key belongs to is for `signature_holds` with a trusted key to say."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        named = Ed25519PublicKey.from_public_bytes(base64.b64decode(signed.public_key, validate=True))
    except ValueError:  # not base64, or not 32 bytes: an edited key
        return False
    return signature_holds(signed, named)


# -- keys in files ---------------------------------------------------------------------------


def generate_key_pair(private_path: Path) -> Path:
    """Write a new private key (PEM, readable by its owner only) and its public key beside it
    (`.pub`); returns the public key's path. An existing file is never overwritten."""
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise BadInput(f"{path}: already exists; a key is never overwritten")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as exc:
        raise BadInput(f"{private_path}: cannot write the key: {exc.strerror}") from None
    return public_path


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the {what}: {exc.strerror}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise BadInput(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise BadInput(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(f"{path}: not an Ed25519 public key")
    return key
