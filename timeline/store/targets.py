"""What a store's target is: an SQLite file path or a PostgreSQL URL, and its name in messages."""

from __future__ import annotations

import os
import urllib.parse

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def safe_label(target: str | os.PathLike[str]) -> str:
    """A store's name for messages: a URL without its password."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    parts = urllib.parse.urlsplit(text)
    if parts.password is None:
        return text
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))
