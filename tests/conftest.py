"""Shared fixtures and the hypothesis profiles.

Profiles: "ci" (50 derandomised examples) and "dev" (200 examples). Choose one with
HYPOTHESIS_PROFILE; otherwise "ci" when the CI variable is set, else "dev".
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import postgres_server
import pytest
from hypothesis import HealthCheck, settings

import timeline
from timeline.api import Timeline

settings.register_profile(
    "ci", deadline=None, max_examples=50, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

DATASET = Path(timeline.__file__).parent / "datasets" / "kursk-2024.jsonl"


# --------------------------------------------------------------------------------------------
# "Did anything change?": the fingerprint of a log file
# --------------------------------------------------------------------------------------------


@attrs.frozen
class LogFingerprint:
    """Everything a log holds, taken from a database that no connection has open.

    Two layers, because each misses something the other sees:
    - the raw bytes of the database file and of its `-wal` file: committed data lives in
      those two files only, so equal bytes mean nothing was written, not even an empty
      transaction that rewrote a page. (`-shm` is left out: it is a scratch index SQLite
      rewrites whenever any connection, even a read-only one, opens the file. A missing
      `-wal` and an empty one hold the same nothing and fingerprint alike.)
    - a logical dump (`iterdump`) of every table, index, view and trigger: on a mismatch it
      shows *what* changed, and it stays meaningful if a checkpoint ever moved pages from
      the WAL into the main file.
    Take it with every connection closed: the last writer to close checkpoints the WAL into
    the main file, so the bytes are settled.
    """

    db_sha256: str
    wal_sha256: str
    dump: tuple[str, ...]


def file_bytes(path: str | os.PathLike) -> bytes:
    """The file's bytes, or b"" when it does not exist."""
    path = Path(path)
    return path.read_bytes() if path.exists() else b""


def log_fingerprint(path: str | os.PathLike) -> LogFingerprint:
    path = Path(path)
    db_sha = hashlib.sha256(file_bytes(path)).hexdigest()
    wal_sha = hashlib.sha256(file_bytes(f"{path}-wal")).hexdigest()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dump = tuple(conn.iterdump())
    finally:
        conn.close()
    return LogFingerprint(db_sha, wal_sha, dump)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_timeline_db_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A TIMELINE_DB set in the shell running the tests must not redirect any command.
    monkeypatch.delenv("TIMELINE_DB", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's log lives; nothing is created there yet."""
    return tmp_path / "timeline.db"


@pytest.fixture
def fresh_timeline(db_path: Path) -> Iterator[Timeline]:
    """A newly initialised, empty, open timeline at `db_path`."""
    tl = Timeline.init(db_path)
    yield tl
    tl.close()


@pytest.fixture
def dataset_path() -> Path:
    """The bundled Kursk 2024 event log (JSONL)."""
    assert DATASET.is_file()
    return DATASET


@pytest.fixture
def read_bytes() -> Callable[[str | os.PathLike], bytes]:
    return file_bytes


@pytest.fixture
def fingerprint() -> Callable[[str | os.PathLike], LogFingerprint]:
    """`fingerprint(path)`: compare before and after to prove a log was left exactly as it was."""
    return log_fingerprint


@pytest.fixture
def require() -> Callable[[str, str], object]:
    """`require(module, what)`: the module, or a skip naming what is missing; under CI, a failure."""

    def need(module: str, what: str) -> object:
        try:
            return importlib.import_module(module)
        except ImportError:
            if os.environ.get("CI"):
                pytest.fail(f"{what} is required when CI is set, and {module} cannot be imported")
            pytest.skip(f"{what} is not installed")

    return need


# --------------------------------------------------------------------------------------------
# PostgreSQL: one server per run, a fresh database per test
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[postgres_server.Databases]:
    """Databases on a throwaway cluster (or on the server TIMELINE_TEST_POSTGRES_URL names).

    Without a server the PostgreSQL tests skip, saying why; with CI set they fail instead."""
    try:
        with postgres_server.server() as url:
            databases = postgres_server.Databases(url)
            try:
                yield databases
            finally:
                databases.close()
    except postgres_server.Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server: {exc}")


@pytest.fixture
def postgres_url(postgres_databases: postgres_server.Databases) -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    url = postgres_databases.new()
    yield url
    postgres_databases.drop(url)
