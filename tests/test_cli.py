"""The `orgdesk` command line, run as a person would: a child process per command.

Every test uses its own SQLite file under tmp_path, whatever ORGDESK_DATABASE_URL the test
run itself uses.
"""

import json
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

from tests.process_support import process_env

pytestmark = pytest.mark.slow

STRONG = "Tangerine-Harbour-4417"
ROLES = ("admin", "organization-manager", "account-recovery-assistant")


# ---- helpers ---------------------------------------------------------------------------------
def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return process_env(tmp_path, COLUMNS="300", **overrides)  # argparse usage on one line


def orgdesk(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orgdesk.cli", *args],
        env=env,
        cwd=Path(env["ORGDESK_VAR_DIR"]).parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def fails_with_one_line(result: subprocess.CompletedProcess, command: str, needle: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"orgdesk {command}: "), lines[0]
    assert needle in lines[0], lines[0]
    assert result.stdout == ""


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def count(db: Path, table: str) -> int:
    return query(db, f"SELECT count(*) FROM {table}")[0][0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- bad input -------------------------------------------------------------------------------
# (arguments, program named in usage and error, error text). The createadmin combination
# checks run after parsing, so they print the top-level usage.
ARGPARSE_ERRORS = [
    (
        ["generate", "--accounts", "abc", "--orgs", "1"],
        "orgdesk generate",
        "argument --accounts: 'abc' is not a whole number",
    ),
    (
        ["generate", "--accounts", "10"],
        "orgdesk generate",
        "the following arguments are required: --orgs",
    ),
    (["serve", "--port", "70000"], "orgdesk serve", "port 70000 is outside 1-65535"),
    (
        ["createadmin", "--email", "a@x.test", "--password", STRONG, "--org", "Acme"],
        "orgdesk",
        "--org needs --role",
    ),
    (
        ["createadmin", "--email", "a@x.test", "--password", STRONG, "--brand", "--role", "admin"],
        "orgdesk",
        "--brand takes neither --role nor --home",
    ),
    (["frobnicate"], "orgdesk", "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("args", "prog", "needle"), ARGPARSE_ERRORS)
def test_argument_errors_print_usage_and_one_error(
    tmp_path: Path, args: list[str], prog: str, needle: str
) -> None:
    result = orgdesk(_env(tmp_path), *args)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2
    usage, error = result.stderr.splitlines()
    assert usage.startswith(f"usage: {prog} ")
    assert error.startswith(f"{prog}: error: ") and needle in error, error
    assert result.stdout == ""


PLAN_ERRORS = [
    (["--accounts", "-5", "--orgs", "1"], "--accounts must be at least 1 (got -5)"),
    (["--accounts", "10", "--orgs", "3", "--depth", "0"], "--depth must be between 1 and 12"),
    (["--orgs", "10", "--accounts", "5"], "--orgs (10) cannot exceed --accounts (5)"),
    (["--accounts", "50", "--orgs", "4", "--trees", "2"], "need at least 6"),
    (["--accounts", "50", "--orgs", "9", "--seed", "-3"], "--seed must be"),
    (["--accounts", "50", "--orgs", "9", "--anchor", "next week"], "is not an ISO date"),
]


@pytest.mark.parametrize(("args", "needle"), PLAN_ERRORS)
def test_impossible_generate_arguments(tmp_path: Path, args: list[str], needle: str) -> None:
    env = _env(tmp_path)
    fails_with_one_line(orgdesk(env, "generate", *args), "generate", needle)
    assert (
        not (tmp_path / "orgdesk.sqlite3").exists()
        or count(tmp_path / "orgdesk.sqlite3", "sqlite_master") == 0
    )


CONFIG_ERRORS = [
    ({"ORGDESK_DATABASE_URL": "nonsense"}, "ORGDESK_DATABASE_URL='nonsense': expected a SQLite"),
    (
        {"ORGDESK_DATABASE_URL": "postgres://u@h:notaport/db"},
        "ORGDESK_DATABASE_URL='postgres://u@h:notaport/db': expected a port number",
    ),
    (
        {"ORGDESK_DATABASE_URL": "mysql://u@h/db"},
        "'mysql://u@h/db': expected a SQLite or PostgreSQL",
    ),
    ({"ORGDESK_DATABASE_URL": "sqlite://"}, "expected a file path for SQLite"),
    (
        {"ORGDESK_DATABASE_URL": "postgres://postgres@127.0.0.1:1/orgdesk"},
        "cannot reach the database",
    ),
    ({"ORGDESK_DEBUG": "maybe"}, "ORGDESK_DEBUG='maybe': expected true or false"),
    (
        {"ORGDESK_SESSION_IDLE_MINUTES": "abc"},
        "ORGDESK_SESSION_IDLE_MINUTES='abc': expected a whole number from 5 to 1440",
    ),
    ({"ORGDESK_EMAIL_URL": "pigeon://loft"}, "ORGDESK_EMAIL_URL"),
    ({"ORGDESK_ENV": "production"}, "ORGDESK_SECRET_KEY is not set: expected at least 32"),
    (
        {"ORGDESK_ENV": "production", "ORGDESK_SECRET_KEY": "short"},
        "ORGDESK_SECRET_KEY=<5 characters, not shown>: expected at least 32 random characters",
    ),
]


@pytest.mark.parametrize("command", ["migrate", "generate"])
@pytest.mark.parametrize(("overrides", "needle"), CONFIG_ERRORS)
def test_bad_configuration_is_one_line(
    tmp_path: Path, command: str, overrides: dict[str, str], needle: str
) -> None:
    args = ["--accounts", "10", "--orgs", "1", "--depth", "1", "--trees", "1"]
    result = orgdesk(_env(tmp_path, **overrides), command, *(args if command == "generate" else []))
    fails_with_one_line(result, command, needle)


def test_settings_module_refuses_production_without_a_secret_key(tmp_path: Path) -> None:
    env = _env(tmp_path, ORGDESK_ENV="production", DJANGO_SETTINGS_MODULE="orgdesk.settings")
    # Outside the CLI (gunicorn, manage.py) the settings module itself refuses to load: one
    # line, no traceback, exit status 2.
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "orgdesk: ORGDESK_SECRET_KEY is not set: expected at least 32 random characters when "
        "ORGDESK_ENV=production (python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\n"
    )
    # With a long enough key, production settings load (the error is about the arguments).
    env = _env(tmp_path, ORGDESK_ENV="production", ORGDESK_SECRET_KEY="k" * 50)
    fails_with_one_line(
        orgdesk(env, "generate", "--accounts", "0", "--orgs", "1"),
        "generate",
        "--accounts must be at least 1",
    )


def test_generate_before_migrate(tmp_path: Path) -> None:
    result = orgdesk(
        _env(tmp_path),
        "generate",
        "--accounts",
        "20",
        "--orgs",
        "3",
        "--depth",
        "3",
        "--trees",
        "1",
    )
    fails_with_one_line(result, "generate", "run `orgdesk migrate` first")
    assert count(tmp_path / "orgdesk.sqlite3", "sqlite_master") == 0


# ---- end to end ------------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[dict[str, Any]]:
    """Stops the server a test started (its own process group) if the test did not."""
    state: dict[str, Any] = {}
    yield state
    proc = state.get("proc")
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_migrate_generate_createadmin_serve(tmp_path: Path, server: dict[str, Any]) -> None:
    env = _env(tmp_path)
    db = tmp_path / "orgdesk.sqlite3"
    ok(orgdesk(env, "migrate", "-v", "0"))
    assert count(db, "access_orgrole") >= 3  # built-ins upserted after migrate

    result = ok(
        orgdesk(
            env,
            "generate",
            "--accounts",
            "200",
            "--orgs",
            "9",
            "--trees",
            "1",
            "--seed",
            "3",
            "--quiet",
            "--json",
        )
    )
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1
    report = json.loads(result.stdout)
    assert report["accounts"] == 200 and report["organizations"] == 9
    assert report["rows"]["accounts_account"] == count(db, "accounts_account") == 200
    assert count(db, "organizations_organization") == 9
    [root_route] = report["trees"]

    orgs = {
        row[0]: {"id": row[0], "name": row[1], "route": row[2], "path": row[3], "depth": row[4]}
        for row in query(db, "SELECT id, name, route, path, depth FROM organizations_organization")
    }
    [root] = [o for o in orgs.values() if o["depth"] == 0]
    assert root["route"] == root_route
    child = min((o for o in orgs.values() if o["depth"] == 1), key=lambda o: o["path"])
    # Two organizations in different branches: neither is an ancestor of the other.
    target, home = next(
        (a, b)
        for a in sorted(orgs.values(), key=lambda o: o["path"])
        for b in sorted(orgs.values(), key=lambda o: o["path"])
        if not a["path"].startswith(b["path"]) and not b["path"].startswith(a["path"])
    )

    def account(email: str) -> dict[str, Any]:
        rows = query(
            db,
            "SELECT id, organization_id, store, is_staff, password "
            "FROM accounts_account WHERE email = ?",
            email,
        )
        assert len(rows) == 1, rows
        return dict(
            zip(("id", "organization_id", "store", "is_staff", "password"), rows[0], strict=True)
        )

    def grants(account_id: str) -> list[tuple[str, str]]:
        return query(
            db,
            "SELECT ra.organization_id, r.slug FROM access_roleassignment ra "
            "JOIN access_orgrole r ON r.id = ra.role_id WHERE ra.account_id = ?",
            account_id,
        )

    brand_args = ["createadmin", "--email", "b@x.test", "--password", STRONG, "--brand"]
    result = ok(orgdesk(env, *brand_args))
    assert result.stdout == "created b@x.test (brand admin)\n"
    brand = account("b@x.test")
    assert brand["organization_id"] is None and brand["store"] is None and brand["is_staff"]
    assert brand["password"].startswith("argon2$")
    assert Argon2PasswordHasher().verify(STRONG, brand["password"])

    org_ref = f"{root_route} / {child['name']}"
    admin_args = [
        "createadmin",
        "--email",
        "a@x.test",
        "--password",
        STRONG,
        "--org",
        org_ref,
        "--role",
        "admin",
    ]
    result = ok(orgdesk(env, *admin_args))
    assert result.stdout == f"created a@x.test (admin on {org_ref})\n"
    admin = account("a@x.test")
    assert admin["organization_id"] == child["id"] and admin["store"] == root["id"]
    assert grants(admin["id"]) == [(child["id"], "admin")]

    cross_args = [
        "createadmin",
        "--email",
        "c@x.test",
        "--password",
        STRONG,
        "--org",
        target["route"],
        "--role",
        "organization-manager",
        "--home",
        home["route"],
    ]
    ok(orgdesk(env, *cross_args))
    cross = account("c@x.test")
    assert cross["organization_id"] == home["id"]
    assert grants(cross["id"]) == [(target["id"], "organization-manager")]

    accounts_before = count(db, "accounts_account")
    grants_before = count(db, "access_roleassignment")
    assert accounts_before == 203
    for args, email in (
        (brand_args, "b@x.test"),
        (admin_args, "a@x.test"),
        (cross_args, "c@x.test"),
    ):
        result = ok(orgdesk(env, *args))
        assert result.stdout.startswith(f"updated {email} ")
    assert count(db, "accounts_account") == accounts_before
    assert count(db, "access_roleassignment") == grants_before

    refusals = [
        (["--org", org_ref, "--role", "janitor"], "no role 'janitor'"),
        (["--org", f"{root_route} / Atlantis", "--role", "admin"], "No organization"),
        (["--org", "Nowhere Inc", "--role", "admin"], "No organization"),
    ]
    for extra, needle in refusals:
        result = orgdesk(env, "createadmin", "--email", "d@x.test", "--password", STRONG, *extra)
        fails_with_one_line(result, "createadmin", needle)
    result = orgdesk(
        env,
        "createadmin",
        "--email",
        "d@x.test",
        "--password",
        "password",
        "--org",
        org_ref,
        "--role",
        "admin",
    )
    fails_with_one_line(result, "createadmin", "password rejected")
    assert count(db, "accounts_account") == accounts_before

    # serve: gunicorn in the background until /healthz answers.
    port = free_port()
    out = (tmp_path / "serve.out").open("w")
    err = (tmp_path / "serve.err").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "orgdesk.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=tmp_path,
        stdout=out,
        stderr=err,
        start_new_session=True,
    )
    server["proc"] = proc
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "serve.err").read_text()
        try:
            status, body = _get(f"{base}/healthz")
        except OSError:
            time.sleep(0.3)
            continue
        if status == 200:
            break
        time.sleep(0.3)
    assert status == 200, (tmp_path / "serve.err").read_text()
    assert json.loads(body) == {"status": "ok", "database": "sqlite"}
    status, body = _get(f"{base}/")
    assert status == 200
    assert "<dd>" not in body  # no store counts for anonymous visitors

    proc.terminate()
    assert proc.wait(timeout=20) == 0
    out.close()
    err.close()
    assert "Traceback" not in (tmp_path / "serve.err").read_text()


# ---- demo ------------------------------------------------------------------------------------
SIGNIN = re.compile(r"^  (\S+@\S+)\s+(\S+)\s+(.+)$")


def _signins(stdout: str) -> dict[str, tuple[str, str]]:
    return {m[1]: (m[2], m[3]) for m in map(SIGNIN.match, stdout.splitlines()) if m}


def test_demo_twice_is_idempotent(tmp_path: Path) -> None:
    env = _env(tmp_path)
    db = tmp_path / "orgdesk.sqlite3"
    signins_file = tmp_path / "var" / "demo-signins.json"

    first = ok(orgdesk(env, "demo", "--no-serve", "--accounts", "300", timeout=180))
    assert "Generating demo data: 300 accounts" in first.stdout
    accounts, grants = count(db, "accounts_account"), count(db, "access_roleassignment")
    saved_first = json.loads(signins_file.read_text())
    assert stat.S_IMODE(signins_file.stat().st_mode) == 0o600

    second = ok(orgdesk(env, "demo", "--no-serve", "--accounts", "300", timeout=180))
    assert "Generating" not in second.stdout
    assert count(db, "accounts_account") == accounts
    assert count(db, "access_roleassignment") == grants
    saved_second = json.loads(signins_file.read_text())

    printed = _signins(second.stdout)
    assert printed == _signins(first.stdout)
    passwords = {s["email"]: s["password"] for s in saved_first}
    assert passwords == {s["email"]: s["password"] for s in saved_second}
    assert passwords == {email: password for email, (password, _what) in printed.items()}
    assert accounts == 300 + len(passwords)  # one account per sign-in, no duplicates

    whats = [what for _password, what in printed.values()]
    assert "brand admin (Admin Console)" in whats
    for role in ROLES:
        assert any(what.startswith(f"{role} on ") for what in whats), (role, whats)
    assert sum("cross-organization grant" in what for what in whats) == 1

    # The printed passwords are the ones stored for those accounts.
    hasher = Argon2PasswordHasher()
    for email, password in passwords.items():
        [(encoded,)] = query(db, "SELECT password FROM accounts_account WHERE email = ?", email)
        assert hasher.verify(password, encoded), email
