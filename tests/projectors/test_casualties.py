"""Casualties, by hand: per region and group, each source's latest report, side by side."""

from __future__ import annotations

import pytest
from projector_examples import aug, event, fold

from events.kinds import CasualtiesReported
from events.quantity import Bound, Quantity
from timeline.projectors.casualties import projector

KEY = ("Kursk Oblast", "civilians")


def report(**figures: Quantity) -> CasualtiesReported:
    return CasualtiesReported(region="Kursk Oblast", among="civilians", **figures)


def test_one_report_shows_every_figure_it_gives():
    facts = fold(
        projector,
        event(
            report(killed=Quantity(12), injured=Quantity(121), missing=Quantity(2000, Bound.APPROX)), aug(12), "Smirnov"
        ),
    )
    assert facts[KEY].describe() == (
        "Kursk Oblast, civilians: 12 killed, 121 injured, about 2,000 missing (Smirnov, 2024-08-12)"
    )
    assert not facts[KEY].contested


def test_a_sources_new_report_replaces_its_own_earlier_one():
    facts = fold(
        projector,
        event(report(killed=Quantity(12)), aug(12), "Smirnov", event_id="old"),
        event(report(killed=Quantity(31)), aug(20), "Smirnov", event_id="new"),
    )
    assert [r.killed.value for r in facts[KEY].reports] == [31]
    assert facts[KEY].event_ids == ("new",)


def test_sources_that_differ_on_a_figure_are_contested():
    facts = fold(
        projector,
        event(report(killed=Quantity(12)), aug(12), "Smirnov"),
        event(report(killed=Quantity(20)), aug(13), "Kyiv"),
    )
    assert facts[KEY].contested
    assert [r.claim.source for r in facts[KEY].reports] == ["Smirnov", "Kyiv"]


def test_sources_giving_different_figures_do_not_disagree():
    facts = fold(
        projector,
        event(report(killed=Quantity(12)), aug(12), "Smirnov"),
        event(report(missing=Quantity(2000)), aug(13), "Red Cross"),
    )
    assert not facts[KEY].contested


def test_groups_and_regions_are_separate_facts():
    facts = fold(
        projector,
        event(report(killed=Quantity(1)), aug(12)),
        event(CasualtiesReported("Kursk Oblast", "soldiers", killed=Quantity(2)), aug(12)),
    )
    assert set(facts) == {KEY, ("Kursk Oblast", "soldiers")}


def test_a_report_without_figures_is_refused():
    with pytest.raises(ValueError, match="killed, injured or missing"):
        CasualtiesReported("Kursk Oblast", "civilians")
