"""Prisoners, by hand: every claim by source, day counts and single captures kept apart, exchanges beside."""

from __future__ import annotations

from projector_examples import aug, event, fold

from events.envelope import DatePrecision
from events.kinds import CaptureBasis, PrisonersCaptured, PrisonersExchanged
from events.quantity import Bound, Quantity
from timeline.projectors.prisoners import projector


def captured(count: Quantity | int, basis: CaptureBasis = CaptureBasis.TOTAL, captor: str = "Ukraine", **kw):
    quantity = count if isinstance(count, Quantity) else Quantity(count)
    return PrisonersCaptured(captor=captor, count=quantity, basis=basis, **kw)


def test_totals_from_two_sources_stand_side_by_side_and_are_contested():
    facts = fold(
        projector,
        event(captured(Quantity(2000, Bound.AT_MOST)), aug(15), "The Independent", event_id="a"),
        event(captured(Quantity(1000, Bound.MORE_THAN)), aug(16), "The article", event_id="b"),
    )
    ukraine = facts[("Ukraine",)]
    assert [(c.count.value, c.count.bound, c.claim.source) for c in ukraine.claims] == [
        (2000, Bound.AT_MOST, "The Independent"),
        (1000, Bound.MORE_THAN, "The article"),
    ]
    assert ukraine.contested
    assert ukraine.event_ids == ("a", "b")
    assert (
        "totals CONTESTED: up to 2,000 (The Independent, 2024-08-15) vs more than 1,000 (The article, 2024-08-16)"
        in (ukraine.describe())
    )


def test_a_sources_new_total_replaces_only_its_own_earlier_total():
    facts = fold(
        projector,
        event(captured(500), aug(14), "General Staff", event_id="old"),
        event(captured(800), aug(15), "Other", event_id="other"),
        event(captured(900), aug(16), "General Staff", event_id="new"),
    )
    ukraine = facts[("Ukraine",)]
    assert [(c.count.value, c.claim.event_id) for c in ukraine.claims] == [(900, "new"), (800, "other")]
    assert ukraine.event_ids == ("new", "other")


def test_one_source_agreeing_with_itself_is_not_contested():
    facts = fold(projector, event(captured(100), aug(14), "A"), event(captured(100), aug(15), "B"))
    assert not facts[("Ukraine",)].contested


def test_a_one_day_count_is_not_a_total():
    # "more than 100 captured since the start of the day": it must not stand beside the totals.
    facts = fold(
        projector,
        event(captured(Quantity(100, Bound.MORE_THAN), CaptureBasis.DAY), aug(14), "Syrskyi"),
        event(captured(Quantity(1000, Bound.MORE_THAN)), aug(16), "The article"),
    )
    ukraine = facts[("Ukraine",)]
    assert [c.count.value for c in ukraine.of_basis(CaptureBasis.TOTAL)] == [1000]
    assert [c.count.value for c in ukraine.of_basis(CaptureBasis.DAY)] == [100]
    assert not ukraine.contested
    assert "in one day: more than 100 (Syrskyi, 2024-08-14)" in ukraine.describe()


def test_a_sources_latest_day_count_stands_beside_other_sources():
    facts = fold(
        projector,
        event(captured(100, CaptureBasis.DAY), aug(14), "Syrskyi"),
        event(captured(120, CaptureBasis.DAY), aug(14), "Syrskyi"),
        event(captured(70, CaptureBasis.DAY), aug(14), "SBU"),
        event(captured(50, CaptureBasis.DAY), aug(15), "Syrskyi"),
    )
    claims = [(c.count.value, c.claim.on, c.claim.source) for c in facts[("Ukraine",)].claims]
    assert claims == [(50, aug(15), "Syrskyi"), (70, aug(14), "SBU")]


def test_each_sources_largest_single_capture_is_kept():
    facts = fold(
        projector,
        event(captured(60, CaptureBasis.SINGLE_ACTION), aug(13), "SBU"),
        event(captured(102, CaptureBasis.SINGLE_ACTION, unit="488th regiment"), aug(14), "SBU"),
        event(captured(40, CaptureBasis.SINGLE_ACTION), aug(15), "SBU"),
        event(captured(30, CaptureBasis.SINGLE_ACTION), aug(15), "General Staff"),
    )
    ukraine = facts[("Ukraine",)]
    assert [(c.count.value, c.claim.source) for c in ukraine.of_basis(CaptureBasis.SINGLE_ACTION)] == [
        (102, "SBU"),
        (30, "General Staff"),
    ]
    assert "102 (488th regiment) (SBU, 2024-08-14)" in ukraine.describe()


def test_a_captors_fact_stays_the_same_size_however_many_captures_are_logged():
    # A fact that held every capture made replay and every checkpoint grow with the log.
    reports = [event(captured(n, CaptureBasis.SINGLE_ACTION), aug(14), "SBU", event_id=f"c-{n}") for n in range(1, 200)]
    assert len(fold(projector, *reports)[("Ukraine",)].claims) == 1


def test_an_exchange_shows_on_both_sides_and_adjusts_no_total():
    facts = fold(
        projector,
        event(captured(Quantity(1000, Bound.MORE_THAN)), aug(16), "The article", event_id="total"),
        event(
            PrisonersExchanged("Ukraine", Quantity(115), "Russia", Quantity(115)), aug(24), "Both sides", event_id="x"
        ),
    )
    ukraine, russia = facts[("Ukraine",)], facts[("Russia",)]
    assert [c.count for c in ukraine.claims] == [Quantity(1000, Bound.MORE_THAN)]  # no net figure invented
    (given,) = ukraine.exchanges
    assert (given.released.value, given.counterpart, given.received.value) == (115, "Russia", 115)
    (taken,) = russia.exchanges
    assert (taken.counterpart, taken.claim.event_id) == ("Ukraine", "x")
    assert russia.claims == ()
    assert ukraine.event_ids == ("total", "x") and russia.event_ids == ("x",)
    assert "exchanged (totals not adjusted): released 115 to Russia for 115 (Both sides, 2024-08-24)" in (
        ukraine.describe()
    )


def test_an_unequal_exchange_keeps_each_sides_figure():
    facts = fold(projector, event(PrisonersExchanged("Ukraine", Quantity(90), "Russia", Quantity(84)), aug(30)))
    assert (facts[("Ukraine",)].exchanges[0].released.value, facts[("Russia",)].exchanges[0].released.value) == (90, 84)


def test_a_vague_figure_keeps_the_sources_words_and_a_coarse_date():
    hundreds = Quantity(200, Bound.AT_LEAST, stated="hundreds")
    facts = fold(projector, event(captured(hundreds), aug(16), "Zelenskyy", precision=DatePrecision.MONTH))
    (claim,) = facts[("Ukraine",)].claims
    assert claim.claim.date_precision is DatePrecision.MONTH
    assert claim.describe() == '"hundreds" (read as at least 200) (Zelenskyy, in August 2024)'


def test_each_captor_is_its_own_fact():
    facts = fold(
        projector, event(captured(10, captor="Ukraine"), aug(14)), event(captured(5, captor="Russia"), aug(14))
    )
    assert set(facts) == {("Ukraine",), ("Russia",)}
