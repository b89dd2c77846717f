"""The bundled gazetteer: every place the bundled log names can be found, with its source."""

from timeline import gazetteer
from timeline.api import Timeline


def test_the_fact_tables_coordinates_are_in_the_gazetteer():
    places = gazetteer.bundled()
    sudzha = places.find("Sudzha")
    assert sudzha is not None and (sudzha.latitude, sudzha.longitude) == (51.19, 35.27)
    assert places.find("korenewo") is places.find("Korenevo")  # the article's spelling is an alias


def test_every_settlement_in_the_bundled_log_is_in_the_gazetteer_with_a_source():
    places = gazetteer.bundled()
    settlements = {fact.settlement for fact in Timeline.bundled().state().projector_facts()["settlements"].values()}
    assert settlements
    for name in settlements:
        place = places.find(name)
        assert place is not None, name
        assert place.source


def test_a_place_without_coordinates_is_kept_not_dropped():
    girji = gazetteer.bundled().find("Girji")
    assert girji is not None and not girji.located
