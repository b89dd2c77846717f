"""The key-locality law: what lets a write in the past refold only the facts it touches.

For every projector that declares `keys`, and any state and event of a kind it reads:
- `apply` leaves every key outside `keys(event)` as it was (same fact, or still absent);
- the new fact at each key of `keys(event)` is the same when the state holds only that key's
  old fact: it reads nothing else; and `fact_folder()` makes that fact from the old one alone.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import AUGUST_2024, events

from events import registry
from events.codec import canonical_json, event_to_record
from timeline.facts import FactMap
from timeline.projectors import PROJECTORS
from timeline.projectors.base import Projector

KEYED = [projector for projector in PROJECTORS if projector.keys is not None]


def _events_of(projector: Projector) -> st.SearchStrategy:
    kinds = tuple(sorted(registry.kind_of_class(cls) for cls in projector.reads))
    return events(window=AUGUST_2024, small_pools=True, kinds=kinds)


def _fold(projector: Projector, history: list) -> FactMap:
    state = projector.initial()
    for event in history:
        state = projector.apply(state, event)
    return state


def test_every_projector_declares_its_keys():
    # A projector without keys is correct, but every write in the past refolds it whole.
    assert [projector.name for projector in PROJECTORS if projector.keys is None] == []


@pytest.mark.parametrize("projector", KEYED, ids=lambda projector: projector.name)
@given(data=st.data())
def test_apply_changes_and_reads_only_the_events_keys(projector, data):
    strategy = _events_of(projector)
    state = _fold(projector, data.draw(st.lists(strategy, max_size=8), label="history"))
    event = data.draw(strategy, label="event")
    assert projector.keys is not None
    keys = projector.keys(event)
    assert keys, "an event of a kind the projector reads touches at least one fact"
    after = projector.apply(state, event)

    for key in set(state) | set(after):
        if key not in keys:
            assert (key in after) == (key in state) and after.get(key) == state.get(key), key

    step = projector.fact_folder()
    for key in keys:
        alone = FactMap().set(key, state[key]) if key in state else FactMap()
        assert projector.apply(alone, event).get(key) == after.get(key), key
        # What a refold of the one fact calls (the projector's own `fold_fact`, where it has one).
        assert step(key, state.get(key), event) == after.get(key), key


@pytest.mark.parametrize("projector", KEYED, ids=lambda projector: projector.name)
@given(event=st.data())
def test_events_of_other_kinds_touch_no_key(projector, event):
    read = {registry.kind_of_class(cls) for cls in projector.reads}
    other = tuple(sorted(set(registry.kind_names()) - read))
    drawn = event.draw(events(window=AUGUST_2024, small_pools=True, kinds=other))
    assert projector.keys is not None
    assert projector.keys(drawn) == ()


@pytest.mark.parametrize("projector", KEYED, ids=lambda projector: projector.name)
@given(data=st.data())
def test_an_event_names_a_part_of_every_key_it_touches_in_its_data(projector, data):
    """What lets a refold search the log for the touched keys instead of decoding every row
    (timeline/checkpoints/patch.py), for the rows it searches: those at the current payload version."""
    kinds = tuple(sorted(registry.kind_of_class(cls) for cls in projector.reads))
    event = data.draw(events(window=AUGUST_2024, small_pools=False, kinds=kinds))
    stored = canonical_json(event_to_record(event)["data"])
    assert projector.keys is not None
    for key in projector.keys(event):
        assert any(canonical_json(part) in stored for part in key), (key, stored)
