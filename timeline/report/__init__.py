"""The one-file HTML report and the PNG chart, built on the public API and the core's facts.

from timeline.report import write_report
write_report(Timeline.bundled(), "report.html")
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from timeline.api import Timeline
from timeline.errors import BadInput
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomically(path: str | os.PathLike[str], text: str) -> int:
    """Write through a temporary file beside `path`: a failed write leaves no half file. Returns bytes written."""
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{target}: is a directory")
    if not target.parent.is_dir():
        raise BadInput(f"{target}: folder {target.parent} does not exist")
    encoded = text.encode("utf-8")
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=target.parent, prefix=f".{target.name}.", delete=False) as stream:
            temporary = Path(stream.name)
            stream.write(encoded)
        temporary.chmod(0o666 & ~_umask())  # as an ordinary new file, not the temporary file's 0600
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise BadInput(f"{target}: cannot write: {exc.strerror}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
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
