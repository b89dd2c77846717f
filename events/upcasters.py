"""Old payload versions are upcast on read, one version step at a time; the log is never rewritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
_steps: dict[tuple[str, int], Callable[[Payload], Payload]] = {}


def upcaster(kind: str, from_version: int) -> Callable[[Callable[[Payload], Payload]], Callable[[Payload], Payload]]:
    """Register the step that turns `kind` data at `from_version` into `from_version + 1`."""

    def register(step: Callable[[Payload], Payload]) -> Callable[[Payload], Payload]:
        _steps[(kind, from_version)] = step
        return step

    return register


def upcast(kind: str, version: int, data: Payload, target: int) -> Payload:
    while version < target:
        try:
            step = _steps[(kind, version)]
        except KeyError:
            raise ValueError(f"no upcaster for {kind} version {version}") from None
        data = step(data)
        version += 1
    return data


@upcaster("territory.claimed", from_version=1)
def _territory_area_as_quantity(data: Payload) -> Payload:
    """Version 1 held the area as a bare number with an `approximate` flag and only ever a total."""
    data = dict(data)
    approximate = data.pop("approximate", False)
    area = data.get("area_km2")
    if isinstance(area, (int, float)) and not isinstance(area, bool):
        data["area_km2"] = {"value": area, "bound": "approx" if approximate is True else "exact"}
    data.setdefault("basis", "total")
    return data


def _unchanged(data: Payload) -> Payload:
    """The step for a version that only widened the vocabulary: every older payload is valid as it is."""
    return data


# prisoners.captured 2 added the basis `day`; civilians.displaced 2 the basis `subject_to_evacuation`;
# forces.redeployed 2 made `from_area` optional. Older events read unchanged; the bump tells an older
# reader that an event uses vocabulary it does not know, instead of failing on a field as if it were bad.
for _kind in ("prisoners.captured", "civilians.displaced", "forces.redeployed"):
    upcaster(_kind, from_version=1)(_unchanged)
