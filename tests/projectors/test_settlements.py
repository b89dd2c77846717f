"""Settlements, by hand: each claimant's latest claim, and a status derived from them."""

from __future__ import annotations

from projector_examples import aug, event, fold

from events.kinds import SettlementClaimed, SettlementStatus
from timeline.projectors.settlements import projector

CONTROLLED, CONTESTED, FIGHTING = SettlementStatus.CONTROLLED, SettlementStatus.CONTESTED, SettlementStatus.FIGHTING


def claim(claimant: str, status: SettlementStatus, controller: str | None = None, district: str | None = None):
    return SettlementClaimed("Sudzha", "Kursk Oblast", status, claimant, controller, district)


def test_one_claim_is_the_status():
    sudzha = fold(projector, event(claim("Ukraine", CONTROLLED, "Ukraine"), aug(14)))[("Sudzha",)]
    assert (sudzha.status, sudzha.controller, sudzha.contested) == (CONTROLLED, "Ukraine", False)


def test_claimants_who_disagree_make_it_contested_and_both_claims_stay():
    sudzha = fold(
        projector,
        event(claim("Ukraine", CONTROLLED, "Ukraine"), aug(15), event_id="u"),
        event(claim("Russia", CONTESTED), aug(15), event_id="r"),
    )[("Sudzha",)]
    assert sudzha.contested and sudzha.status is CONTESTED and sudzha.controller is None
    assert [c.claimant for c in sudzha.claims] == ["Ukraine", "Russia"]
    assert sudzha.event_ids == ("u", "r")


def test_claimants_who_agree_are_not_contested():
    sudzha = fold(
        projector,
        event(claim("Ukraine", CONTROLLED, "Ukraine"), aug(15)),
        event(claim("Press", CONTROLLED, "Ukraine"), aug(16)),
    )[("Sudzha",)]
    assert not sudzha.contested and sudzha.controller == "Ukraine"


def test_a_claimants_new_claim_replaces_its_own_in_place():
    sudzha = fold(
        projector,
        event(claim("Ukraine", FIGHTING), aug(13)),
        event(claim("Russia", FIGHTING), aug(13)),
        event(claim("Ukraine", CONTROLLED, "Ukraine"), aug(15), event_id="latest"),
    )[("Sudzha",)]
    assert [(c.claimant, c.status) for c in sudzha.claims] == [("Ukraine", CONTROLLED), ("Russia", FIGHTING)]
    assert sudzha.contested


def test_a_single_contested_claim_is_contested():
    assert fold(projector, event(claim("Russia", CONTESTED), aug(15)))[("Sudzha",)].contested


def test_the_district_is_kept_when_a_later_claim_omits_it():
    sudzha = fold(
        projector,
        event(claim("Ukraine", CONTROLLED, "Ukraine", "Sudzha district"), aug(14)),
        event(claim("Russia", CONTESTED), aug(15)),
    )[("Sudzha",)]
    assert sudzha.district == "Sudzha district"
