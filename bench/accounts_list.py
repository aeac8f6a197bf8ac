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
from typing import Any

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
        ("org only scope", {"scope": "org"}),
    ]


SORTS = ["name", "-name", "organization", "-organization", "status", "-status"]
SORTS += ["last_login", "-created", "created"]


def sort_cases(v: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every sort order, alone and with a filter and a search."""
    found = []
    for order in SORTS:
        found.append((f"sort {order}", {"order": order}))
        found.append((f"sort {order} + status=disabled", {"order": order, "status": "disabled"}))
        found.append((f"sort {order} + search", {"order": order, "q": v["given"][:2]}))
    return found


HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}


class Recorder:
    """The statements a request runs (to time them again alone: the SQL floor)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many:
            self.statements.append((sql, params))
        return execute(sql, params, many, context)


def sql_floor(statements: list[tuple[str, Any]], runs: int = 3) -> float:
    """The statements' own time, run again one after another on the same connection (the
    best of `runs`): what the database needs to answer the request, with nothing around it."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def timed(client: Client, url: str, params: dict[str, str], htmx: bool = False) -> float:
    """Server time of one request: the full page, or (htmx) the results fragment that the
    filter form, the search box and the page arrows request."""
    started = time.perf_counter()
    response = client.get(url, params, headers=HTMX if htmx else None)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{url} {params}: HTTP {response.status_code}")
    return elapsed


def measured(client: Client, url: str, query: dict[str, str], runs: int) -> dict[str, Any]:
    """Median server time of the page and the fragment, and the fragment's SQL floor."""
    timed(client, url, query)  # warm-up
    samples = [timed(client, url, query) for _ in range(runs)]
    fragments = [timed(client, url, query, htmx=True) for _ in range(runs)]
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        timed(client, url, query, htmx=True)
    # The session and the admin's preferences are read by every request whatever it lists;
    # they are part of the floor too (all statements are replayed).
    floor = sql_floor(recorder.statements)
    median = statistics.median(fragments)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "htmx_median_ms": round(median, 1),
        "htmx_max_ms": round(max(fragments), 1),
        "sql_floor_ms": round(floor, 1),
        "queries": len(recorder.statements),
        "within_3x_floor_plus_10": median <= 3 * floor + 10,
        "_samples": samples,
        "_fragments": fragments,
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def page_cursor(actor: Actor, within: Organization, order: str, pages: int) -> str:
    """The cursor of page `pages + 1` of `order`, walked through the list use-case."""
    from orgdesk.accounts.lists import ACCOUNTS
    from orgdesk.lists import run_list

    cursor = ""
    for _ in range(pages):
        params = {"scope": "tree", "order": order, **({"cursor": cursor} if cursor else {})}
        cursor = run_list(ACCOUNTS, actor, params, within=within, size=25).page.next_cursor or ""
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--target", type=int, default=100_000)
    parser.add_argument("--only", default="", help="run only the cases whose name has this")
    args = parser.parse_args()

    region, admin, brand = setup(args.target)
    settle_after_startup()  # as orgdesk/wsgi.py does in each server process
    root = region.parent
    assert root is not None
    covered = subtree_accounts(region)
    region_url = f"/portal/{region.key}/accounts"
    root_url = f"/portal/{root.key}/accounts"
    admin_client, brand_client = Client(), Client()
    portal_login(admin_client, admin)
    portal_login(brand_client, brand)
    base = {"size": "25", "scope": "tree"}
    values = sample_values(region)

    # who lists where: the delegated admin over the region, the brand admin over the same
    # region and over the whole tree it belongs to
    viewers = [
        ("delegated", admin_client, region_url),
        ("brand", brand_client, region_url),
        ("brand, whole tree", brand_client, root_url),
    ]
    results = []
    for name, params in [*cases(values), *sort_cases(values)]:
        if args.only and args.only not in name:
            continue
        for who, client, url in viewers:
            row = measured(client, url, {**base, **params}, args.runs)
            results.append({"case": name, "who": who, **row})
            print(
                f"{who:18} {name:40} {row['htmx_median_ms']:7.1f} ms "
                f"(floor {row['sql_floor_ms']:6.1f} ms, {row['queries']} queries)",
                file=sys.stderr,
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
        timed(admin_client, region_url, query)
        prefix_samples.extend(timed(admin_client, region_url, query) for _ in range(args.runs))
        prefix_htmx.extend(
            timed(admin_client, region_url, query, htmx=True) for _ in range(args.runs)
        )

    # page 1 against page 100 (25 rows a page) of each order, walking the real cursors
    pages = {}
    for order in ["-last_login", "name", "organization", "status", "-created"]:
        cursor = page_cursor(Actor.admin(admin), region, order, 99)
        query = {**base, "order": order}
        timed(admin_client, region_url, query)
        first = [timed(admin_client, region_url, query) for _ in range(args.runs)]
        hundredth = [
            timed(admin_client, region_url, {**query, "cursor": cursor}) for _ in range(args.runs)
        ]
        pages[order] = {
            "page1_median_ms": round(statistics.median(first), 1),
            "page100_median_ms": round(statistics.median(hundredth), 1),
            "page100_over_page1": round(statistics.median(hundredth) / statistics.median(first), 2),
        }

    brand_times = [timed(brand_client, region_url, base) for _ in range(args.runs)]
    admin_times = [timed(admin_client, region_url, base) for _ in range(args.runs)]

    query_counts = {}
    for size in ("10", "25", "50", "100"):
        with CaptureQueriesContext(connection) as ctx:
            admin_client.get(region_url, {**base, "size": size})
        query_counts[size] = len(ctx.captured_queries)

    all_samples = [s for r in results for s in r.pop("_samples")]
    all_htmx = [s for r in results for s in r.pop("_fragments")]
    medians = sorted(results, key=lambda r: r["htmx_median_ms"])
    median_case = medians[len(medians) // 2] if medians else None
    report = {
        "benchmark": "accounts_list",
        "database": connection.vendor,
        "accounts_total": Account.objects.count(),
        "accounts_under_grant": covered,
        "accounts_in_whole_tree": subtree_accounts(root),
        "runs_per_case": args.runs,
        "cases": results,
        "p95_ms_all_cases": round(p95(all_samples), 1) if all_samples else None,
        "worst_case_median_ms": max((r["median_ms"] for r in results), default=None),
        "worst_single_ms": round(max(all_samples), 1) if all_samples else None,
        "htmx_p95_ms_all_cases": round(p95(all_htmx), 1) if all_htmx else None,
        "htmx_worst_case_median_ms": max((r["htmx_median_ms"] for r in results), default=None),
        "htmx_worst_single_ms": round(max(all_htmx), 1) if all_htmx else None,
        "median_case": median_case,
        "cases_over_100_ms": [f"{r['who']}: {r['case']}" for r in results if r["median_ms"] > 100],
        "cases_over_3x_floor_plus_10": [
            f"{r['who']}: {r['case']}" for r in results if not r["within_3x_floor_plus_10"]
        ],
        "prefix_search_p95_ms": round(p95(prefix_samples), 1),
        "htmx_prefix_search_p95_ms": round(p95(prefix_htmx), 1),
        "pages": pages,
        "brand_median_ms": round(statistics.median(brand_times), 1),
        "delegated_median_ms": round(statistics.median(admin_times), 1),
        "delegated_over_brand": round(
            statistics.median(admin_times) / statistics.median(brand_times), 2
        ),
        "queries_per_page_by_size": query_counts,
    }
    name = "accounts-list-" + connection.vendor + (f"-{args.only}" if args.only else "")
    out = Path(__file__).parent / "results" / f"{name.replace(' ', '_')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "cases"}, indent=2))


if __name__ == "__main__":
    main()
