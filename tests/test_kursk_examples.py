"""The bundled Kursk 2024 log answers what the article and the fact table say."""

from __future__ import annotations

import datetime as dt

import pytest

from events.kinds import CaptureBasis, DisplacementBasis, Level, Regime, SettlementStatus
from timeline import Timeline

AUG = lambda day: dt.date(2024, 8, day)  # noqa: E731


@pytest.fixture(scope="module")
def kursk() -> Timeline:
    return Timeline.bundled()


def test_bundled_log_is_intact_and_sourced(kursk):
    events = list(kursk.events())
    assert len(events) >= 30
    assert kursk.verify().ok
    assert all(recorded.event.source.strip() for recorded in events)


def test_the_crossing_is_day_one(kursk):
    assert kursk.bounds().day_one == AUG(6)
    assert kursk.date_of_day(11) == AUG(16)
    assert kursk.state(AUG(16)).day == 11


def test_nothing_is_known_the_day_before_the_crossing(kursk):
    snapshot = kursk.state(AUG(5))
    assert snapshot.events_applied == 0
    assert snapshot.facts() == {}


def test_kursk_and_belgorod_under_federal_emergency_on_august_16(kursk):
    facts = kursk.state(AUG(16)).facts()
    for region in ("Kursk Oblast", "Belgorod Oblast"):
        active = {regime.regime: regime for regime in facts[f"emergencies.{region}"].active}
        assert active[Regime.EMERGENCY].level is Level.FEDERAL
        assert Regime.COUNTER_TERRORISM in active


def test_kursk_emergency_was_regional_before_it_was_federal(kursk):
    regime = kursk.state(AUG(8)).facts()["emergencies.Kursk Oblast"].active[0]
    assert (regime.regime, regime.level) == (Regime.EMERGENCY, Level.REGIONAL)
    raised = next(
        r for r in kursk.state(AUG(9)).facts()["emergencies.Kursk Oblast"].active if r.regime is Regime.EMERGENCY
    )
    assert raised.level is Level.FEDERAL
    assert raised.first_declared == AUG(7) and raised.since == AUG(9)


def test_sudzha_is_contested_with_each_claim_kept(kursk):
    sudzha = kursk.state(AUG(16)).facts()["settlements.Sudzha"]
    assert sudzha.contested and sudzha.status is SettlementStatus.CONTESTED
    by_claimant = {claim.claimant: claim for claim in sudzha.claims}
    assert by_claimant["Ukraine"].status is SettlementStatus.CONTROLLED
    assert by_claimant["Ukraine"].controller == "Ukraine"
    assert "Russia" in by_claimant


def test_sudzha_was_only_claimed_by_ukraine_on_august_14(kursk):
    sudzha = kursk.state(AUG(14)).facts()["settlements.Sudzha"]
    assert not sudzha.contested
    assert sudzha.status is SettlementStatus.CONTROLLED


def test_fighting_at_korenevo(kursk):
    assert kursk.state(AUG(16)).facts()["settlements.Korenevo"].status is SettlementStatus.FIGHTING


def test_kyiv_and_isw_area_figures_stand_side_by_side(kursk):
    facts = kursk.state(AUG(16)).facts()
    assert [report.figure.value for report in facts["territory.claims.Ukraine"].area_km2] == [1150]
    assert [report.figure.value for report in facts["territory.claims.ISW"].area_km2] == [800, 800]
    spread = facts["territory.spread"]
    assert (spread.low_claimant, spread.high_claimant, spread.difference_km2) == ("Russia", "Ukraine", 650)


def test_the_102_capture_was_not_known_until_it_was_reported(kursk):
    ukraine = kursk.state(AUG(16), known_on=AUG(14)).facts()["prisoners.Ukraine"]
    assert ukraine.of_basis(CaptureBasis.SINGLE_ACTION) == ()
    known = kursk.state(AUG(16), known_on=AUG(15)).facts()["prisoners.Ukraine"]
    assert [claim.count.value for claim in known.of_basis(CaptureBasis.SINGLE_ACTION)] == [102]


def test_dyumin_appointment_known_from_august_13(kursk):
    def holders(known_on):
        facts = kursk.state(AUG(16), known_on=known_on).facts()
        return [fact.person for path, fact in facts.items() if path.startswith("appointments.")]

    assert holders(AUG(12)) == []
    assert holders(AUG(13)) == ["Alexey Dyumin"]


def test_counter_terrorism_regime_reported_a_day_late(kursk):
    known_on_9th = kursk.state(AUG(9), known_on=AUG(9)).facts()
    assert "emergencies.Bryansk Oblast" not in known_on_9th
    assert "emergencies.Bryansk Oblast" in kursk.state(AUG(9)).facts()


def test_late_evacuation_figures_disagree_and_both_are_kept(kursk):
    kursk_oblast = kursk.state(AUG(22)).facts()["displacement.Kursk Oblast"]
    assert kursk_oblast.contested
    totals = [figure.count.value for figure in kursk_oblast.figures if figure.basis is DisplacementBasis.TOTAL]
    assert sorted(totals) == [115_000, 133_000]


def test_unverified_claims_stay_marked(kursk):
    girji = kursk.state(AUG(16)).facts()["settlements.Girji"]
    assert all(claim.claim.unverified for claim in girji.claims)


def test_diff_names_the_events_behind_each_change(kursk):
    diff = kursk.diff(AUG(9), AUG(16))
    changes = {change.path: change for change in diff.changes}
    assert changes["settlements.Sudzha"].before is None
    assert "k24-2024-08-15-russia-contests-sudzha" in changes["settlements.Sudzha"].event_ids
    assert all(AUG(9) < recorded.occurred_on <= AUG(16) for recorded in diff.events)
    assert {event_id for change in diff.changes for event_id in change.event_ids} <= {r.event_id for r in diff.events}


def test_why_sudzha_lists_its_claims(kursk):
    fact, events = kursk.why("settlements.Sudzha", AUG(16))
    assert [recorded.event_id for recorded in events] == list(fact.event_ids)
    assert {recorded.payload.claimant for recorded in events} >= {"Ukraine", "Russia"}


def test_days_runs_from_the_crossing_to_the_last_report(kursk):
    days = list(kursk.days())
    assert days[0].date == AUG(6) and days[0].day == 1
    assert days[-1].date == kursk.last_day()
    assert sum(summary.event_count for summary in days) == len(kursk)
    assert sum(len(list(summary.events)) for summary in days) == len(kursk)


def test_the_bundled_log_has_the_same_hash_chain_every_time(kursk):
    # A reader can cite the bundled log's head hash: it does not depend on when it was loaded.
    assert Timeline.bundled().verify().head_hash == kursk.verify().head_hash
