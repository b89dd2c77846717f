"""Signed heads: a signature holds for exactly what was signed, by exactly the key that signed it."""

from __future__ import annotations

import stat

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.errors import BadInput
from timeline.integrity import signing

HEAD_HASH = "ab" * 32


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    public_path = signing.generate_key_pair(folder / "team.key")
    return signing.load_private_key(folder / "team.key"), signing.load_public_key(public_path)


def test_a_signed_head_holds_for_its_key(key_pair):
    private, public = key_pair
    signed = signing.sign(private, 42, HEAD_HASH, "2024-08-16T12:00:00+00:00")
    assert signing.signature_holds(signed, public)
    assert len(signed.key_id) == 16


@given(
    field=st.sampled_from(["seq", "hash", "signed_at"]),
)
def test_changing_anything_signed_breaks_the_signature(key_pair, field):
    private, public = key_pair
    signed = signing.sign(private, 42, HEAD_HASH, "2024-08-16T12:00:00+00:00")
    changed = {"seq": 43, "hash": "cd" * 32, "signed_at": "2024-08-17T12:00:00+00:00"}[field]
    assert not signing.signature_holds(attrs.evolve(signed, **{field: changed}), public)


def test_a_signature_by_another_key_does_not_hold(key_pair, tmp_path):
    private, _ = key_pair
    other_public = signing.load_public_key(signing.generate_key_pair(tmp_path / "other.key"))
    signed = signing.sign(private, 1, HEAD_HASH)
    assert not signing.signature_holds(signed, other_public)


def test_a_private_key_is_written_for_its_owner_only_and_never_overwritten(tmp_path):
    signing.generate_key_pair(tmp_path / "mine.key")
    assert stat.S_IMODE((tmp_path / "mine.key").stat().st_mode) == 0o600
    assert (tmp_path / "mine.key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = (tmp_path / "mine.key").read_bytes()
    with pytest.raises(BadInput, match="already exists"):
        signing.generate_key_pair(tmp_path / "mine.key")
    assert (tmp_path / "mine.key").read_bytes() == before


@pytest.mark.parametrize(
    "content, fragment",
    [(b"", "not"), (b"hello", "not"), (None, "cannot read")],
)
def test_a_bad_key_file_is_a_one_line_error(tmp_path, content, fragment):
    path = tmp_path / "bad.key"
    if content is not None:
        path.write_bytes(content)
    for load in (signing.load_private_key, signing.load_public_key):
        with pytest.raises(BadInput, match=fragment) as error:
            load(path)
        assert "\n" not in str(error.value)


def test_a_public_key_given_as_the_private_key_is_refused(tmp_path):
    public_path = signing.generate_key_pair(tmp_path / "k.key")
    with pytest.raises(BadInput):
        signing.load_private_key(public_path)
