"""Writing a user's output file: whole or not at all, as an ordinary new file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from timeline.errors import BadInput


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replaced_atomically(
    path: str | os.PathLike[str], *, binary: bool = False, newline: str | None = None
) -> Iterator[IO[Any]]:
    """A stream to a temporary file beside `path` that replaces `path` when the block ends without
    an error, so a failed write leaves no half file and an earlier file stays as it was."""
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{target}: is a directory")
    if not target.parent.is_dir():
        raise BadInput(f"{target}: folder {target.parent} does not exist")
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb" if binary else "w",
            encoding=None if binary else "utf-8",
            newline=None if binary else newline,
            dir=target.parent,
            prefix=f".{target.name}.",
            delete=False,
        ) as stream:
            temporary = Path(stream.name)
            yield stream
        temporary.chmod(0o666 & ~_umask())  # as an ordinary new file, not the temporary file's 0600
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise BadInput(f"{target}: cannot write: {exc.strerror}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
