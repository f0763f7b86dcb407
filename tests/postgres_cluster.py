"""A throwaway PostgreSQL 15 cluster for the test session, from Debian's postgresql-15 binaries.

initdb refuses to run as root, so as root the cluster belongs to the ``postgres``
user. It listens on 127.0.0.1 only, with durability off (tests need speed, not
crash safety), and is stopped when the session ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path(os.environ.get("SUMMIT_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], *, as_postgres: bool) -> None:
    command = ["runuser", "-u", "postgres", "--", *args] if as_postgres else args
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL for its ``postgres`` database."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        raise RuntimeError(
            f"{initdb} not found: install Debian's postgresql-15 (make test does), "
            "or set SUMMIT_TEST_BACKENDS=sqlite to test SQLite only"
        )
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="summit-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run(
        [str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"],
        as_postgres=as_postgres,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = str(PG_BIN / "pg_ctl")
    _run(
        [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"],
        as_postgres=as_postgres,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], as_postgres=as_postgres)
        shutil.rmtree(root, ignore_errors=True)
