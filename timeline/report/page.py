"""The report as one HTML file: the page, its style, its script and its data, all inline.

Text from the log reaches the page two ways, both inert: the few strings in the markup
(title, summary) go through `html.escape`; everything else is JSON inside a
`<script type="application/json">`, with `<`, `>`, `&` and U+2028/U+2029 written as \\u escapes
so that no event text can close the tag, and the page's script sets it as textContent.
A Content-Security-Policy allows only this file's own script and style (by hash) and no
network at all, so even a mistake elsewhere could neither run injected code nor fetch.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import string
from importlib import resources
from typing import Any

# Above this much JSON, the data is embedded gzip-compressed (base64) and inflated by the
# browser's own DecompressionStream: a 100,000-event log's 35 MB of JSON becomes about 6 MB.
COMPRESS_ABOVE_BYTES = 2_000_000
_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _static(name: str) -> str:
    return (resources.files("timeline.report") / "static" / name).read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that is safe as the text of a <script> element: it can never contain `</script>` or `<!--`."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _inline(text: str, tag: str) -> str:
    if f"</{tag}" in text.lower():
        raise ValueError(f"the page's own {tag} would close its tag early")  # a bug in this package, not input
    return text


def embedded_data(data: dict[str, Any], compress: bool | None = None) -> tuple[str, str]:
    """(the data element's text, its data-encoding attribute or '')."""
    text = script_json(data)
    if compress is None:
        compress = len(text.encode("utf-8")) > COMPRESS_ABOVE_BYTES
    if not compress:
        return text, ""
    packed = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    return json.dumps(base64.b64encode(packed).decode("ascii")), ' data-encoding="gzip+base64"'


def render_page(data: dict[str, Any], *, compress: bool | None = None) -> str:
    # map.js first: report.js installs the map's drawing into its view before the page loads.
    script = _inline(_static("map.js") + "\n" + _static("report.js"), "script")
    css = _inline(_static("report.css"), "style")
    csp = (
        "default-src 'none'; "
        f"script-src '{_sha256(script)}'; "
        f"style-src '{_sha256(css)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    payload, encoding = embedded_data(data, compress)
    shown = data["range"]
    summary = (
        f"{data['log']}: {data['events_in_log']:,} events, "
        f"{shown['from']} to {shown['to']} ({len(data['days']) - 1} days); "
        f"reports made public up to {data['bounds']['last_reported']}."
    )
    footer = (
        "One self-contained file: no server, no network. Disagreement is data: every claim is shown with "
        "its source and date, contested places are marked, unverified claims are marked and drawn hollow."
    )
    return string.Template(_static("page.html")).substitute(
        title=html.escape(data["title"]),
        summary=html.escape(summary),
        footer=html.escape(footer),
        csp=html.escape(csp),
        css=css,
        script=script,
        data=payload,
        encoding=encoding,
    )
