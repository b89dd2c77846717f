"""The laws of importing UCDP GED as a living dataset, as hypothesis properties.

Two downloads are drawn: a first one, and a later one in which each row is kept (perhaps written
another way: a date with midnight, `3.0` for 3, `true` for TRUE), revised (its content changes)
or dropped, and new rows appear. Importing both into one log must:

- answer, for every known_on from the first download's day to the day before the second's,
  exactly what a log of the first download alone answers;
- answer, with everything known, what a log of the rows the second download leaves standing
  answers (its rows, plus the first download's rows it does not cover), up to the day in each
  event id;
- count new, updated, removed and unchanged rows as they are;
- append nothing when the second download is imported again.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

from hypothesis import assume, given
from hypothesis import strategies as st
from ucdp_samples import csv_bytes, row

from events.codec import state_converter
from timeline.api import Timeline
from timeline.store import memory_store

FIRST_DAY = dt.date(2024, 8, 1)
FIRST_DOWNLOAD = dt.date(2024, 8, 12)
SECOND_DOWNLOADS = (dt.date(2024, 8, 14), dt.date(2024, 8, 20))
PLACES = (("Kursk oblast", "Sudzha town"), ("Kursk oblast", "Korenevo town"), ("Belgorod oblast", "Shebekino town"))
COUNTRIES = ("Russia (Soviet Union)", "Ukraine")
_DAY_IN_ID = re.compile(r"(ucdp:[0-9]+):[0-9]{4}-[0-9]{2}-[0-9]{2}")


@st.composite
def versions(draw: st.DrawFn, record_id: int, occurred: dt.date | None = None):
    occurred = occurred or draw(st.dates(FIRST_DAY, dt.date(2024, 8, 10)))
    admin1, place = draw(st.sampled_from(PLACES))
    best = draw(st.integers(0, 5))
    return row(
        record_id,
        occurred,
        country=draw(st.sampled_from(COUNTRIES)),
        adm_1=admin1,
        where_coordinates=place,
        type_of_violence=draw(st.sampled_from((1, 2, 3))),
        best=best,
        low=best - draw(st.integers(0, best)),
        high=best + draw(st.integers(0, 3)),
        deaths_a=best,
        deaths_b=0,
    )


def written_another_way(version: dict, style: int) -> dict:
    if style == 0:
        return version
    return {
        **version,
        "date_start": f"{version['date_start']}T00:00:00",
        "best": f"{version['best']}.0",
        "active_year": "true" if style == 1 else "1",
        "country": f" {version['country']} ",
    }


@st.composite
def two_downloads(draw: st.DrawFn):
    ids = draw(st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True))
    first = [draw(versions(n)) for n in ids]
    second, fates = [], {}
    for version in first:
        fate = draw(st.sampled_from(("kept", "revised", "dropped")))
        fates[version["id"]] = fate
        if fate == "kept":
            second.append(written_another_way(version, draw(st.integers(0, 2))))
        elif fate == "revised":
            revised = draw(versions(version["id"], dt.date.fromisoformat(version["date_start"])))
            assume(revised != version)  # a draw of the same content is a kept row, counted as one
            second.append(revised)
    new_ids = draw(st.lists(st.integers(41, 60), max_size=4, unique=True))
    second += [draw(versions(n)) for n in new_ids]
    second = draw(st.permutations(second))
    assume(second)  # a download with no rows is refused (tested in test_ucdp_import.py)
    return first, second, fates, set(new_ids), draw(st.dates(*SECOND_DOWNLOADS))


def _timeline(*downloads: tuple[list[dict], dt.date]):
    timeline = Timeline(memory_store())
    results = [timeline.import_ucdp(io.BytesIO(csv_bytes(rows)), known_on) for rows, known_on in downloads if rows]
    return timeline, results


def _day(version) -> dt.date:
    return dt.date.fromisoformat(version["date_start"][:10])


def _content(version) -> tuple:
    """A row as its values: what is the same row however it is written."""
    return (
        _day(version),
        int(float(version["best"])),
        version["low"],
        version["high"],
        version["country"].strip(),
        version["adm_1"],
        version["where_coordinates"],
        version["type_of_violence"],
    )


def _standing(first, second):
    """The rows the log should stand on after both, in the order it folds them within a day."""
    covered = (min(map(_day, second)), max(map(_day, second)))
    countries = {version["country"].strip() for version in second}
    in_second = {version["id"]: version for version in second}
    removed = set()
    kept_from_first = []
    for version in first:
        record_id = version["id"]
        if record_id in in_second:
            if _content(in_second[record_id]) == _content(version):
                kept_from_first.append(version)
        elif covered[0] <= _day(version) <= covered[1] and version["country"] in countries:
            removed.add(record_id)
        else:
            kept_from_first.append(version)
    by_id = {version["id"]: version for version in first}
    changed = [v for v in second if v["id"] not in by_id or _content(v) != _content(by_id[v["id"]])]
    return kept_from_first + changed, removed


def _without_days(facts) -> str:
    """The facts with the download day left out of each UCDP event id."""
    return _DAY_IN_ID.sub(r"\1", json.dumps(state_converter.unstructure(facts), sort_keys=True, default=str))


@given(two_downloads())
def test_importing_two_downloads_keeps_what_each_said(downloads):
    first, second, fates, new_ids, second_day = downloads
    both, (_, result) = _timeline((first, FIRST_DOWNLOAD), (second, second_day))
    only_first, _ = _timeline((first, FIRST_DOWNLOAD))
    standing, removed = _standing(first, second)
    standing_log, _ = _timeline((standing, second_day))

    counts = result.counts
    assert counts.new == len(new_ids)
    assert counts.updated == sum(fate == "revised" for fate in fates.values())
    assert counts.unchanged == sum(fate == "kept" for fate in fates.values())
    assert counts.removed == len(removed)

    for as_of in (dt.date(2024, 8, 5), dt.date(2024, 8, 10), dt.date(2024, 8, 31)):
        known_on = FIRST_DOWNLOAD
        while known_on < second_day:
            assert both.state(as_of, known_on).facts() == only_first.state(as_of).facts()
            known_on += dt.timedelta(days=1)
        assert _without_days(both.state(as_of).facts()) == _without_days(standing_log.state(as_of).facts())

    again = both.import_ucdp(io.BytesIO(csv_bytes(second)), second_day)
    assert again.append.count == 0 and again.counts.unchanged == len(second)
