"""Territory, by hand: a claimant's latest totals, same-day reports side by side, gains, and the spreads."""

from __future__ import annotations

from projector_examples import aug, event, fold

from events.envelope import DatePrecision
from events.kinds import AreaBasis, TerritoryClaimed
from events.quantity import Bound, Quantity
from timeline.projectors.territory import projector


def total(claimant: str, area: Quantity | int | None = None, settlements: int | None = None, **kw):
    area_q = Quantity(area) if isinstance(area, int) else area
    count = Quantity(settlements) if settlements is not None else None
    return TerritoryClaimed(claimant=claimant, basis=AreaBasis.TOTAL, area_km2=area_q, settlements_count=count, **kw)


def gain(claimant: str, area: int, **kw):
    return TerritoryClaimed(claimant=claimant, basis=AreaBasis.GAIN, area_km2=Quantity(area), **kw)


def test_a_claimants_new_total_replaces_its_earlier_total():
    facts = fold(
        projector,
        event(total("Ukraine", 1000), aug(12), "Syrskyi"),
        event(total("Ukraine", 1150), aug(15), "Zelenskyy"),
    )
    assert [r.figure.value for r in facts[("claims", "Ukraine")].area_km2] == [1150]


def test_two_reports_of_one_claim_on_one_day_are_both_kept():
    facts = fold(
        projector,
        event(total("ISW", Quantity(800, Bound.AT_LEAST)), aug(13), "ISW via AFP", event_id="afp"),
        event(total("ISW", Quantity(800, Bound.APPROX)), aug(13), "ISW via the article", event_id="article"),
    )
    isw = facts[("claims", "ISW")]
    assert [(r.figure.bound, r.claim.source) for r in isw.area_km2] == [
        (Bound.AT_LEAST, "ISW via AFP"),
        (Bound.APPROX, "ISW via the article"),
    ]
    assert isw.event_ids == ("afp", "article")
    assert isw.describe() == (
        "ISW: at least 800 km² (ISW via AFP, 2024-08-13) | about 800 km² (ISW via the article, 2024-08-13)"
    )


def test_a_later_day_replaces_every_report_of_the_earlier_day():
    facts = fold(
        projector,
        event(total("Ukraine", 1000), aug(12), "A"),
        event(total("Ukraine", Quantity(1000, Bound.MORE_THAN)), aug(12), "B"),
        event(total("Ukraine", 1150), aug(15), "A"),
    )
    assert [r.figure.value for r in facts[("claims", "Ukraine")].area_km2] == [1150]


def test_gains_accumulate_until_the_next_total():
    facts = fold(projector, event(total("Ukraine", 1000), aug(12)), event(gain("Ukraine", 40), aug(13)))
    assert [g.area_km2.value for g in facts[("claims", "Ukraine")].gains_since] == [40]
    assert "gains since: 40 km²" in facts[("claims", "Ukraine")].describe()
    facts = fold(
        projector,
        event(total("Ukraine", 1000), aug(12)),
        event(gain("Ukraine", 40), aug(13)),
        event(total("Ukraine", 1150), aug(15)),
    )
    assert facts[("claims", "Ukraine")].gains_since == ()


def test_a_settlement_count_leaves_the_area_as_it_was():
    facts = fold(projector, event(total("Ukraine", 1000), aug(12)), event(total("Ukraine", settlements=74), aug(13)))
    ukraine = facts[("claims", "Ukraine")]
    assert [r.figure.value for r in ukraine.area_km2] == [1000]
    assert [r.figure.value for r in ukraine.settlements_count] == [74]


def test_an_advance_range_shows_its_range_and_no_midpoint():
    advance = Quantity(1, Bound.EXACT, low=1, high=3)
    facts = fold(
        projector, event(total("Ukraine", 1000), aug(12)), event(gain("Ukraine", 40, advance_km=advance), aug(13))
    )
    (recorded,) = facts[("claims", "Ukraine")].gains_since
    assert recorded.advance_km.describe("km") == "1-3 km"


def test_the_spread_runs_from_the_lowest_to_the_highest_area_claimed():
    facts = fold(
        projector,
        event(total("Ukraine", 1150), aug(15), event_id="u"),
        event(total("ISW", Quantity(800, Bound.AT_LEAST)), aug(13), event_id="i"),
        event(total("Russia", Quantity(500, Bound.AT_MOST, stated="less than half")), aug(16), event_id="r"),
    )
    spread = facts[("spread",)]
    assert (spread.low_claimant, spread.high_claimant, spread.difference_km2, spread.claimants) == (
        "Russia",
        "Ukraine",
        650,
        3,
    )
    assert set(spread.event_ids) == {"u", "i", "r"}


def test_one_claimant_has_no_spread():
    assert ("spread",) not in fold(projector, event(total("Ukraine", 1000), aug(12)))


def test_settlement_counts_of_two_claimants_have_their_own_spread():
    facts = fold(
        projector, event(total("Russia", settlements=28), aug(12)), event(total("Ukraine", settlements=74), aug(13))
    )
    spread = facts[("settlements_spread",)]
    assert (spread.low_claimant, spread.low.value, spread.high_claimant, spread.high.value, spread.difference) == (
        "Russia",
        28,
        "Ukraine",
        74,
        46,
    )
    assert ("spread",) not in facts  # no areas, no area spread


def test_a_month_precise_claim_says_so():
    facts = fold(
        projector, event(total("Russia", 500), aug(16), "Officials", precision=DatePrecision.MONTH, unverified=True)
    )
    assert facts[("claims", "Russia")].describe() == "Russia: 500 km² (in August 2024, unverified)"
