"""The incidents projector: tallies per admin1 and per location, tolls as reported, the latest
incident, provenance; shown by state, diff, why and --json."""

from __future__ import annotations

import datetime as dt
import io
import json

from acled_samples import csv_bytes, row, timestamp
from click.testing import CliRunner

from events.quantity import MAX_VALUE, Bound, Quantity
from timeline.api import Timeline
from timeline.cli import cli
from timeline.formats.acled import incident_id
from timeline.projectors.incidents import PROVENANCE_LIMIT, add_tolls
from timeline.store import memory_store

AUG = dt.date(2024, 8, 1)


def day(n: int) -> dt.date:
    return AUG + dt.timedelta(days=n - 1)


ROWS = [
    row("RUS1", day(6), fatalities=0),
    row("RUS2", day(7), fatalities=3, event_type="Explosions/Remote violence", sub_event_type="Air/drone strike"),
    row("RUS3", day(8), fatalities=2, location="Korenevo", latitude=51.41, longitude=34.91),
    row("RUS4", day(9), fatalities="", location="Korenevo", latitude=51.42, longitude=34.92),
    row("UKR1", day(9), fatalities=1, country="Ukraine", admin1="Sumy", location="Sumy"),
]


def timeline_of(rows) -> Timeline:
    timeline = Timeline(memory_store())
    timeline.import_acled(io.BytesIO(csv_bytes(rows)))
    return timeline


def test_incidents_per_admin1_and_location_with_tolls_as_reported():
    facts = timeline_of(ROWS).state(day(10)).facts()
    kursk = facts["incidents.admin1.Kursk"]
    assert (kursk.incidents, kursk.fatalities, kursk.without_toll) == (4, Quantity(5), 1)
    assert [(t.event_type, t.incidents, t.fatalities) for t in kursk.by_event_type] == [
        ("Battles", 3, Quantity(2)),
        ("Explosions/Remote violence", 1, Quantity(3)),
    ]
    assert kursk.latest.event_id == incident_id("RUS4", timestamp(day(9)))
    sudzha = facts["incidents.location.Kursk.Sudzha"]
    assert sudzha.fatalities == Quantity(3) and sudzha.incidents == 2
    # 0 reported killed is a figure: the toll is exactly 0, not unknown.
    assert timeline_of(ROWS[:1]).state(day(10)).facts()["incidents.location.Kursk.Sudzha"].fatalities == Quantity(0)
    korenevo = facts["incidents.location.Kursk.Korenevo"]
    assert (korenevo.latitude, korenevo.longitude) == (51.42, 34.92)  # where the latest incident put it
    assert "incidents.admin1.Sumy" in facts and "incidents.location.Sumy.Sumy" in facts
    assert kursk.event_ids == tuple(
        incident_id(r, timestamp(d))
        for r, d in (("RUS1", day(6)), ("RUS2", day(7)), ("RUS3", day(8)), ("RUS4", day(9)))
    )


def test_a_tally_names_its_most_recent_incidents_and_counts_them_all():
    rows = [row(f"RUS{n}", day(1 + n % 28), fatalities=1) for n in range(PROVENANCE_LIMIT + 15)]
    sudzha = timeline_of(rows).state(day(31)).facts()["incidents.location.Kursk.Sudzha"]
    assert sudzha.incidents == PROVENANCE_LIMIT + 15 and sudzha.fatalities == Quantity(PROVENANCE_LIMIT + 15)
    assert len(sudzha.event_ids) == PROVENANCE_LIMIT
    assert sudzha.event_ids[-1] == sudzha.latest.event_id


def test_tolls_add_up_keeping_what_the_qualifiers_allow():
    assert add_tolls(Quantity(2), Quantity(3)) == Quantity(5, Bound.EXACT)
    assert add_tolls(Quantity(2), Quantity(3, Bound.MORE_THAN)) == Quantity(5, Bound.AT_LEAST)
    assert add_tolls(Quantity(2), Quantity(3, Bound.AT_MOST)) == Quantity(5, Bound.AT_MOST)
    assert add_tolls(Quantity(2, Bound.APPROX), Quantity(3, Bound.AT_LEAST)) == Quantity(5, Bound.APPROX)
    assert add_tolls(Quantity(2, Bound.EXACT, 1, 3), Quantity(3)) == Quantity(5, Bound.EXACT, 4, 6)
    assert add_tolls(None, Quantity(3)) == Quantity(3) and add_tolls(None, None) is None
    assert add_tolls(Quantity(MAX_VALUE), Quantity(1)) == Quantity(MAX_VALUE, Bound.AT_LEAST)


def test_state_diff_why_and_json_show_incidents(tmp_path):
    db = tmp_path / "acled.db"
    with Timeline.init(db) as timeline:
        timeline.import_acled(io.BytesIO(csv_bytes(ROWS)))
    runner = CliRunner()
    state = runner.invoke(cli, ["state", "--db", str(db), "--as-of", "2024-08-10"]).output
    assert "INCIDENTS\n  Kursk: 4 incidents, 5 fatalities (1 without a figure)" in state
    assert "    Korenevo (Kursk): 2 incidents" in state
    as_json = json.loads(runner.invoke(cli, ["state", "--db", str(db), "--json"]).output)
    assert as_json["incidents"]["location"]["Kursk"]["Sudzha"]["fatalities"] == {"value": 3, "bound": "exact"}
    diff = json.loads(runner.invoke(cli, ["diff", "2024-08-07", "2024-08-08", "--db", str(db), "--json"]).output)
    change = next(c for c in diff["changes"] if c["path"] == "incidents.location.Kursk.Korenevo")
    assert change["before"] is None and change["event_ids"] == [incident_id("RUS3", timestamp(day(8)))]
    why = runner.invoke(cli, ["why", "incidents.location.Kursk.Sudzha", "--db", str(db)]).output
    assert incident_id("RUS2", timestamp(day(7))) in why and "source: Kommersant" in why
