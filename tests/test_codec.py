"""The codec: events <-> JSON-ready records, canonical JSON, upcasting, and precise errors."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import AUGUST_2024, PAYLOAD_STRATEGIES, event_logs, events, quantities

from events import registry
from events.codec import (
    canonical_json,
    converter,
    event_from_record,
    event_to_record,
    structure,
    structure_payload,
    trusted_decoder,
    unstructure,
)
from events.envelope import Event
from events.errors import InvalidEvent
from events.kinds import AreaBasis, StatementMade, TerritoryClaimed
from events.quantity import Bound, Quantity
from events.validation import MAX_TEXT
from timeline.formats.jsonl import read_events, write_events

# Laws drawn per kind, or over whole logs, run a quarter of the profile's examples each: across
# eleven kinds that is still more examples than any single law gets.
FEWER = settings(settings.default, max_examples=max(10, settings.default.max_examples // 4))

# --------------------------------------------------------------------------------------------
# Every kind has a strategy (so the laws below cover every kind)
# --------------------------------------------------------------------------------------------


def test_every_registered_kind_has_a_strategy():
    assert set(PAYLOAD_STRATEGIES) == set(registry.kind_names())


@FEWER
@given(event_logs(min_size=0, max_size=8))
def test_event_logs_have_unique_ids_and_retract_only_earlier_events(log):
    ids = [event.event_id for event in log]
    assert len(ids) == len(set(ids))
    for position, event in enumerate(log):
        if event.kind == "event.retracted":
            assert event.payload.target_event_id in ids[:position]


@given(events(window=AUGUST_2024, small_pools=True))
def test_windowed_events_stay_in_the_window(event):
    assert AUGUST_2024[0] <= event.occurred_on <= event.reported_on <= AUGUST_2024[1]


# --------------------------------------------------------------------------------------------
# The round-trip law
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", registry.kind_names())
@FEWER
@given(data=st.data())
def test_structure_unstructure_round_trips_every_kind(kind, data):
    event = data.draw(events(kind))
    assert event.kind == kind  # the strategy draws the kind it is named for
    assert structure(unstructure(event), Event) == event
    assert event_from_record(event_to_record(event)) == event
    # The payload alone, through the one converter.
    payload = event.payload
    assert converter.structure(converter.unstructure(payload), type(payload)) == payload
    assert structure_payload(kind, unstructure(payload)) == payload


@given(quantities())
def test_quantity_round_trips(quantity):
    assert structure(unstructure(quantity), Quantity) == quantity


@given(events())
def test_round_trip_survives_json_text(event):
    # What the store and JSONL files hold is text; the law must hold through it too.
    text = canonical_json(event_to_record(event))
    assert event_from_record(json.loads(text)) == event


@FEWER
@given(event_logs(max_size=6))
def test_jsonl_write_then_read_gives_the_same_events(log):
    out = io.StringIO()
    assert write_events(log, out) == len(log)
    read = [event for event, _ in read_events(io.BytesIO(out.getvalue().encode("utf-8")), "t.jsonl")] if log else []
    assert read == log


def test_reading_a_record_fills_the_envelope_defaults():
    event = event_from_record(
        {
            "kind": "statement.made",
            "occurred_on": "2024-08-07",
            "source": "TASS",
            "data": {"speaker": "V", "summary": "S"},
        }
    )
    assert event.reported_on == dt.date(2024, 8, 7)
    assert event.unverified is False and event.note is None
    assert event.event_id  # a fresh UUID


def test_record_omits_defaults_and_always_carries_the_current_version():
    event = Event(StatementMade("V", "S"), dt.date(2024, 8, 7), "TASS", event_id="e1")
    record = event_to_record(event)
    assert record == {
        "event_id": "e1",
        "kind": "statement.made",
        "schema_version": 1,
        "occurred_on": "2024-08-07",
        "reported_on": "2024-08-07",
        "source": "TASS",
        "data": {"speaker": "V", "summary": "S"},
    }


# --------------------------------------------------------------------------------------------
# canonical JSON
# --------------------------------------------------------------------------------------------


@given(events())
def test_canonical_json_is_a_fixed_point_of_parse_and_reprint(event):
    text = canonical_json(event_to_record(event))
    assert canonical_json(json.loads(text)) == text
    assert canonical_json(event_to_record(event_from_record(json.loads(text)))) == text


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=6))
def test_canonical_json_ignores_key_insertion_order(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reversed_mapping)


def test_canonical_json_spelling():
    assert canonical_json({"b": 1, "a": [1, 2], "c": "Суджа"}) == '{"a":[1,2],"b":1,"c":"Суджа"}'


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_canonical_json_refuses_non_finite_numbers(value):
    with pytest.raises(ValueError):
        canonical_json({"value": value})


def test_integral_float_and_int_have_one_spelling():
    # 1000.0 and 1000 are the same figure; they must hash alike.
    as_float = Event(
        TerritoryClaimed("Ukraine", AreaBasis.TOTAL, area_km2=Quantity(1000.0)), dt.date(2024, 8, 12), "S", event_id="x"
    )
    as_int = attrs.evolve(as_float, payload=TerritoryClaimed("Ukraine", AreaBasis.TOTAL, area_km2=Quantity(1000)))
    assert canonical_json(event_to_record(as_float)) == canonical_json(event_to_record(as_int))
    assert '"value":1000}' in canonical_json(event_to_record(as_float))


# --------------------------------------------------------------------------------------------
# Quantities and upcasting
# --------------------------------------------------------------------------------------------


def _territory(data, **envelope):
    return {
        "kind": "territory.claimed",
        "occurred_on": "2024-08-12",
        "source": "Oleksandr Syrskyi",
        "data": data,
        **envelope,
    }


def test_version_1_territory_claim_is_upcast_to_version_2():
    record = _territory({"claimant": "Ukraine", "area_km2": 1000, "approximate": True}, schema_version=1, event_id="v1")
    event = event_from_record(record)
    assert event.payload == TerritoryClaimed("Ukraine", AreaBasis.TOTAL, area_km2=Quantity(1000, Bound.APPROX))
    assert event.schema_version == 2
    assert event_to_record(event)["schema_version"] == 2
    assert event_to_record(event)["data"] == {
        "claimant": "Ukraine",
        "basis": "total",
        "area_km2": {"value": 1000, "bound": "approx"},
    }


@pytest.mark.parametrize("flag", [{"approximate": False}, {}])
def test_version_1_claim_without_the_approximate_flag_is_exact(flag):
    event = event_from_record(_territory({"claimant": "Ukraine", "area_km2": 350, **flag}, schema_version=1))
    assert event.payload.area_km2 == Quantity(350, Bound.EXACT)
    assert event.payload.basis is AreaBasis.TOTAL


def test_version_2_record_refuses_the_version_1_flag():
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(_territory({"claimant": "Ukraine", "area_km2": 1000, "basis": "total", "approximate": True}))
    assert caught.value.field == "data.approximate"


@pytest.mark.parametrize("number", [0, 1000, 1000.0, 12.5])
def test_bare_number_is_an_exact_quantity(number):
    event = event_from_record(_territory({"claimant": "Ukraine", "area_km2": number, "basis": "gain"}))
    assert event.payload.area_km2 == Quantity(number, Bound.EXACT)
    assert event.payload.area_km2.bound is Bound.EXACT and not event.payload.area_km2.is_range


def test_quantity_object_with_range_reads_every_part():
    event = event_from_record(
        _territory(
            {
                "claimant": "Russia",
                "basis": "total",
                "settlements_count": {"value": 2, "bound": "approx", "low": 1, "high": 3},
            }
        )
    )
    assert event.payload.settlements_count == Quantity(2, Bound.APPROX, 1, 3)


def test_quantity_describe_keeps_the_qualifier():
    assert Quantity(1000, Bound.MORE_THAN).describe("km²") == "more than 1,000 km²"
    assert Quantity(2, Bound.APPROX, 1, 3).describe() == "about 1-3"


# --------------------------------------------------------------------------------------------
# Bad records: each raises InvalidEvent naming the field
# --------------------------------------------------------------------------------------------

GOOD = _territory({"claimant": "Ukraine", "area_km2": 1000, "basis": "total"})
PRISONERS = {
    "kind": "prisoners.captured",
    "occurred_on": "2024-08-12",
    "source": "S",
    "data": {"captor": "Ukraine", "count": 100, "basis": "total"},
}
BORDER = {
    "kind": "border.crossed",
    "occurred_on": "2024-08-06",
    "source": "S",
    "data": {"force": "Ukrainian forces", "from_country": "Ukraine", "into_region": "Kursk Oblast", "near": ["Sudzha"]},
}


def _with(record, **changes):
    """A copy of `record` with envelope `changes`; `data={...}` changes payload fields; _DROP removes."""
    record = copy.deepcopy(record)
    data_changes = changes.pop("data", {})
    for name, value in data_changes.items():
        if value is _DROP:
            del record["data"][name]
        else:
            record["data"][name] = value
    for name, value in changes.items():
        if value is _DROP:
            del record[name]
        else:
            record[name] = value
    return record


_DROP = object()

BAD_RECORDS = [
    ("area as a string", _with(GOOD, data={"area_km2": "1000"}), "data.area_km2"),
    ("area negative", _with(GOOD, data={"area_km2": -1}), "data.area_km2"),
    ("area NaN", _with(GOOD, data={"area_km2": math.nan}), "data.area_km2"),
    (
        "area NaN inside an object",
        _with(GOOD, data={"area_km2": {"value": math.nan, "bound": "approx"}}),
        "data.area_km2",
    ),
    ("area infinite", _with(GOOD, data={"area_km2": math.inf}), "data.area_km2"),
    ("area implausibly large", _with(GOOD, data={"area_km2": 10**13}), "data.area_km2"),
    ("area a boolean", _with(GOOD, data={"area_km2": True}), "data.area_km2"),
    ("unknown bound", _with(GOOD, data={"area_km2": {"value": 1, "bound": "roughly"}}), "data.area_km2"),
    (
        "range not around value",
        _with(GOOD, data={"area_km2": {"value": 1, "bound": "approx", "low": 2, "high": 3}}),
        "data.area_km2",
    ),
    ("range missing high", _with(GOOD, data={"area_km2": {"value": 1, "low": 0}}), "data.area_km2"),
    ("unknown quantity part", _with(GOOD, data={"area_km2": {"value": 1, "unit": "km2"}}), "data.area_km2"),
    ("quantity with neither value nor range", _with(GOOD, data={"area_km2": {"bound": "approx"}}), "data.area_km2"),
    ("stated words not a string", _with(GOOD, data={"area_km2": {"value": 1, "stated": 2}}), "data.area_km2"),
    ("stated words empty", _with(GOOD, data={"area_km2": {"value": 1, "stated": " "}}), "data.area_km2"),
    ("unknown prisoner basis", _with(PRISONERS, data={"basis": "week"}), "data.basis"),
    ("negative count", _with(PRISONERS, data={"count": -5}), "data.count"),
    ("impossible date", _with(GOOD, occurred_on="2024-02-30"), "occurred_on"),
    ("date without dashes", _with(GOOD, occurred_on="20240812"), "occurred_on"),
    ("date not a string", _with(GOOD, occurred_on=20240812), "occurred_on"),
    ("impossible reported_on", _with(GOOD, reported_on="2024-13-01"), "reported_on"),
    ("reported before it occurred", _with(GOOD, reported_on="2024-08-11"), "reported_on"),
    ("unknown kind", _with(GOOD, kind="territory.lost"), "kind"),
    ("kind not a string", _with(GOOD, kind=7), "kind"),
    ("unknown envelope field", _with(GOOD, seq=1), "seq"),
    ("unknown payload field", _with(GOOD, data={"colour": "red"}), "data.colour"),
    ("missing payload field", _with(GOOD, data={"claimant": _DROP}), "data.claimant"),
    ("missing kind", _with(GOOD, kind=_DROP), "kind"),
    ("missing occurred_on", _with(GOOD, occurred_on=_DROP), "occurred_on"),
    ("missing source", _with(GOOD, source=_DROP), "source"),
    ("missing data", {name: value for name, value in GOOD.items() if name != "data"}, "data"),
    ("data not an object", {**GOOD, "data": [1]}, "data"),
    ("mistyped payload string", _with(GOOD, data={"claimant": 3}), "data.claimant"),
    ("mistyped enum", _with(GOOD, data={"basis": "partial"}), "data.basis"),
    ("mistyped source", _with(GOOD, source=5), "source"),
    ("empty source", _with(GOOD, source="   "), "source"),
    ("source with a newline", _with(GOOD, source="a\nb"), "source"),
    ("source too long", _with(GOOD, source="x" * (MAX_TEXT + 1)), "source"),
    ("mistyped unverified", _with(GOOD, unverified="yes"), "unverified"),
    ("empty note", _with(GOOD, note=""), "note"),
    ("bad event id", _with(GOOD, event_id="-starts-with-dash"), "event_id"),
    ("event id with a space", _with(GOOD, event_id="a b"), "event_id"),
    ("event id too long", _with(GOOD, event_id="a" * 201), "event_id"),
    ("schema version from the future", _with(GOOD, schema_version=3), "schema_version"),
    ("schema version zero", _with(GOOD, schema_version=0), "schema_version"),
    ("schema version a boolean", _with(GOOD, schema_version=True), "schema_version"),
    ("number in a list of names", BORDER | {"data": BORDER["data"] | {"near": ["Sudzha", 3]}}, "data.near"),
]


def test_a_range_without_a_value_reads_as_its_low_end_not_a_midpoint():
    event = event_from_record(_with(GOOD, data={"advance_km": {"low": 1, "high": 3}}))
    assert event.payload.advance_km == Quantity(1, Bound.EXACT, low=1, high=3)
    assert event.payload.advance_km.describe("km") == "1-3 km"
    assert event_to_record(event)["data"]["advance_km"] == {"value": 1, "bound": "exact", "low": 1, "high": 3}


def test_a_sources_own_words_travel_with_the_figure_and_are_left_out_when_absent():
    event = event_from_record(
        _with(PRISONERS, data={"count": {"value": 200, "bound": "at_least", "stated": "hundreds"}})
    )
    assert event.payload.count.stated == "hundreds"
    assert event.payload.count.describe() == '"hundreds" (read as at least 200)'
    assert event_to_record(event)["data"]["count"] == {"value": 200, "bound": "at_least", "stated": "hundreds"}
    assert "stated" not in event_to_record(event_from_record(PRISONERS))["data"]["count"]


@pytest.mark.parametrize(
    "kind, data",
    [
        ("prisoners.captured", {"captor": "Ukraine", "count": 100, "basis": "total"}),
        ("civilians.displaced", {"region": "Kursk Oblast", "count": 121000, "basis": "total"}),
        ("forces.redeployed", {"force": "Reserves", "from_area": "Donetsk", "to_area": "Kursk Oblast"}),
    ],
)
def test_version_1_of_a_widened_kind_reads_unchanged_at_version_2(kind, data):
    event = event_from_record(
        {"kind": kind, "schema_version": 1, "occurred_on": "2024-08-12", "source": "S", "data": data}
    )
    assert event.schema_version == 2
    assert event.payload == structure_payload(kind, data)  # the same payload as version 2 reads it


def test_the_good_record_is_good():
    # The table below only means something if the record it mutates is valid.
    assert event_from_record(GOOD).payload.area_km2 == Quantity(1000)
    assert event_from_record(PRISONERS).payload.count == Quantity(100)
    assert event_from_record(BORDER).payload.near == ("Sudzha",)


def names_field(actual: str | None, field: str) -> bool:
    """`actual` names `field`, or a part of it (`data.area_km2.value` names `data.area_km2`)."""
    return actual == field or (actual or "").startswith(field + ".")


@pytest.mark.parametrize("record, field", [pytest.param(r, f, id=name) for name, r, f in BAD_RECORDS])
def test_bad_record_raises_invalid_event_naming_the_field(record, field):
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(record)
    assert names_field(caught.value.field, field), caught.value.field
    assert caught.value.message  # a reason a person can read


@pytest.mark.parametrize("record", [[], "event", 3, None])
def test_a_record_that_is_not_an_object_is_refused(record):
    with pytest.raises(InvalidEvent, match="JSON object"):
        event_from_record(record)


@pytest.mark.parametrize("value", ["", "   ", "a\nb"])
def test_invalid_payload_text_names_the_payload_field(value):
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(_with(GOOD, data={"claimant": value}))
    assert caught.value.field == "data.claimant"


# C0 controls, DEL and C1 controls (U+009B is the 8-bit CSI terminals obey like ESC [;
# U+0085 is a line break).
@pytest.mark.parametrize("control", ["\x00", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\x9f"])
def test_text_refuses_every_control_character_but_tab(control):
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(_with(GOOD, source=f"Reuters{control}"))
    assert caught.value.field == "source"


def test_text_refuses_a_lone_surrogate():
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(
            json.loads(
                '{"kind": "statement.made", "occurred_on": "2024-08-12", "source": "\\ud800",'
                ' "data": {"speaker": "V", "summary": "S"}}'
            )
        )
    assert caught.value.field == "source"


def test_text_accepts_tab_and_the_exact_length_limit():
    event = event_from_record(_with(GOOD, source="a\tb" + "x" * (MAX_TEXT - 3)))
    assert len(event.source) == MAX_TEXT


def test_unknown_kind_error_lists_the_known_kinds():
    with pytest.raises(InvalidEvent) as caught:
        event_from_record(_with(GOOD, kind="territory.lost"))
    assert "territory.claimed" in caught.value.message


def test_a_trusted_decode_runs_no_validators_and_a_checked_structure_still_does():
    # Text the store wrote was checked when it was appended; decoding it again must not check it
    # again (msgspec runs attrs validators unless told not to), while every untrusted way in does.
    text = b'{"value": -1, "bound": "exact", "low": null, "high": null, "stated": null}'
    decoded = trusted_decoder(Quantity)(text)
    assert (type(decoded), decoded.value, decoded.bound) == (Quantity, -1, Bound.EXACT)
    with pytest.raises(ValueError, match="must not be negative"):
        Quantity(-1)
    with pytest.raises(InvalidEvent, match="negative"):
        payload = {"claimant": "Ukraine", "basis": "total", "area_km2": {"value": -1}}
        event_from_record({"kind": "territory.claimed", "occurred_on": "2024-08-10", "source": "x", "data": payload})
