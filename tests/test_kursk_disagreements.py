"""Every disagreement the Kursk sources report is visible in the bundled log's snapshot of its day.

One test per disagreement the article and the fact table name (area, Sudzha, prisoners,
evacuees, settlements counted), each asserting that every side is in the snapshot, and tests for
the figures the log holds because the sources give them (exchange, casualties, undated claims).
"""

from __future__ import annotations

import datetime as dt

import pytest

from events.envelope import DatePrecision
from events.kinds import CaptureBasis, DisplacementBasis, SettlementStatus
from events.quantity import Bound
from timeline import Timeline


def aug(day: int) -> dt.date:
    return dt.date(2024, 8, day)


@pytest.fixture(scope="module")
def kursk() -> Timeline:
    return Timeline.bundled()


def areas(facts, claimant):
    return {(r.figure.value, r.figure.bound, r.claim.source) for r in facts[f"territory.claims.{claimant}"].area_km2}


def test_area_kyiv_isw_and_russia_all_stand_on_august_16(kursk):
    facts = kursk.state(aug(16)).facts()
    assert {(value, bound) for value, bound, _ in areas(facts, "Ukraine")} == {(1150, Bound.APPROX)}
    # ISW's estimate in both reports: "at least 800" (AFP) and "around 800" (the article).
    isw = areas(facts, "ISW")
    assert {(value, bound) for value, bound, _ in isw} == {(800, Bound.AT_LEAST), (800, Bound.APPROX)}
    assert {source.split(" (via ")[1][:3] for _, _, source in isw} == {"AFP", "Art"}
    (russia,) = facts["territory.claims.Russia"].area_km2
    assert (russia.figure.bound, russia.figure.stated) == (Bound.AT_MOST, "less than half of Kyiv's figure")
    assert russia.claim.unverified and russia.claim.date_precision is DatePrecision.MONTH
    spread = facts["territory.spread"]
    assert (spread.low_claimant, spread.high_claimant, spread.claimants) == ("Russia", "Ukraine", 3)


def test_area_kyivs_first_figure_in_both_reports_on_august_12(kursk):
    facts = kursk.state(aug(12)).facts()
    assert {(value, bound) for value, bound, _ in areas(facts, "Ukraine")} == {
        (1000, Bound.APPROX),  # Syrskyi, as the fact table gives it
        (1000, Bound.MORE_THAN),  # as the article reports Kyiv's claim
    }
    # Known on 12 August, only Syrskyi's report: the article came out on the 16th.
    early = kursk.state(aug(12), known_on=aug(12)).facts()
    assert {(value, bound) for value, bound, _ in areas(early, "Ukraine")} == {(1000, Bound.APPROX)}


def test_sudzha_ukraine_claims_control_russia_contests_it_on_august_15(kursk):
    sudzha = kursk.state(aug(15)).facts()["settlements.Sudzha"]
    assert sudzha.contested
    by_claimant = {claim.claimant: claim for claim in sudzha.claims}
    assert (by_claimant["Ukraine"].status, by_claimant["Ukraine"].controller) == (
        SettlementStatus.CONTROLLED,
        "Ukraine",
    )
    assert by_claimant["Russia"].status is SettlementStatus.CONTESTED


def test_prisoners_every_figure_by_source_on_august_16(kursk):
    ukraine = kursk.state(aug(16)).facts()["prisoners.Ukraine"]
    totals = {(c.count.value, c.count.bound, c.count.stated) for c in ukraine.of_basis(CaptureBasis.TOTAL)}
    assert totals == {
        (2000, Bound.AT_MOST, None),  # unnamed source to The Independent
        (1000, Bound.MORE_THAN, None),  # the article's estimate
        (200, Bound.AT_LEAST, "hundreds"),  # Zelenskyy
    }
    assert ukraine.contested
    (day,) = ukraine.of_basis(CaptureBasis.DAY)  # Syrskyi's "more than 100 since the start of the day"
    assert (day.count.value, day.count.bound, day.claim.on) == (100, Bound.MORE_THAN, aug(14))
    (single,) = ukraine.of_basis(CaptureBasis.SINGLE_ACTION)  # the SBU's 102
    assert single.count.value == 102
    assert len({c.claim.source for c in ukraine.claims}) == 5


def test_prisoners_the_exchange_shows_beside_the_claims_on_august_24(kursk):
    facts = kursk.state(aug(24)).facts()
    ukraine, russia = facts["prisoners.Ukraine"], facts["prisoners.Russia"]
    (exchange,) = ukraine.exchanges
    assert (exchange.released.value, exchange.counterpart, exchange.received.value) == (115, "Russia", 115)
    assert exchange.claim.on == aug(24)
    assert russia.exchanges[0].counterpart == "Ukraine"
    # No net figure: the claimed totals are as they were before the exchange.
    before = kursk.state(aug(23)).facts()["prisoners.Ukraine"]
    assert ukraine.claims == before.claims
    assert "prisoners.Russia" not in kursk.state(aug(23)).facts()


def test_evacuees_smirnov_and_manturov_side_by_side_in_the_week_of_august_19(kursk):
    kursk_oblast = kursk.state(aug(22)).facts()["displacement.Kursk Oblast"]
    assert kursk_oblast.contested
    totals = {
        (f.count.value, f.claim.source.split(" ")[0], f.claim.date_precision)
        for f in kursk_oblast.figures
        if f.basis is DisplacementBasis.TOTAL
    }
    assert totals == {(133_000, "Alexey", DatePrecision.WEEK), (115_000, "Manturov", DatePrecision.WEEK)}
    (due,) = [f for f in kursk_oblast.figures if f.basis is DisplacementBasis.SUBJECT_TO_EVACUATION]
    assert (due.count.value, due.count.bound) == (180_000, Bound.APPROX)


def test_evacuees_on_august_16_evacuated_and_subject_to_evacuation_are_not_a_disagreement(kursk):
    kursk_oblast = kursk.state(aug(16)).facts()["displacement.Kursk Oblast"]
    assert {(f.basis, f.count.value) for f in kursk_oblast.figures} == {
        (DisplacementBasis.TOTAL, 121_000),
        (DisplacementBasis.SUBJECT_TO_EVACUATION, 180_000),
    }
    assert not kursk_oblast.contested


def test_settlements_counted_smirnov_against_syrskyi(kursk):
    for day, ukraine_count in ((13, 74), (15, 82)):
        facts = kursk.state(aug(day)).facts()
        assert [r.figure.value for r in facts["territory.claims.Russia"].settlements_count] == [28]
        assert [r.figure.value for r in facts["territory.claims.Ukraine"].settlements_count] == [ukraine_count]
        spread = facts["territory.settlements_spread"]
        assert (spread.low_claimant, spread.high_claimant, spread.difference) == (
            "Russia",
            "Ukraine",
            ukraine_count - 28,
        )


def test_casualties_smirnov_civilians_killed_injured_missing(kursk):
    (report,) = kursk.state(aug(16)).facts()["casualties.Kursk Oblast.civilians"].reports
    assert (report.killed.value, report.injured.value, report.missing.value, report.missing.bound) == (
        12,
        121,
        2000,
        Bound.APPROX,
    )


def test_undated_statements_are_dated_only_to_their_month(kursk):
    undated = [r for r in kursk.events(occurred_from=aug(16), occurred_to=aug(16)) if r.kind == "statement.made"]
    assert len(undated) == 4
    assert {r.event.date_precision for r in undated} == {DatePrecision.MONTH}
    assert {r.event.occurred for r in undated} == {"in August 2024"}


def test_no_bundled_note_admits_an_invented_day_without_a_coarser_precision(kursk):
    for recorded in kursk.events():
        note = (recorded.event.note or "").lower()
        if "no exact date" in note or "around 2024" in note or "undated" in note:
            if "fact table dates" in note:
                continue  # undated in one report, dated by the fact table
            assert recorded.event.date_precision is not DatePrecision.DAY, recorded.event_id


def test_every_bundled_event_names_its_source_and_unconfirmed_ones_are_marked(kursk):
    for recorded in kursk.events():
        event = recorded.event
        assert event.source.strip()
        note = (event.note or "").lower()
        if any(word in note for word in ("unconfirmed", "unverified", "estimates suggest", "no reporting source")):
            assert event.unverified, recorded.event_id
