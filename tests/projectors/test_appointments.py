"""Appointments, by hand: who holds a role, since when, and whom they followed."""

from __future__ import annotations

from projector_examples import aug, event, fold

from events.kinds import OfficialAppointed
from timeline.projectors.appointments import projector

ROLE = ("Coordinator",)


def appointed(person: str, role: str = "Coordinator", by: str = "Putin"):
    return OfficialAppointed(person=person, role=role, appointed_by=by, region="Kursk Oblast")


def test_an_appointment_names_holder_appointer_and_day():
    holder = fold(projector, event(appointed("Dyumin"), aug(12), unverified=True))[ROLE]
    assert (holder.person, holder.appointed_by, holder.since, holder.predecessor) == ("Dyumin", "Putin", aug(12), None)
    assert holder.describe() == "Coordinator in Kursk Oblast: Dyumin, appointed by Putin (2024-08-12, unverified)"


def test_a_new_holder_names_the_predecessor():
    holder = fold(projector, event(appointed("Dyumin"), aug(12)), event(appointed("Smirnov"), aug(20), event_id="new"))[
        ROLE
    ]
    assert (holder.person, holder.predecessor, holder.since, holder.event_ids) == (
        "Smirnov",
        "Dyumin",
        aug(20),
        ("new",),
    )


def test_reappointing_the_holder_keeps_the_earlier_predecessor():
    holder = fold(
        projector,
        event(appointed("A"), aug(1)),
        event(appointed("B"), aug(10)),
        event(appointed("B", by="Kremlin"), aug(12)),
    )[ROLE]
    assert (holder.person, holder.predecessor, holder.appointed_by) == ("B", "A", "Kremlin")


def test_roles_are_separate_facts():
    facts = fold(projector, event(appointed("A"), aug(1)), event(appointed("B", role="Commandant"), aug(1)))
    assert set(facts) == {ROLE, ("Commandant",)}
