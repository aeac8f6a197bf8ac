"""Benchmark the portal's write actions at scale: server time of the real views (URL routing,
session, CSRF, middleware, tenancy, the action, its event, the redirect) through Django's test
client, for a delegated organization admin and for a brand admin, plus the admin sign-in.

    python bench/actions.py --database-url postgres://postgres@127.0.0.1:5432/orgdesk_bench \
        [--runs 15]

Needs a database filled by `orgdesk generate --accounts 1000000 …`; the admins are those of
bench/accounts_list.py (its idempotent setup: a region of about 100,000 accounts, an Admin
there and a brand admin). Each run POSTs, with the CSRF token of the page the form is on:
disable, enable, password reset link, add to group, remove from group, assign role, revoke
role; every change is undone by the next action, so the database keeps only what the actions
themselves write (events, notifications, the reset links). Then the sign-in: the login form's
POST (password check, throttle, session, event) for the two admins, who have no second
factor, next to one password hash verification timed alone, so "beyond the hash" can be read
off; and the two steps of an admin with an authenticator app (bench.mfa@bench.example, made
once): the password POST, then the code POST (TOTP check with its replay guard, session,
event), each timed.

For each case: p50/p95 of the POST, the number of SQL statements and their summed execution
time (connection.execute_wrapper), side by side, and p50 of the page the browser then loads
(the redirect target). Emails queued by the runs are then delivered as the worker would
(`db_worker --batch`) and timed separately. Prints JSON, also written to
bench/results/actions-<database>.json.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("ORGDESK_DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=int, default=100_000, help="accounts_list's region size")
    parser.add_argument("--out", default="", help="result file name (default: by database)")
    return parser.parse_args()


ARGS = _args()
if ARGS.database_url:
    os.environ["ORGDESK_DATABASE_URL"] = ARGS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
os.environ.setdefault("ORGDESK_ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import check_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import accounts_list  # noqa: E402

from orgdesk.access.actor import Actor  # noqa: E402
from orgdesk.access.models import OrgRole, RoleAssignment  # noqa: E402
from orgdesk.access.protection import may_grant  # noqa: E402
from orgdesk.accounts.groups import groups_open_to  # noqa: E402
from orgdesk.accounts.models import Account, Group, GroupMembership  # noqa: E402
from orgdesk.accounts.passwords import latest_link_id  # noqa: E402
from orgdesk.core.runtime import settle_after_startup  # noqa: E402
from orgdesk.notifications.models import Notification  # noqa: E402
from orgdesk.organizations.models import Organization  # noqa: E402
from orgdesk.security.mfa import has_second_factor, new_totp_secret  # noqa: E402
from orgdesk.security.models import Authenticator  # noqa: E402
from orgdesk.testing.auth import portal_login  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SqlTimer:
    """Counts the statements of a request and sums their execution time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class Sample:
    def __init__(self) -> None:
        self.ms: list[float] = []
        self.queries: list[int] = []
        self.sql_ms: list[float] = []
        self.after_ms: list[float] = []

    def summary(self) -> dict[str, Any]:
        return {
            "p50_ms": round(statistics.median(self.ms), 1),
            "p95_ms": round(p95(self.ms), 1),
            "max_ms": round(max(self.ms), 1),
            "queries": round(statistics.median(self.queries)),
            "sql_ms_p50": round(statistics.median(self.sql_ms), 1),
            "page_after_p50_ms": round(statistics.median(self.after_ms), 1)
            if self.after_ms
            else None,
        }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def post(
    client: Client, url: str, data: dict[str, Any], sample: Sample | None, *, follow: bool = True
) -> Any:
    """POST `url` (timed, with its SQL), then GET the page it redirects to (timed apart)."""
    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.post(url, data)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 302:
        sys.exit(f"POST {url}: HTTP {response.status_code}")
    if sample is not None:
        sample.ms.append(elapsed)
        sample.queries.append(timer.count)
        sample.sql_ms.append(timer.seconds * 1000)
    if follow:
        started = time.perf_counter()
        page = client.get(response["Location"])
        if sample is not None:
            sample.after_ms.append((time.perf_counter() - started) * 1000)
        if page.status_code != 200:
            sys.exit(f"GET {response['Location']} after {url}: HTTP {page.status_code}")
    return response


def csrf_token(client: Client, url: str) -> str:
    page = client.get(url)
    found = CSRF.search(page.content.decode())
    if page.status_code != 200 or not found:
        sys.exit(f"no CSRF token on {url} (HTTP {page.status_code})")
    return found.group(1)


def pick_target(region: Organization) -> Account:
    """An enabled customer (no roles) with a proven email, in an organization below the region."""
    below = Organization.objects.filter(path__startswith=region.path, depth__gt=region.depth)
    for organization in below.order_by("-depth", "path")[:50]:
        found = (
            Account.objects.filter(
                organization=organization,
                status=Account.Status.ENABLED,
                is_staff=False,
                email_set_by_admin_at__isnull=True,
            )
            .exclude(email="")
            .filter(role_assignments__isnull=True)
            .order_by("created")
            .first()
        )
        if found is not None:
            return found
    sys.exit("no customer account with an email below the benchmark region")


def pick_group(region: Organization, target: Account) -> Group:
    assert target.organization is not None
    group = (
        groups_open_to(target.organization)
        .filter(organization__path__startswith=region.path)
        .exclude(memberships__account=target)
        .order_by("-organization__depth", "name")
        .first()
    )
    if group is None:
        group = Group.objects.create(organization=target.organization, name="Benchmark group")
    return group


def pick_role(admin: Account, target: Account) -> OrgRole:
    actor = Actor.admin(admin)
    assert target.organization is not None
    for role in OrgRole.objects.order_by("name"):
        if may_grant(actor, target.organization, role):
            return role
    sys.exit("the delegated admin may grant no role on the target's organization")


def run_actions(
    client: Client,
    region: Organization,
    target: Account,
    group: Group,
    role: OrgRole,
    samples: dict[str, Sample] | None,
) -> None:
    """One run of every action, each undoing the one before."""

    def s(name: str) -> Sample | None:
        return samples[name] if samples is not None else None

    assert target.organization is not None
    base = f"/portal/{region.key}/accounts/{target.pk}"
    token = csrf_token(client, f"{base}/overview")
    data = {"csrfmiddlewaretoken": token}
    reason = {**data, "reason": "benchmark"}

    post(client, f"{base}/overview/disable", reason, s("disable"))
    assert Account.objects.get(pk=target.pk).status == "disabled", "disable did not happen"
    post(client, f"{base}/overview/enable", reason, s("enable"))
    assert Account.objects.get(pk=target.pk).status == "enabled", "enable did not happen"

    before = Notification.objects.filter(account=target).count()
    last = latest_link_id(target, "password_reset")
    post(
        client,
        f"{base}/overview/reset-password",
        {**data, "last_link": "" if last is None else str(last)},
        s("password_reset"),
    )
    assert Notification.objects.filter(account=target).count() == before + 1, "no reset sent"

    post(client, f"{base}/groups/add", {**data, "group": str(group.pk)}, s("add_to_group"))
    assert GroupMembership.objects.filter(account=target, group=group).exists(), "not added"
    post(client, f"{base}/groups/{group.pk}/remove", data, s("remove_from_group"))
    assert not GroupMembership.objects.filter(account=target, group=group).exists(), "kept"

    post(
        client,
        f"{base}/roles/assign",
        {**reason, "organization": str(target.organization.pk), "role": str(role.pk)},
        s("assign_role"),
    )
    assignment = RoleAssignment.objects.filter(
        account=target, organization=target.organization, role=role
    ).first()
    assert assignment is not None, "the role was not granted"
    post(client, f"{base}/roles/{assignment.pk}/revoke", reason, s("revoke_role"))
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists(), "not revoked"


def sign_in(account: Account, sample: Sample | None) -> None:
    """The login form as a browser sends it: GET (CSRF token, untimed), POST timed. Signed
    out afterwards (untimed), so no session is left behind."""
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, reverse("portal:login"))
    data = {
        "csrfmiddlewaretoken": token,
        "identifier": account.email,
        "password": accounts_list.PASSWORD,
    }
    response = post(client, reverse("portal:login"), data, sample, follow=False)
    if response["Location"].startswith(reverse("portal:verify")):
        sys.exit("the admin has a second factor: the MFA step is not automated here")
    started = time.perf_counter()
    home = client.get(response["Location"])
    if sample is not None:
        sample.after_ms.append((time.perf_counter() - started) * 1000)
    if home.status_code not in (200, 302):
        sys.exit(f"after sign-in: HTTP {home.status_code}")
    cookie = client.cookies["csrftoken"].value
    client.post(reverse("portal:logout"), {"csrfmiddlewaretoken": cookie})


MFA_EMAIL = "bench.mfa@bench.example"


def mfa_admin(region: Organization) -> tuple[Account, Authenticator]:
    """An Admin of the region with an authenticator app (made once, like the others)."""
    from orgdesk.access.actions import grant_role
    from orgdesk.accounts.actions import create_account

    account = Account.objects.filter(email=MFA_EMAIL).first()
    if account is None:
        account = create_account(
            actor=accounts_list.SETUP,
            organization=region,
            email=MFA_EMAIL,
            password=accounts_list.PASSWORD,
            given_name="Bench",
            family_name="Second-Factor",
        )
        grant_role(
            actor=accounts_list.SETUP,
            account=account,
            organization=region,
            role=OrgRole.objects.get(slug="admin"),
        )
    app = Authenticator.objects.filter(account=account, type=Authenticator.Type.TOTP).first()
    if app is None:
        app = Authenticator.objects.create(
            account=account,
            type=Authenticator.Type.TOTP,
            label="Benchmark app",
            secret=new_totp_secret(),
            credential={},
        )
    return account, app


def sign_in_with_code(
    account: Account, app: Authenticator, password: Sample | None, code: Sample | None
) -> None:
    """Password POST, then the authenticator code POST, as the browser sends them."""
    import pyotp

    # The replay guard takes each code once; the runs come faster than 30-second steps.
    Authenticator.objects.filter(pk=app.pk).update(credential={})
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, reverse("portal:login"))
    data = {"csrfmiddlewaretoken": token, "identifier": account.email}
    data["password"] = accounts_list.PASSWORD
    response = post(client, reverse("portal:login"), data, password, follow=False)
    if not response["Location"].startswith(reverse("portal:verify")):
        sys.exit(f"{account.email}: no second step after the password")
    token = csrf_token(client, response["Location"])
    answer = {"csrfmiddlewaretoken": token, "code": pyotp.TOTP(app.secret).now()}
    response = post(client, reverse("portal:verify"), answer, code, follow=False)
    if response.status_code != 302 or response["Location"].startswith(reverse("portal:verify")):
        sys.exit(f"{account.email}: the code was not accepted (HTTP {response.status_code})")
    cookie = client.cookies["csrftoken"].value
    client.post(reverse("portal:logout"), {"csrfmiddlewaretoken": cookie})


def hash_alone(account: Account, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        ok = check_password(accounts_list.PASSWORD, account.password)
        times.append((time.perf_counter() - started) * 1000)
        assert ok, "the benchmark password does not match"
    return times


def deliver_queued() -> dict[str, Any]:
    """Send what the runs queued, as `orgdesk worker` would (nothing if sent in the request)."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return {"backend": settings.TASKS["default"]["BACKEND"]}
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.filter(status="READY").count()
    started = time.perf_counter()
    call_command("db_worker", batch=True, verbosity=0, startup_delay=False)
    elapsed = time.perf_counter() - started
    return {
        "tasks_run": ready,
        "seconds": round(elapsed, 2),
        "ms_per_task": round(elapsed * 1000 / ready, 1) if ready else None,
        "left_ready": DBTaskResult.objects.filter(status="READY").count(),
    }


CASES = (
    "disable",
    "enable",
    "password_reset",
    "add_to_group",
    "remove_from_group",
    "assign_role",
    "revoke_role",
)


def main() -> None:
    region, admin, brand = accounts_list.setup(ARGS.target)
    settle_after_startup()  # as orgdesk/wsgi.py does in each server process
    target = pick_target(region)
    group = pick_group(region, target)
    role = pick_role(admin, target)
    queued_before = Notification.objects.filter(status=Notification.Status.QUEUED).count()

    results: dict[str, Any] = {}
    for label, who in (("delegated_admin", admin), ("brand_admin", brand)):
        client = Client(enforce_csrf_checks=True)
        portal_login(client, who)  # a fresh sign-in: no step-up is asked for
        run_actions(client, region, target, group, role, None)  # warm-up
        samples = {name: Sample() for name in CASES}
        for _ in range(ARGS.runs):
            run_actions(client, region, target, group, role, samples)
        results[label] = {name: samples[name].summary() for name in CASES}
        client.logout()

    signin: dict[str, Any] = {}
    for label, who in (("delegated_admin", admin), ("brand_admin", brand)):
        if has_second_factor(who):
            sys.exit(f"{who.email} has a second factor: the MFA step is not automated here")
        sign_in(who, None)  # warm-up
        sample = Sample()
        for _ in range(ARGS.runs):
            sign_in(who, sample)
        signin[label] = sample.summary()
    second, app = mfa_admin(region)
    sign_in_with_code(second, app, None, None)  # warm-up
    password_step, code_step = Sample(), Sample()
    for _ in range(ARGS.runs):
        sign_in_with_code(second, app, password_step, code_step)
    signin["with_authenticator_app"] = {
        "password_step": password_step.summary(),
        "code_step": code_step.summary(),
    }
    hashes = hash_alone(admin, ARGS.runs)
    hash_p50 = statistics.median(hashes)
    with_app = signin["with_authenticator_app"]
    for found in (signin["delegated_admin"], signin["brand_admin"], with_app["password_step"]):
        found["beyond_hash_p50_ms"] = round(found["p50_ms"] - hash_p50, 1)
    # the whole sign-in of the admin with a second factor, less the one password hash
    with_app["both_steps_beyond_hash_p50_ms"] = round(
        with_app["password_step"]["p50_ms"] + with_app["code_step"]["p50_ms"] - hash_p50, 1
    )

    delivery = deliver_queued()
    report = {
        "benchmark": "actions",
        "database": connection.vendor,
        "accounts_total": Account.objects.count(),
        "runs_per_case": ARGS.runs,
        "target_organization_depth": target.organization.depth if target.organization else None,
        "role_granted": role.slug,
        "actions": results,
        "sign_in": signin,
        "password_hash_check_p50_ms": round(hash_p50, 1),
        "password_hash_check_p95_ms": round(p95(hashes), 1),
        "worst_case_p95_ms": round(
            max(case["p95_ms"] for who in results.values() for case in who.values()), 1
        ),
        "email_delivery": delivery,
        "notifications_queued_before": queued_before,
        "notifications_queued_after": Notification.objects.filter(
            status=Notification.Status.QUEUED
        ).count(),
    }
    out = Path(__file__).parent / "results" / (ARGS.out or f"actions-{connection.vendor}.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
