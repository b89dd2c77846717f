"""`timeline chart`: the claimed-area chart as a PNG, drawn with matplotlib (the optional `plot` extra).

The same points as the report's area chart: one per total-area claim, its qualifier beside it,
its range as a bar, unverified claims hollow.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from typing import Any

from timeline.api import Timeline
from timeline.errors import BadInput, MissingExtra
from timeline.report import knowledge, series

QUALIFIERS = {"exact": "", "approx": "~", "at_least": "≥", "more_than": ">", "at_most": "≤"}
COLORS = ["#1f5fbf", "#c0262d", "#2b7a3d", "#8a4fbf", "#d97a00", "#00838f", "#7a5c3e", "#c2185b"]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra(
            "timeline chart needs matplotlib, the optional 'plot' extra: pip install -e '.[plot]'"
        ) from None
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as pyplot

    return pyplot


def area_points(
    timeline: Timeline, known_on: dt.date | None = None
) -> dict[str, list[tuple[dt.date, list[Any], bool]]]:
    """claimant -> [(day, [value, bound, low, high, label], unverified)] for the claims known on `known_on`."""
    hidden = knowledge.hidden_on(timeline, known_on)
    points: dict[str, list[tuple[dt.date, list[Any], bool]]] = defaultdict(list)
    for recorded in timeline.events(kind="territory.claimed"):
        if recorded.event_id in hidden or (known_on is not None and recorded.reported_on > known_on):
            continue
        found = series.point(recorded)
        if found is not None and found[0].name == "area":
            _, claimant, figure = found
            points[claimant].append((recorded.occurred_on, figure, recorded.event.unverified))
    return dict(points)


def write_area_chart(timeline: Timeline, path: str | os.PathLike[str], known_on: dt.date | None = None) -> int:
    """Draw the claimed-area chart to `path` (PNG); returns the number of claims drawn."""
    pyplot = _pyplot()
    points = area_points(timeline, known_on)
    if not points:
        raise BadInput("the log has no territorial claim with an area: nothing to chart")
    figure, axes = pyplot.subplots(figsize=(9, 4.8), dpi=110)
    drawn = 0
    for number, claimant in enumerate(sorted(points)):
        color = COLORS[number % len(COLORS)]
        claims = sorted(points[claimant], key=lambda point: point[0])
        days = [day for day, _, _ in claims]
        values = [figure[0] for _, figure, _ in claims]
        axes.plot(days, values, color=color, alpha=0.45, linewidth=1)
        for day, (value, bound, low, high, _), unverified in claims:
            if low is not None and high is not None:
                axes.vlines(day, low, high, color=color, linewidth=2, alpha=0.6)
            axes.plot(
                [day], [value], "o", markersize=7, markeredgewidth=2, color=color,
                markerfacecolor="white" if unverified else color,
            )  # fmt: skip
            if QUALIFIERS.get(bound):
                axes.annotate(QUALIFIERS[bound], (day, value), textcoords="offset points", xytext=(6, 5), color=color)
            drawn += 1
        axes.plot([], [], "o", color=color, label=claimant)
    axes.plot([], [], "o", color="grey", markerfacecolor="white", label="unverified (hollow)")
    known = f", known on {known_on.isoformat()}" if known_on else ""
    axes.set_title(f"Claimed area by claimant (km²){known}")
    axes.set_ylabel("km²")
    top = max(max(figure[3] or figure[0] for _, figure, _ in claims) for claims in points.values())
    axes.set_ylim(0, top * 1.12)  # room for the qualifier marks above the highest claim
    axes.grid(True, color="#e3e7ec")
    axes.legend(
        loc="lower right", fontsize="small", title="~ about, ≥ at least, > more than, ≤ up to", title_fontsize="small"
    )
    figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise BadInput(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        pyplot.close(figure)
    return drawn
