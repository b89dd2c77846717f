"""The one-file HTML report and the PNG chart, built on the public API and the core's facts.

from timeline.report import write_report
write_report(Timeline.bundled(), "report.html")
"""

from __future__ import annotations

import datetime as dt
import os

from timeline.api import Timeline
from timeline.files import replaced_atomically
from timeline.report.data import ReportOptions, build_data
from timeline.report.page import render_page

__all__ = ["ReportOptions", "build_data", "render_page", "report_html", "write_report"]


def report_html(
    timeline: Timeline,
    *,
    first: dt.date | None = None,
    last: dt.date | None = None,
    title: str | None = None,
    log_name: str = "timeline",
    compress: bool | None = None,
) -> str:
    options = ReportOptions(title=title or f"Timeline report: {log_name}", log_name=log_name, first=first, last=last)
    return render_page(build_data(timeline, options), compress=compress)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> int:
    """Write through a temporary file beside `path`: a failed write leaves no half file. Returns bytes written."""
    encoded = text.encode("utf-8")
    with replaced_atomically(path, binary=True) as stream:
        stream.write(encoded)
    return len(encoded)


def write_report(
    timeline: Timeline,
    path: str | os.PathLike[str],
    *,
    first: dt.date | None = None,
    last: dt.date | None = None,
    title: str | None = None,
    log_name: str = "timeline",
    compress: bool | None = None,
) -> int:
    """Write the report to `path`; returns its size in bytes."""
    page = report_html(timeline, first=first, last=last, title=title, log_name=log_name, compress=compress)
    return write_text_atomically(path, page)
