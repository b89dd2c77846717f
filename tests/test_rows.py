"""A row's hash is SHA-256 over canonical JSON; the fast spelling of that JSON is the same text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies import AUGUST_2024, events

from events.codec import event_to_record
from timeline.store.rows import COLUMNS, _canonical_material, _hashed_json, record_to_row

ANY_VALUE = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()


@given(events(window=AUGUST_2024), st.integers(1, 10**9), st.text(max_size=40), st.text(min_size=64, max_size=64))
def test_the_hashed_json_is_canonical_json(event, seq, recorded_at, prev_hash):
    row = record_to_row(event_to_record(event), seq, recorded_at, prev_hash)
    assert _hashed_json(row) == _canonical_material(row)


@given(events(window=AUGUST_2024), st.sampled_from([name for name in COLUMNS if name != "hash"]), ANY_VALUE)
def test_a_value_of_any_type_hashes_as_canonical_json(event, column, value):
    # verify hashes what it reads, and an edited row can hold anything.
    row = record_to_row(event_to_record(event), 1, "2024-08-12T00:00:00+00:00", "0" * 64)
    row[column] = value
    assert _hashed_json(row) == _canonical_material(row)
