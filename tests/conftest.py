"""Fixtures shared across test folders: a throwaway PostgreSQL server for the scan store's tests.

The server is a fresh cluster made with ``initdb`` in a temporary folder and
started with ``pg_ctl`` on a free local port, once per test session (per
xdist worker). As root, the cluster is owned by and run as the ``postgres``
user (PostgreSQL refuses to run as root). Where the server binaries are not
installed, the PostgreSQL tests skip and say why.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on the PATH, else the newest Debian install."""
    found = shutil.which("initdb")
    candidates = ([Path(found).resolve().parent] if found else []) + sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), reverse=True
    )
    return next(
        (folder for folder in candidates if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()), None
    )


def _as_server_user(command: list[str], user: str | None) -> list[str]:
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    return ["su", "-s", "/bin/sh", user, "-c", shlex.join(command)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """URL of the ``postgres`` database of a throwaway PostgreSQL cluster (trust authentication on 127.0.0.1)."""
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package to run these tests"
        )
    user = None
    folder = Path(tempfile.mkdtemp(prefix="forecaster-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("running as root and no 'postgres' user to run the PostgreSQL server as")
        user = "postgres"
        os.chown(folder, account.pw_uid, account.pw_gid)
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                user,
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(folder / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                user,
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (folder / "server.log").read_text() if (folder / "server.log").is_file() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(
            f"could not start a throwaway PostgreSQL server: {exc}: {getattr(exc, 'stderr', b'')!r} {log[-2000:]}"
        )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


def new_postgres_database(server_url: str) -> str:
    """Create an empty database on the throwaway server and return its URL."""
    from sqlalchemy import create_engine, text

    name = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty scan store URL: an SQLite file, or a new database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scans.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))
