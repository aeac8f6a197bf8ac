"""Sign-in limits hold across server processes (security issue: limits multiplied by workers).

Two real `orgdesk serve --workers 1` processes on two ports share one SQLite file and no Redis
(the demo's configuration); requests alternate between them over real HTTP, from several
loopback source addresses (the throttle keys on REMOTE_ADDR). Every configured number must be
enforced exactly: the failure counters are shared by the processes and no increment is lost.

The servers use their own SQLite file under a temporary directory, whatever database the test
run itself uses. Also here: the database counter itself, hit from concurrent threads.
"""

import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.process_support import process_env

pytestmark = pytest.mark.slow

PASSWORD = "Tangerine-Harbour-4417"
WRONG = "not-the-password-at-all"
PAIR_LIMIT = settings.ORGDESK_THROTTLE["per_pair"]  # 5
IDENTIFIER_LIMIT = settings.ORGDESK_THROTTLE["per_identifier"]  # 20
PAIR_ACCOUNT = "pair.target@throttle.test"
SPREAD_ACCOUNT = "spread.target@throttle.test"
LOGIN = "/portal/login"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVER_START_SECONDS = 30
REQUEST_TIMEOUT = 15


def _env(root: Path) -> dict[str, str]:
    # The demo: no Redis, the database is the only shared store.
    return process_env(root, ORGDESK_REDIS_URL="")


def _orgdesk(env: dict[str, str], root: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orgdesk.cli", *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"orgdesk {args[0]}: {result.stdout}\n{result.stderr}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


def _wait_healthy(proc: subprocess.Popen, port: int, errors: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        assert proc.poll() is None, errors.read_text()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not answer /healthz:\n{errors.read_text()}")


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A freshly migrated SQLite file (the demo's database) and the environment naming it."""
    root = tmp_path_factory.mktemp("throttle-processes")
    env = _env(root)
    _orgdesk(env, root, "migrate", "-v", "0")
    with sqlite3.connect(root / "orgdesk.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"orgdesk_cache", "security_throttlecounter"} <= tables  # made by a plain migrate
    return root, env


@pytest.fixture(scope="module")
def servers(sqlite_file: tuple[Path, dict[str, str]]) -> Iterator[list[int]]:
    """Two server processes on two ports over one freshly migrated SQLite file."""
    root, env = sqlite_file
    for email in (PAIR_ACCOUNT, SPREAD_ACCOUNT):
        _orgdesk(env, root, "createadmin", "--email", email, "--password", PASSWORD, "--brand")
    serve = [sys.executable, "-m", "orgdesk.cli", "serve", "--workers", "1", "--port"]
    procs: list[subprocess.Popen] = []
    ports: list[int] = []
    try:
        for n in range(2):
            port = _free_port()
            errors = root / f"serve-{n}.err"
            with (root / f"serve-{n}.out").open("w") as out, errors.open("w") as err:
                procs.append(
                    subprocess.Popen(
                        [*serve, str(port)],
                        env=env,
                        cwd=root,
                        stdout=out,
                        stderr=err,
                        start_new_session=True,  # its own process group: gunicorn and worker
                    )
                )
            ports.append(port)
        for n, (proc, port) in enumerate(zip(procs, ports, strict=True)):
            _wait_healthy(proc, port, root / f"serve-{n}.err")
        yield ports
    finally:
        for proc in procs:
            _stop(proc)
    for n in range(2):
        assert "Traceback" not in (root / f"serve-{n}.err").read_text()


class Browser:
    """A client from one loopback address: its own cookies (CSRF), no known-device cookie."""

    def __init__(self, source_ip: str) -> None:
        assert source_ip.startswith("127.0.0.")
        self.source_ip = source_ip
        self.cookies: dict[str, str] = {}

    def _request(self, port: int, method: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=REQUEST_TIMEOUT, source_address=(self.source_ip, 0)
        )
        headers = {"Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, LOGIN, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def sign_in(self, port: int, identifier: str, password: str) -> int:
        status, page = self._request(port, "GET")
        assert status == 200, page
        token = CSRF_INPUT.search(page)
        assert token, page
        form = {"csrfmiddlewaretoken": token[1], "identifier": identifier, "password": password}
        status, page = self._request(port, "POST", urllib.parse.urlencode(form))
        if status == 401:
            assert "The identifier or password is not correct." in page
        elif status == 429:
            assert "Too many failed attempts." in page
        return status


def test_pair_limit_holds_across_processes(servers: list[int]) -> None:
    """Wrong passwords for one account from one address, alternating servers: the limit of 5
    is 5, not 5 per process."""
    browser = Browser("127.0.0.1")
    statuses = [
        browser.sign_in(servers[attempt % 2], PAIR_ACCOUNT, WRONG)
        for attempt in range(PAIR_LIMIT + 2)
    ]
    assert statuses == [401] * PAIR_LIMIT + [429, 429]
    # Throttled is throttled on either process, even with the right password.
    assert browser.sign_in(servers[0], PAIR_ACCOUNT, PASSWORD) == 429
    assert browser.sign_in(servers[1], PAIR_ACCOUNT, PASSWORD) == 429


def test_identifier_limit_holds_across_processes(servers: list[int]) -> None:
    """20 wrong passwords for one account from 5 addresses (4 each, under the pair limit) and
    both servers: the right password from a sixth address, a new browser, is refused."""
    per_address = PAIR_LIMIT - 1
    addresses = [f"127.0.0.{n}" for n in range(2, 2 + IDENTIFIER_LIMIT // per_address)]
    assert len(addresses) * per_address == IDENTIFIER_LIMIT
    browsers = [Browser(ip) for ip in addresses]
    statuses = []
    for attempt in range(IDENTIFIER_LIMIT):  # round robin over addresses and servers
        browser = browsers[attempt % len(browsers)]
        statuses.append(browser.sign_in(servers[attempt % 2], SPREAD_ACCOUNT, WRONG))
    assert statuses == [401] * IDENTIFIER_LIMIT  # no limit reached early

    for port in servers:
        newcomer = Browser(f"127.0.0.{2 + len(addresses)}")
        assert newcomer.sign_in(port, SPREAD_ACCOUNT, PASSWORD) == 429
        assert "sessionid" not in newcomer.cookies


# ---- the database counter under concurrency -----------------------------------------------


@pytest.mark.django_db
def test_test_database_has_the_shared_tables() -> None:
    tables = set(connection.introspection.table_names())
    assert {"orgdesk_cache", "security_throttlecounter"} <= tables


# Run in a process of its own over the SQLite file: the same helper as the in-process test.
HAMMER = (
    "import django; django.setup(); "
    "from tests.security.test_throttle_processes import _hammer; "
    "print(*_hammer(3, 15, 'test-concurrency'))"
)


def _hammer(threads_n: int, hits: int, key: str) -> tuple[list[str], int | None]:
    """Concurrent hits on one key from several threads, each with its own connection."""
    from django.db import connections

    from orgdesk.security.throttle import DatabaseCounters

    counters = DatabaseCounters()
    failures: list[str] = []
    start = threading.Barrier(threads_n)

    def hammer() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(hits):
                counters.hit([key], 60)
        except BaseException as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hammer) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        return failures, counters.get([key]).get(key)
    finally:
        counters.delete([key])


@pytest.mark.django_db(transaction=True)
def test_database_counter_loses_no_increment_between_threads() -> None:
    """Concurrent hits on one key from several connections: every one counts (PostgreSQL's
    upsert takes a row lock)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: the test database is in memory; see the file-database test below")
    key = f"test-concurrency:{os.getpid()}:{time.monotonic_ns()}"
    assert _hammer(4, 25, key) == ([], 100)


def test_database_counter_loses_no_increment_between_threads_on_a_sqlite_file(
    sqlite_file: tuple[Path, dict[str, str]],
) -> None:
    """The same on the demo's SQLite file, in its own process: the writer lock serialises the
    statements and the busy timeout makes the others wait. (Not on the test run's in-memory
    database, whose shared-cache table locks answer "table is locked" at once instead of
    waiting: no configured Orgdesk database is in memory.)"""
    root, env = sqlite_file
    result = subprocess.run(
        [sys.executable, "-c", HAMMER],
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "orgdesk.settings",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] 45", result.stdout + result.stderr


@pytest.mark.django_db
def test_database_counter_window(monkeypatch: Any) -> None:
    from orgdesk.security import throttle
    from orgdesk.security.models import ThrottleCounter

    counters = throttle.DatabaseCounters()
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    counters.hit(["a", "b"], 60)
    now[0] += 30
    counters.hit(["a", "a"], 60)  # one hit a key, however often it is named
    assert counters.get(["a", "b", "c"]) == {"a": 2, "b": 1}
    now[0] += 30  # the window started at the first hit: both expired now
    assert counters.get(["a", "b"]) == {}
    counters.hit(["a"], 60)  # a new window
    assert counters.get(["a", "b"]) == {"a": 1}
    assert ThrottleCounter.objects.get(key="a").expires_at == now[0] + 60
    counters.purge()
    assert set(ThrottleCounter.objects.values_list("key", flat=True)) == {"a"}
    counters.delete(["a"])
    assert counters.get(["a"]) == {}


@pytest.mark.django_db
def test_store_is_never_a_per_process_cache(settings: Any) -> None:
    from orgdesk.security.throttle import DatabaseCounters, counters

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert isinstance(counters(), DatabaseCounters)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "x"}
    }
    assert isinstance(counters(), DatabaseCounters)


def test_redis_counters_share_the_cache_keys() -> None:
    if not os.environ.get("ORGDESK_REDIS_URL"):
        pytest.skip("ORGDESK_REDIS_URL not set (make test sets it)")
    from django.core.cache import cache

    from orgdesk.security.throttle import RedisCounters, counters

    store = counters()
    assert isinstance(store, RedisCounters)
    key = f"test-redis-counter:{os.getpid()}:{time.monotonic_ns()}"
    try:
        for _ in range(3):
            store.hit([key], 60)
        assert store.get([key, f"{key}:other"]) == {key: 3}
        assert cache.get(key) == 3  # the cache's own key name and encoding
        assert 0 < store.client.ttl(cache.make_and_validate_key(key)) <= 60  # window kept
        cache.delete(key)  # how tests/portal_support.py forgets counters
        assert store.get([key]) == {}
    finally:
        store.delete([key])
