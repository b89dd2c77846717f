"""A PostgreSQL server for the tests: a throwaway cluster, or the one TIMELINE_TEST_POSTGRES_URL names.

The throwaway cluster is made by `initdb` in a temporary folder, listens on a free port of
127.0.0.1 (and a socket in that folder), runs without fsync (nothing in it outlives the run)
and is stopped and deleted at the end. As root, the server programs run as the `postgres`
user: PostgreSQL refuses to run as root. Each test gets a database of its own from it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ENVIRONMENT_URL = "TIMELINE_TEST_POSTGRES_URL"


class Unavailable(Exception):
    """No PostgreSQL server can be had; the message says why."""


def find_server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl (on PATH, or Debian's /usr/lib/postgresql/N/bin), or None."""
    candidates = [shutil.which("initdb"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    for candidate in candidates:
        if candidate and Path(candidate).with_name("pg_ctl").exists():
            return Path(candidate).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    def __init__(self, programs: Path, *, fsync: bool = False):
        self.programs = programs
        self.fsync = fsync  # off for tests (nothing outlives them); on for benchmarks
        self.folder = Path(tempfile.mkdtemp(prefix="timeline-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root, and there is no 'postgres' user to run the server as") from None
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, cwd="/", check=False)
        if result.returncode != 0:
            raise Unavailable(f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> str:
        data = self.folder / "data"
        self._run(
            str(self.programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )
        durability = "on" if self.fsync else "off"
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            f"-c fsync={durability} -c synchronous_commit={durability}"
        )
        log = str(self.folder / "server.log")
        self._run(str(self.programs / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(self.programs / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def server(*, fsync: bool = False) -> Iterator[str]:
    """The URL of a database on a server the tests may create databases on; raises Unavailable."""
    try:
        import psycopg  # noqa: F401  (the store needs it; without it there is nothing to test)
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install -e '.[postgres]')") from None
    url = os.environ.get(ENVIRONMENT_URL)
    if url:
        yield url
        return
    programs = find_server_programs()
    if programs is None:
        raise Unavailable(f"no PostgreSQL server programs (initdb, pg_ctl) found, and {ENVIRONMENT_URL} is not set")
    cluster = ThrowawayCluster(programs, fsync=fsync)
    try:
        url = cluster.start()
    except BaseException:
        cluster.stop()
        raise
    try:
        yield url
    finally:
        cluster.stop()


class Databases:
    """Creates a fresh database per request on one server, and drops them all at the end."""

    def __init__(self, server_url: str):
        import psycopg

        self.server_url = server_url
        try:
            self.admin = psycopg.connect(server_url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise Unavailable(f"cannot connect to {server_url}: {str(exc).strip().splitlines()[-1]}") from None
        self.created: list[str] = []
        self._names = itertools.count(1)
        self._prefix = f"timeline_test_{os.getpid()}"

    def new(self) -> str:
        name = f"{self._prefix}_{next(self._names)}"
        self.admin.execute(f"DROP DATABASE IF EXISTS {name}")
        self.admin.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        return self.url_of(name)

    def url_of(self, name: str) -> str:
        parts = urllib.parse.urlsplit(self.server_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def drop(self, url: str) -> None:
        name = urllib.parse.urlsplit(url).path.lstrip("/")
        self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in list(self.created):
            with contextlib.suppress(Exception):
                self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.close()
