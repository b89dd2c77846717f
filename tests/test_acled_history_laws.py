"""The laws of importing a living dataset, as hypothesis properties.

Two ACLED exports are drawn: a first one, and a later one in which each row is kept, revised (a
newer timestamp) or dropped, and new rows appear. Importing both into one log must:

- answer, for every known_on from the first export's day to the day before the second's, exactly
  what a log of the first export alone answers;
- answer, with everything known, exactly what a log of the rows the second export leaves standing
  answers (its rows, plus the first export's rows it does not cover);
- count new, updated, removed and unchanged rows as they are;
- append nothing when the second export is imported again.
"""

from __future__ import annotations

import datetime as dt
import io

from acled_samples import csv_bytes, row
from hypothesis import assume, given
from hypothesis import strategies as st

from timeline.api import Timeline
from timeline.store import memory_store

FIRST_DAY = dt.date(2024, 8, 1)
FIRST_EXPORT_DAY = dt.date(2024, 8, 12)  # every timestamp of the first export is on or before it
SECOND_EXPORT_DAYS = (dt.date(2024, 8, 14), dt.date(2024, 8, 20))
LOCATIONS = (("Kursk", "Sudzha"), ("Kursk", "Korenevo"), ("Belgorod", "Shebekino"))
COUNTRIES = ("Russia", "Ukraine")
SUB_EVENT_TYPES = ("Armed clash", "Non-state actor overtakes territory", "Government regains territory")


@st.composite
def versions(
    draw: st.DrawFn, record_id: str, revised_from: dt.date, revised_to: dt.date, occurred: dt.date | None = None
):
    """One version of a row, changed between the two days given."""
    occurred = occurred or draw(st.dates(FIRST_DAY, min(revised_to, dt.date(2024, 8, 10))))
    revised = draw(st.dates(max(revised_from, occurred), revised_to))
    admin1, location = draw(st.sampled_from(LOCATIONS))
    return row(
        record_id,
        occurred,
        revised=revised,
        country=draw(st.sampled_from(COUNTRIES)),
        admin1=admin1,
        location=location,
        sub_event_type=draw(st.sampled_from(SUB_EVENT_TYPES)),
        fatalities=draw(st.integers(0, 5)),
        event_type=draw(st.sampled_from(("Battles", "Explosions/Remote violence"))),
    )


@st.composite
def two_exports(draw: st.DrawFn):
    ids = draw(st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True))
    first = [draw(versions(f"RUS{n}", FIRST_DAY, FIRST_EXPORT_DAY)) for n in ids]
    second_day = draw(st.dates(*SECOND_EXPORT_DAYS))  # ACLED's weekly release: its changes share a day
    second, fates = [], {}
    for version in first:
        fate = draw(st.sampled_from(("kept", "revised", "dropped")))
        fates[version["event_id_cnty"]] = fate
        if fate == "kept":
            second.append(version)
        elif fate == "revised":
            occurred = dt.date.fromisoformat(version["event_date"])
            second.append(draw(versions(version["event_id_cnty"], second_day, second_day, occurred)))
    new_ids = draw(st.lists(st.integers(41, 60), max_size=4, unique=True))
    second += [draw(versions(f"RUS{n}", second_day, second_day)) for n in new_ids]
    second = draw(st.permutations(second))
    assume(second)  # an export with no rows is refused (tested in test_acled_import.py)
    return first, second, fates, set(new_ids)


def _timeline(*exports):
    timeline = Timeline(memory_store())
    results = [timeline.import_acled(io.BytesIO(csv_bytes(export))) for export in exports if export]
    return timeline, results


def _day(version) -> dt.date:
    return dt.date.fromisoformat(version["event_date"])


def _standing(first, second):
    """The rows the log should stand on after both, in the order it folds them within a day."""
    covered = (min(map(_day, second)), max(map(_day, second)))
    countries = {version["country"] for version in second}
    latest = max(version["timestamp"] for version in second)
    in_second = {version["event_id_cnty"]: version for version in second}
    removed = set()
    kept_from_first = []
    for version in first:
        record_id = version["event_id_cnty"]
        if record_id in in_second:
            if in_second[record_id] == version:
                kept_from_first.append(version)
        elif (
            covered[0] <= _day(version) <= covered[1]
            and version["country"] in countries
            and version["timestamp"] <= latest
        ):
            removed.add(record_id)
        else:
            kept_from_first.append(version)
    first_ids = {version["event_id_cnty"] for version in first}
    changed = [v for v in second if v["event_id_cnty"] not in first_ids or v not in first]
    return kept_from_first + changed, removed


@given(two_exports())
def test_importing_two_exports_keeps_what_each_said(exports):
    first, second, fates, new_ids = exports
    both, (_, result) = _timeline(first, second)
    only_first, _ = _timeline(first)
    standing, removed = _standing(first, second)
    standing_log, _ = _timeline(standing)

    counts = result.counts
    assert counts.new == len(new_ids)
    assert counts.updated == sum(fate == "revised" for fate in fates.values())
    assert counts.unchanged == sum(fate == "kept" for fate in fates.values())
    assert counts.removed == len(removed)

    second_day = dt.datetime.fromtimestamp(max(v["timestamp"] for v in second), dt.UTC).date()
    for as_of in (dt.date(2024, 8, 5), dt.date(2024, 8, 10), dt.date(2024, 8, 31)):
        known_on = FIRST_EXPORT_DAY
        while known_on < second_day:
            assert both.state(as_of, known_on).facts() == only_first.state(as_of).facts()
            known_on += dt.timedelta(days=1)
        assert both.state(as_of).facts() == standing_log.state(as_of).facts()

    again = both.import_acled(io.BytesIO(csv_bytes(second)))
    assert again.append.count == 0 and again.counts.unchanged == len(second)
