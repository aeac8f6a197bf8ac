"""Benchmark what an admin waits for in the browser: Chromium (Playwright, Debian's
/usr/bin/chromium) against the production server (`orgdesk serve --workers 2`, with an
`orgdesk worker` beside it as in production) on the benchmark database.

    python bench/browser.py --database-url postgres://postgres@127.0.0.1:5432/orgdesk_bench \
        [--runs 7]

Needs a database filled by `orgdesk generate --accounts 1000000 …`; the admin is the one of
bench/accounts_list.py (its idempotent setup: an Admin of a region of about 100,000 accounts).
Each case is timed by the browser's own clock (Navigation Timing, htmx's events), from the
click to what the person then sees:

- sign-in: "Sign in" clicked (a new browser context: no cookies) → the accounts list loaded,
  through the redirects;
- disable, enable: the dialog's button clicked → the account's page back, with its notice;
- password reset link: "Send link" clicked → the page back with the notice that it went out;
- search: Enter pressed after two letters → the matches settled in the list (typing without
  Enter waits for a 400 ms pause first), and the fragment request alone (sent to last byte).

A warm-up run of each comes first (the browser's cache holds the assets after it, as after
any first visit). Prints JSON, also written to bench/results/browser-<database>.json.
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("ORGDESK_E2E_CHROMIUM", "/usr/bin/chromium")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("ORGDESK_DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=7, help="at most 11")
    parser.add_argument("--target", type=int, default=100_000, help="accounts_list's region size")
    return parser.parse_args()


ARGS = _args()
if ARGS.database_url:
    os.environ["ORGDESK_DATABASE_URL"] = ARGS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
# Playwright's sync API runs an event loop in this thread; the ORM calls here are the
# benchmark's own setup between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import accounts_list  # noqa: E402

from orgdesk.accounts.models import Account  # noqa: E402
from orgdesk.organizations.models import Organization  # noqa: E402
from orgdesk.portal.models import AdminPreference  # noqa: E402

SERVER_START_SECONDS = 60
SEARCHES = ("ma", "jo", "an", "el", "ch", "sa", "li", "da", "ro", "ka", "mi", "be")
NOTICE = ".toast"  # where the portal shows what an action did


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(env: dict[str, str], port: int, log: Path) -> list[subprocess.Popen]:
    """The server and a worker, each in its own process group."""
    procs = []
    for args in (["serve", "--workers", "2", "--port", str(port)], ["worker", "-v", "0"]):
        with log.open("a") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "orgdesk.cli", *args],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return procs
        except OSError:
            time.sleep(0.3)
    stop(procs)
    sys.exit(f"the server did not answer /healthz:\n{log.read_text()}")


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def pick_target(region: Organization) -> Account:
    """An enabled customer of the region with an email and no role (the actions bench's)."""
    return (
        Account.objects.filter(
            organization__in=region.subtree().values("id"),
            status=Account.Status.ENABLED,
            is_staff=False,
            role_assignments__isnull=True,
        )
        .exclude(email="")
        .filter(email_set_by_admin_at__isnull=True)
        .order_by("created")
        .first()
    )


# The browser's own clock, not the benchmark's: Playwright's expect() polls (after 100, 250,
# 500 ms…), which would add its waits to what is measured.
LOADED = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def sign_in(page: Page, admin: Account) -> float:
    """From the form's submission (the navigation's start, redirects included) to the
    accounts list's load event."""
    page.goto("/portal/login")
    page.get_by_label("Email, username or phone").fill(admin.email)
    page.get_by_label("Password").fill(accounts_list.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    return float(page.evaluate(LOADED))


def in_dialog(page: Page, opener: str, dialog: str, submit: str, notice: str) -> float:
    """From the dialog's submission to the load event of the page it comes back to."""
    page.get_by_role("button", name=opener).click()
    box = page.get_by_role("dialog", name=dialog)
    expect(box).to_be_visible()
    with page.expect_navigation():
        box.get_by_role("button", name=submit).click()
    page.wait_for_load_state("load")
    expect(page.locator(NOTICE).filter(has_text=notice).first).to_be_visible()
    return float(page.evaluate(LOADED))


def search(page: Page, url: str, text: str) -> tuple[float, float]:
    """From Enter in the search box to the matches settled in the list (htmx:afterSettle),
    and the fragment request alone (Resource Timing: sent to last byte)."""
    page.goto(f"{url}?clear=1")  # not the remembered view (the last run's search)
    expect(page.locator("#results tbody tr").first).to_be_visible()
    assert f"q={text}" not in page.url, "the list reopened on this search already"
    box = page.get_by_label("Search accounts")
    box.fill(text)
    page.evaluate(
        """() => {
            window.__settled = null;
            document.addEventListener("htmx:afterSettle",
                () => { window.__settled ??= performance.now(); });
            document.getElementById("q").addEventListener("keydown",
                () => { window.__pressed = performance.now(); }, {once: true});
        }"""
    )
    # Enter submits at once; without it the list waits for a 400 ms pause in typing.
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(text)}(&|$)"))
    # (polled from here, the page's CSP allows no wait_for_function; the times are the page's)
    for _ in range(200):
        if page.evaluate("window.__settled !== null"):
            break
        page.wait_for_timeout(10)
    shown = float(page.evaluate("window.__settled - window.__pressed"))
    request = page.evaluate(
        """(text) => performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("q=" + text))
            .map((e) => e.responseEnd - e.startTime)[0] ?? null""",
        text,
    )
    page.evaluate("performance.clearResourceTimings()")
    return shown, float(request)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "max_ms": round(max(samples), 1),
    }


def main() -> None:
    region, admin, _brand = accounts_list.setup(ARGS.target)
    target = pick_target(region)
    if target is None:
        sys.exit("no enabled customer with an email in the benchmark region")
    # The list's page size is the admin's preference, which accounts_list.py leaves at its
    # last size (100 rows): the page the browser gets is set here, 25 rows (the default).
    AdminPreference.objects.update_or_create(account=admin, defaults={"page_size": 25})
    overview = f"/portal/{region.key}/accounts/{target.pk}"
    name = target.get_full_name() or target.primary_identifier
    connection.close()  # the servers' connections from here on

    root = Path(tempfile.mkdtemp(prefix="orgdesk-browser-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        ORGDESK_VAR_DIR=str(root),
        ORGDESK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ORGDESK_ALLOWED_HOSTS="127.0.0.1",  # accounts_list sets the test client's for itself
    )
    procs = start(env, port, root / "server.log")
    samples: dict[str, list[float]] = {
        k: []
        for k in ("sign_in", "disable", "enable", "password_reset", "search", "search_request")
    }
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for run in range(ARGS.runs + 1):  # the first is the warm-up
                context = browser.new_context(
                    base_url=f"http://127.0.0.1:{port}", viewport={"width": 1280, "height": 860}
                )
                page = context.new_page()
                found = {"sign_in": sign_in(page, admin)}
                page.goto(overview)
                found["disable"] = in_dialog(
                    page,
                    "Disable account",
                    "Disable this account?",
                    "Disable account",
                    f"{name} is disabled",
                )
                found["enable"] = in_dialog(
                    page, "Enable account", "Enable this account?", "Enable account", "enabled"
                )
                found["password_reset"] = in_dialog(
                    page,
                    "Password reset",
                    "Send a password reset link?",
                    "Send link",
                    target.email,
                )
                text = SEARCHES[run % len(SEARCHES)]
                found["search"], found["search_request"] = search(
                    page, f"/portal/{region.key}/accounts", text
                )
                context.close()
                if run:
                    for key, value in found.items():
                        samples[key].append(value)
                print(f"run {run}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in found.items()))
            browser.close()
    finally:
        stop(procs)
    report = {
        "benchmark": "browser",
        "database": connection.vendor,
        "server": "orgdesk serve --workers 2, with orgdesk worker",
        "browser": CHROMIUM,
        "runs": ARGS.runs,
        "cases": {key: summary(values) for key, values in samples.items() if values},
    }
    out = Path(__file__).parent / "results" / f"browser-{connection.vendor}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
