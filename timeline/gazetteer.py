"""Places and where they are: the bundled gazetteer of the Kursk places, for maps.

Each row names its source; a place the sources name without coordinates is kept, with no
coordinates, so a map can list it beside itself rather than drop it. Coordinates are WGS84
and approximate.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from importlib import resources

import attrs

BUNDLED_GAZETTEER = "kursk-places.csv"


@attrs.frozen
class Place:
    name: str
    kind: str
    region: str
    latitude: float | None
    longitude: float | None
    source: str
    aliases: tuple[str, ...] = ()

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Gazetteer:
    """Places by name and by any of their aliases (case-insensitive)."""

    def __init__(self, places: tuple[Place, ...]):
        self.places = places
        self._by_name: dict[str, Place] = {}
        for place in places:
            for name in (place.name, *place.aliases):
                self._by_name[name.casefold()] = place

    def __iter__(self) -> Iterator[Place]:
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)

    def find(self, name: str) -> Place | None:
        return self._by_name.get(name.strip().casefold())


def _coordinate(text: str) -> float | None:
    return float(text) if text.strip() else None


def parse(text: str) -> Gazetteer:
    places = []
    for row in csv.DictReader(io.StringIO(text)):
        places.append(
            Place(
                name=row["place"],
                kind=row["kind"],
                region=row["region"],
                latitude=_coordinate(row["latitude"]),
                longitude=_coordinate(row["longitude"]),
                source=row["source"],
                aliases=tuple(alias for alias in row["aliases"].split(";") if alias),
            )
        )
    return Gazetteer(tuple(places))


@functools.cache
def bundled() -> Gazetteer:
    """The Kursk places that ship with the engine."""
    return parse((resources.files("timeline") / "datasets" / BUNDLED_GAZETTEER).read_text(encoding="utf-8"))
