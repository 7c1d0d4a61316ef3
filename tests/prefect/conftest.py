"""Fixtures: one real Prefect server and one slotd for the whole session.

The Prefect server is the pinned `prefect` package's own app (uvicorn on
prefect.server.api.server:create_app) with SQLite in a temporary folder, the
in-memory lease storage (Prefect's default) and only the web server: no UI,
no background services (no scheduler, no lease repossessor), no block
registration, no telemetry. slotd is the binary in $SLOTD_BINARY (default
build/slotd), on a free port (--port 0; it prints the port it took), with
the extra arguments of $SLOTD_ARGS (e.g. "--store redis://127.0.0.1:6379"
to run the tests against slotd on Redis), its access log (one line a request) in a file the client tests read.

The real Prefect client (test_client.py) runs in this process: its settings
are made here, before anything imports `prefect`, from nothing of the
machine's (no PREFECT_ variable, no profile): PREFECT_HOME and the profiles
file in a temporary folder of the session.
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

pytest.register_assert_rewrite("harness")

from harness import Server  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:")
# Both servers drop a connection idle for 5 s; a client that reused one just
# then would read a reset. Idle connections are given up well before.
KEEPALIVE = httpx.Limits(keepalive_expiry=1.0)


def _isolate_client_settings() -> None:
    for key in [k for k in os.environ if k.startswith("PREFECT")]:
        del os.environ[key]
    home = Path(tempfile.mkdtemp(prefix="slotd-client-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_PROFILES_PATH"] = str(home / "profiles.toml")


if "prefect" in sys.modules:
    raise RuntimeError("prefect was imported before the client's settings were isolated")
_isolate_client_settings()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_environment() -> dict[str, str]:
    """The environment without any PREFECT_ setting of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT")}


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {STARTUP_SECONDS} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def prefect_server():
    home = Path(tempfile.mkdtemp(prefix="slotd-prefect-"))
    port = _free_port()
    env = _clean_environment() | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.memory",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
        "PREFECT__SERVER_WEBSERVER_ONLY": "1",  # no background services
        "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
    }
    log = home / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(url, process, log)
        with httpx.Client(timeout=30, limits=KEEPALIVE) as client:
            yield Server("prefect", url, client)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def slotd_server():
    binary = os.environ.get("SLOTD_BINARY", str(REPO / "build" / "slotd"))
    if not os.access(binary, os.X_OK):
        pytest.exit(f"no slotd binary at {binary} (build it, or set SLOTD_BINARY)", returncode=2)
    log = Path(tempfile.mkdtemp(prefix="slotd-")) / "access.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [binary, "--port", "0", *shlex.split(os.environ.get("SLOTD_ARGS", ""))],
            env=_clean_environment(),
            stdout=subprocess.PIPE, stderr=err, text=True,
        )
    line = process.stdout.readline().strip()  # "slotd listening on http://HOST:PORT/api"
    prefix = "slotd listening on "
    if not line.startswith(prefix):
        _stop(process)
        raise RuntimeError(f"slotd did not start: {line!r} {log.read_text()}")
    try:
        with httpx.Client(timeout=30, limits=KEEPALIVE) as client:
            yield Server("slotd", line[len(prefix):], client, log)
    finally:
        _stop(process)
        text = log.read_text(errors="replace")
        shutil.rmtree(log.parent, ignore_errors=True)
    # A sanitizer build of slotd (SLOTD_BINARY=build-asan/slotd) reports on
    # stderr, which is this log.
    reports = [line for line in text.splitlines() if SANITIZER_REPORT.search(line)]
    assert not reports, "slotd's sanitizer reported:\n" + "\n".join(reports[:20])


@pytest.fixture(scope="session")
def servers(prefect_server, slotd_server):
    return prefect_server, slotd_server
