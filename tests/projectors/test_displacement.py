"""Displacement, by hand: each source's latest figure per basis, side by side whatever its day."""

from __future__ import annotations

import datetime as dt

from projector_examples import aug, event, fold

from events.envelope import DatePrecision
from events.kinds import CiviliansDisplaced, DisplacementBasis
from events.quantity import Bound, Quantity
from timeline.projectors.displacement import projector

KURSK = ("Kursk Oblast",)


def displaced(count: int, basis: DisplacementBasis = DisplacementBasis.TOTAL, region: str = "Kursk Oblast"):
    return CiviliansDisplaced(region=region, count=Quantity(count), basis=basis)


def test_a_sources_new_total_replaces_its_own_earlier_one():
    facts = fold(
        projector, event(displaced(121_000), aug(12), "Smirnov"), event(displaced(133_000), aug(22), "Smirnov")
    )
    kursk = facts[KURSK]
    assert [f.count.value for f in kursk.figures] == [133_000]
    assert not kursk.contested


def test_figures_of_different_sources_and_days_stand_side_by_side_and_are_contested():
    # Manturov's figure a week after Smirnov's does not silently replace it.
    facts = fold(
        projector,
        event(displaced(133_000), aug(22), "Smirnov", event_id="s"),
        event(displaced(115_000), aug(29), "Manturov", event_id="m"),
    )
    kursk = facts[KURSK]
    assert [(f.count.value, f.claim.source) for f in kursk.figures] == [(133_000, "Smirnov"), (115_000, "Manturov")]
    assert kursk.contested and kursk.event_ids == ("s", "m")
    assert "displaced in total CONTESTED: 133,000 (Smirnov, 2024-08-22) vs 115,000 (Manturov, 2024-08-29)" in (
        kursk.describe()
    )


def test_two_sources_agreeing_are_not_contested():
    facts = fold(projector, event(displaced(100), aug(12), "A"), event(displaced(100), aug(13), "B"))
    assert not facts[KURSK].contested


def test_subject_to_evacuation_is_another_question_not_a_disagreement():
    facts = fold(
        projector,
        event(
            CiviliansDisplaced("Kursk Oblast", Quantity(121_000, Bound.APPROX), DisplacementBasis.TOTAL), aug(12), "S"
        ),
        event(
            CiviliansDisplaced(
                "Kursk Oblast", Quantity(180_000, Bound.APPROX), DisplacementBasis.SUBJECT_TO_EVACUATION
            ),
            aug(12),
            "S",
        ),
    )
    kursk = facts[KURSK]
    assert len(kursk.figures) == 2 and not kursk.contested
    assert kursk.describe() == (
        "Kursk Oblast: displaced in total: about 121,000 (S, 2024-08-12); subject to evacuation: about 180,000 (S, 2024-08-12)"
    )


def test_a_sources_latest_new_displacement_stands_beside_other_sources():
    facts = fold(
        projector,
        event(displaced(1_000, DisplacementBasis.NEW), aug(12), "S"),
        event(displaced(2_000, DisplacementBasis.NEW), aug(13), "S"),
        event(displaced(1_500, DisplacementBasis.NEW), aug(13), "T"),
    )
    assert [(f.count.value, f.claim.source) for f in facts[KURSK].figures] == [(2_000, "S"), (1_500, "T")]


def test_a_regions_fact_stays_the_same_size_however_many_reports_are_logged():
    reports = [
        event(displaced(n, DisplacementBasis.NEW), aug(1) + dt.timedelta(days=n), "S", event_id=f"d-{n}")
        for n in range(1, 200)
    ]
    assert len(fold(projector, *reports)[KURSK].figures) == 1


def test_a_week_precise_figure_says_so():
    facts = fold(projector, event(displaced(115_000), aug(22), "Manturov", precision=DatePrecision.WEEK))
    assert "115,000 (Manturov, in the week of 2024-08-19)" in facts[KURSK].describe()


def test_regions_are_separate_facts():
    facts = fold(
        projector, event(displaced(1, region="Kursk Oblast"), aug(12)), event(displaced(2, region="Belgorod"), aug(12))
    )
    assert set(facts) == {KURSK, ("Belgorod",)}
