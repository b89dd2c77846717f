"""Emergencies, by hand: declared, raised from regional to federal, re-declared, lifted."""

from __future__ import annotations

from projector_examples import aug, event, fold

from events.kinds import EmergencyDeclared, EmergencyLifted, Level, Regime
from timeline.projectors.emergencies import projector

KURSK = ("Kursk Oblast",)
REGIONAL, FEDERAL = Level.REGIONAL, Level.FEDERAL
EMERGENCY, COUNTER_TERRORISM = Regime.EMERGENCY, Regime.COUNTER_TERRORISM


def declared(level: Level, regime: Regime = EMERGENCY, authority: str = "Governor"):
    return EmergencyDeclared("Kursk Oblast", level, regime, authority)


def lifted(level: Level, regime: Regime = EMERGENCY, authority: str = "Governor"):
    return EmergencyLifted("Kursk Oblast", level, regime, authority)


def test_a_declaration_is_in_force_from_its_day():
    (regime,) = fold(projector, event(declared(REGIONAL), aug(7)))[KURSK].active
    assert (regime.level, regime.since, regime.first_declared, regime.authority) == (
        REGIONAL,
        aug(7),
        aug(7),
        "Governor",
    )


def test_raising_the_level_keeps_the_first_declaration_day():
    (regime,) = fold(
        projector,
        event(declared(REGIONAL), aug(7), event_id="r"),
        event(declared(FEDERAL, authority="Ministry"), aug(9), event_id="f"),
    )[KURSK].active
    assert (regime.level, regime.since, regime.first_declared, regime.authority) == (
        FEDERAL,
        aug(9),
        aug(7),
        "Ministry",
    )
    assert regime.history == ("r", "f")


def test_redeclaring_at_the_same_level_changes_nothing_but_the_history():
    (regime,) = fold(
        projector, event(declared(FEDERAL), aug(9), event_id="a"), event(declared(FEDERAL), aug(12), event_id="b")
    )[KURSK].active
    assert (regime.since, regime.claim.event_id, regime.history) == (aug(9), "a", ("a", "b"))


def test_two_regimes_stand_side_by_side():
    kursk = fold(
        projector, event(declared(FEDERAL), aug(9)), event(declared(FEDERAL, COUNTER_TERRORISM, "NAC"), aug(9))
    )[KURSK]
    assert [r.regime for r in kursk.active] == [COUNTER_TERRORISM, EMERGENCY]


def test_lifting_ends_only_that_regime_and_records_when():
    kursk = fold(
        projector,
        event(declared(FEDERAL), aug(9), event_id="e"),
        event(declared(FEDERAL, COUNTER_TERRORISM, "NAC"), aug(9), event_id="c"),
        event(lifted(FEDERAL, COUNTER_TERRORISM, "NAC"), aug(30), event_id="l"),
    )[KURSK]
    assert [r.regime for r in kursk.active] == [EMERGENCY]
    (gone,) = kursk.lifted
    assert (gone.regime, gone.lifted_on, gone.authority) == (COUNTER_TERRORISM, aug(30), "NAC")
    assert set(kursk.event_ids) == {"e", "l"}


def test_a_region_with_every_regime_lifted_says_so():
    kursk = fold(projector, event(declared(REGIONAL), aug(7)), event(lifted(REGIONAL), aug(20)))[KURSK]
    assert kursk.active == ()
    assert kursk.describe() == "Kursk Oblast: no regime in force (lifted: emergency)"


def test_declaring_again_after_a_lift_starts_afresh():
    kursk = fold(
        projector,
        event(declared(REGIONAL), aug(7)),
        event(lifted(REGIONAL), aug(20)),
        event(declared(FEDERAL), aug(25)),
    )[KURSK]
    (regime,) = kursk.active
    assert (regime.since, regime.first_declared) == (aug(25), aug(25))
    assert kursk.lifted == ()
