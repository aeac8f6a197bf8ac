"""Benchmark the Accounts tab at scale: server time of the real view (URL routing, session,
middleware, tenancy, filters, keyset page, templates) through Django's test client, for the
full page (a shared link opened) and for the htmx fragment (what the filter form, the search
box and the page arrows request).

    ORGDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesk_bench \
        python bench/accounts_list.py [--runs 7] [--target 100000]

Needs a database filled by `orgdesk generate --accounts 1000000 …`. Setup (idempotent): a
region holding about --target accounts is assembled by moving existing regions under a new one
(organizations.actions.move_organization), and an org admin with the Admin role on it plus a
brand admin are created. Prints JSON (also written to bench/results/).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
os.environ.setdefault("ORGDESK_ALLOWED_HOSTS", "testserver,localhost")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from orgdesk.access.actions import grant_role  # noqa: E402
from orgdesk.access.actor import Actor, Channel  # noqa: E402
from orgdesk.access.models import OrgRole  # noqa: E402
from orgdesk.accounts.actions import create_account  # noqa: E402
from orgdesk.accounts.models import Account, Group  # noqa: E402
from orgdesk.core.runtime import settle_after_startup  # noqa: E402
from orgdesk.organizations.actions import create_organization, move_organization  # noqa: E402
from orgdesk.organizations.models import Organization  # noqa: E402

SETUP = Actor.system(channel=Channel.CLI, label="benchmark setup")
from orgdesk.testing.auth import portal_login  # noqa: E402

BENCH_REGION = "Benchmark region"
ADMIN_EMAIL = "bench.admin@bench.example"
BRAND_EMAIL = "bench.brand@bench.example"
PASSWORD = "benchmark passphrase 2026"


def subtree_accounts(org: Organization) -> int:
    return Account.objects.filter(organization__in=org.subtree().values("id")).count()


def setup(target: int) -> tuple[Organization, Account, Account]:
    region = Organization.objects.filter(name=BENCH_REGION).first()
    if region is None:
        roots = Organization.objects.filter(parent__isnull=True)
        # the tree whose regions (excluding any single giant) can sum up to the target
        best = None
        for root in roots:
            regions = [(subtree_accounts(r), r) for r in Organization.objects.filter(parent=root)]
            regions = sorted((x for x in regions if x[0] < target), key=lambda x: -x[0])
            if sum(n for n, _ in regions) >= target and (
                best is None or regions[0][0] > best[1][0][0]
            ):
                best = (root, regions)
        if best is None:
            sys.exit("no tree has enough accounts in regions below the target size")
        root, regions = best
        region = create_organization(actor=SETUP, name=BENCH_REGION, parent=root)
        total = 0
        for n, r in regions:
            if total >= target:
                break
            move_organization(actor=SETUP, organization=r, new_parent=region)
            total += n
        region.refresh_from_db()
    admin = Account.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        admin = create_account(
            actor=SETUP,
            organization=region,
            email=ADMIN_EMAIL,
            password=PASSWORD,
            given_name="Bench",
            family_name="Admin",
        )
        grant_role(
            actor=SETUP, account=admin, organization=region, role=OrgRole.objects.get(slug="admin")
        )
    brand = Account.objects.filter(email=BRAND_EMAIL).first()
    if brand is None:
        brand = create_account(
            actor=SETUP, organization=None, email=BRAND_EMAIL, password=PASSWORD, is_staff=True
        )
    return region, admin, brand


def sample_values(region: Organization) -> dict[str, str]:
    scope = Account.objects.filter(organization__in=region.subtree().values("id"))
    some = scope.exclude(email="").exclude(username="").exclude(phone="").order_by("-created")[7]
    group = Group.objects.filter(organization__in=region.subtree().values("id")).first()
    return {
        "email": some.email,
        "email_prefix": some.email[:5],
        "username_prefix": some.username[:4],
        "id": str(some.pk),
        "phone_prefix": some.phone[:6],
        "group": str(group.pk),
        "role": str(OrgRole.objects.get(slug="organization-manager").pk),
        "given": some.given_name[:3],
        "family": some.family_name[:3],
        "birthdate": str(scope.exclude(birthdate=None).first().birthdate),
        "substring": some.family_name[1:5].lower(),
    }


def cases(v: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    return [
        ("no filter", {}),
        ("status=enabled", {"status": "enabled"}),
        ("status=disabled", {"status": "disabled"}),
        ("identifier (email)", {"identifier": v["email"]}),
        ("account id", {"account_id": v["id"]}),
        ("username prefix", {"username": v["username_prefix"]}),
        ("group", {"group": v["group"]}),
        ("role", {"role": v["role"]}),
        ("last login range", {"last_login_from": "2026-09-01", "last_login_to": "2026-09-30"}),
        ("created range", {"created_from": "2025-01-01", "created_to": "2025-03-31"}),
        ("updated from", {"updated_from": "2026-11-01"}),
        ("disabled range", {"disabled_from": "2025-01-01", "disabled_to": "2026-06-30"}),
        ("email prefix", {"email": v["email_prefix"]}),
        ("given name prefix", {"given_name": v["given"]}),
        ("family name prefix", {"family_name": v["family"]}),
        ("birthdate", {"birthdate": v["birthdate"]}),
        ("search: identifier prefix", {"q": v["email_prefix"]}),
        ("search: name substring", {"q": f"*{v['substring']}*"}),
        ("search: phone prefix", {"q": v["phone_prefix"]}),
        ("status + email prefix", {"status": "enabled", "email": v["email_prefix"][:3]}),
        (
            "created range + disabled",
            {"created_from": "2024-01-01", "created_to": "2025-12-31", "status": "disabled"},
        ),
        ("order by created", {"order": "created"}),
        ("org only scope", {"scope": "org"}),
    ]


HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}


def timed(client: Client, url: str, params: dict[str, str], htmx: bool = False) -> float:
    """Server time of one request: the full page, or (htmx) the results fragment that the
    filter form, the search box and the page arrows request."""
    started = time.perf_counter()
    response = client.get(url, params, headers=HTMX if htmx else None)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{url} {params}: HTTP {response.status_code}")
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--target", type=int, default=100_000)
    args = parser.parse_args()

    region, admin, brand = setup(args.target)
    settle_after_startup()  # as orgdesk/wsgi.py does in each server process
    covered = subtree_accounts(region)
    url = f"/portal/{region.key}/accounts"
    admin_client, brand_client = Client(), Client()
    portal_login(admin_client, admin)
    portal_login(brand_client, brand)
    base = {"size": "25", "scope": "tree"}
    values = sample_values(region)

    results = []
    all_samples: list[float] = []
    all_htmx: list[float] = []
    for name, params in cases(values):
        query = {**base, **params}
        timed(admin_client, url, query)  # warm-up
        samples = [timed(admin_client, url, query) for _ in range(args.runs)]
        fragments = [timed(admin_client, url, query, htmx=True) for _ in range(args.runs)]
        all_samples.extend(samples)
        all_htmx.extend(fragments)
        results.append(
            {
                "case": name,
                "median_ms": round(statistics.median(samples), 1),
                "max_ms": round(max(samples), 1),
                "htmx_median_ms": round(statistics.median(fragments), 1),
                "htmx_max_ms": round(max(fragments), 1),
            }
        )

    prefix_samples: list[float] = []
    prefix_htmx: list[float] = []
    for prefix in (
        values["email_prefix"],
        values["email_prefix"][:3],
        values["username_prefix"],
        values["phone_prefix"],
        "anna",
        "jo",
    ):
        query = {**base, "q": prefix}
        timed(admin_client, url, query)
        prefix_samples.extend(timed(admin_client, url, query) for _ in range(args.runs))
        prefix_htmx.extend(timed(admin_client, url, query, htmx=True) for _ in range(args.runs))

    # page 1 vs page 100 (25 rows a page), walking the real next-page cursors
    from orgdesk.access.scoping import restrict
    from orgdesk.core.listing import Ordering, paginate

    qs = restrict(
        Actor.admin(admin), "accounts.view", Account.objects.select_related("organization")
    ).filter(organization__in=region.subtree().values("id"))
    cursor = None
    for _ in range(99):
        cursor = paginate(
            qs,
            Ordering("last_login", "last_login", nullable=True),
            size=25,
            cursor=cursor,
            count=False,
        ).next_cursor
    page1 = [timed(admin_client, url, base) for _ in range(args.runs)]
    page100 = [timed(admin_client, url, {**base, "cursor": cursor}) for _ in range(args.runs)]

    brand_times = [timed(brand_client, url, base) for _ in range(args.runs)]
    admin_times = [timed(admin_client, url, base) for _ in range(args.runs)]

    query_counts = {}
    for size in ("10", "25", "50", "100"):
        with CaptureQueriesContext(connection) as ctx:
            admin_client.get(url, {**base, "size": size})
        query_counts[size] = len(ctx.captured_queries)

    report = {
        "benchmark": "accounts_list",
        "database": connection.vendor,
        "accounts_total": Account.objects.count(),
        "accounts_under_grant": covered,
        "runs_per_case": args.runs,
        "cases": results,
        "p95_ms_all_cases": round(p95(all_samples), 1),
        "worst_case_median_ms": max(r["median_ms"] for r in results),
        "worst_single_ms": round(max(all_samples), 1),
        "prefix_search_p95_ms": round(p95(prefix_samples), 1),
        "htmx_p95_ms_all_cases": round(p95(all_htmx), 1),
        "htmx_worst_case_median_ms": max(r["htmx_median_ms"] for r in results),
        "htmx_worst_single_ms": round(max(all_htmx), 1),
        "htmx_prefix_search_p95_ms": round(p95(prefix_htmx), 1),
        "page1_median_ms": round(statistics.median(page1), 1),
        "page100_median_ms": round(statistics.median(page100), 1),
        "page100_over_page1": round(statistics.median(page100) / statistics.median(page1), 2),
        "brand_median_ms": round(statistics.median(brand_times), 1),
        "delegated_median_ms": round(statistics.median(admin_times), 1),
        "delegated_over_brand": round(
            statistics.median(admin_times) / statistics.median(brand_times), 2
        ),
        "queries_per_page_by_size": query_counts,
    }
    out = Path(__file__).parent / "results" / f"accounts-list-{connection.vendor}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
