"""`orgdesk demo`: a seeded identity store, administrators for every built-in role, and the
server with a background worker. Safe to run again: data and sign-ins are created once."""

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command

DEMO_SEED = 2026
DEMO_ORGS = 60
DEMO_DEPTH = 3
DEMO_TREES = 3


def _signins_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-signins.json"


def _admin_plan() -> list[dict[str, Any]]:
    """Who to create: a brand admin, each built-in role on tree roots, one cross-org grant."""
    from orgdesk.organizations.models import Organization

    roots = list(Organization.objects.filter(parent__isnull=True).order_by("created", "path"))
    plan: list[dict[str, Any]] = [
        {"email": "brand.admin@orgdesk.demo", "name": "Brenda Brand", "brand": True},
    ]
    if not roots:
        return plan
    first = roots[0]
    roles = [
        ("admin", "Ada Admin", "ada.admin"),
        ("organization-manager", "Omar Manager", "omar.manager"),
        ("account-recovery-assistant", "Rita Recovery", "rita.recovery"),
    ]
    domain = f"{first.slug[:30]}.example"
    for slug, name, local in roles:
        plan.append({"email": f"{local}@{domain}", "name": name, "org": first.route, "role": slug})
    regions = list(Organization.objects.filter(parent=first).order_by("path"))
    if len(regions) >= 2:
        home = Organization.objects.filter(parent=regions[0]).order_by("path").first() or regions[0]
        plan.append(
            {
                "email": f"cross.grant@{domain}",
                "name": "Cora Cross",
                "org": regions[1].route,
                "home": home.route,
                "role": "organization-manager",
            }
        )
    for root in roots[1:]:
        plan.append(
            {
                "email": f"admin@{root.slug[:30]}.example",
                "name": "Tree Admin",
                "org": root.route,
                "role": "admin",
            }
        )
    return plan


def seed(accounts: int = 5000) -> list[dict[str, Any]]:
    from orgdesk.access.admins import create_admin
    from orgdesk.generator import Plan, generate
    from orgdesk.organizations.models import Organization

    call_command("migrate", interactive=False, verbosity=0)
    if not Organization.objects.exists():
        print(
            f"Generating demo data: {accounts:,} accounts, {DEMO_ORGS} organizations…", flush=True
        )
        orgs = min(DEMO_ORGS, accounts)
        report = generate(
            Plan(
                accounts=accounts,
                orgs=orgs,
                depth=DEMO_DEPTH,
                trees=min(DEMO_TREES, max(1, orgs // DEMO_DEPTH)),
                seed=DEMO_SEED,
            )
        )
        print(f"  done in {report.seconds:.1f} s", flush=True)
    path = _signins_file()
    saved: dict[str, str] = {}
    if path.exists():
        saved = {s["email"]: s["password"] for s in json.loads(path.read_text())}
    signins = []
    for entry in _admin_plan():
        password = saved.get(entry["email"]) or secrets.token_urlsafe(12)
        create_admin(
            email=entry["email"],
            password=password,
            brand=entry.get("brand", False),
            org_ref=entry.get("org"),
            role_ref=entry.get("role"),
            home_ref=entry.get("home"),
            name=entry["name"],
        )
        signins.append({**entry, "password": password})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(signins, indent=2))
    os.chmod(path, 0o600)
    return signins


def mail_destination() -> str:
    """Where the email the demo sends (invitations, password links) ends up, in words."""
    backend = settings.EMAIL_BACKEND
    if backend.endswith("filebased.EmailBackend"):
        # Set by the settings' `vars().update(EMAIL_CONFIG)`, which the stubs' plugin cannot see.
        outbox = settings.EMAIL_FILE_PATH  # type: ignore[misc]
        return f"written as files to {Path(outbox).resolve()} (one per message)"
    if backend.endswith("console.EmailBackend"):
        return "printed on this console"
    if backend.endswith("smtp.EmailBackend"):
        return f"sent through the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return f"handed to {backend}"


def describe(signins: list[dict[str, Any]], url: str) -> str:
    lines = [
        "",
        f"Orgdesk demo: {url}",
        f"Organization portal sign-in: {url}portal/login",
        f"Admin Console (brand admins): {url}console/",
        f"Email (invitations, password links): {mail_destination()}",
        f"Links in email point to {settings.ORGDESK_PUBLIC_URL}",
        "",
        "Sign-ins (also in var/demo-signins.json):",
    ]
    for s in signins:
        if s.get("brand"):
            what = "brand admin (Admin Console)"
        else:
            what = f"{s['role']} on {s['org']}"
            if s.get("home"):
                what += f" (account lives in {s['home']}: cross-organization grant)"
        lines.append(f"  {s['email']:<44} {s['password']:<18} {what}")
    lines.append("")
    return "\n".join(lines)


def _public_url(host: str, port: int) -> None:
    """Without ORGDESK_PUBLIC_URL, links in email point at the demo's own port (on localhost,
    the passkey relying party, when serving on the loopback address). Set in the environment
    too, for the worker process."""
    if os.environ.get("ORGDESK_PUBLIC_URL"):
        return
    name = "localhost" if host in ("127.0.0.1", "localhost", "::1") else host
    settings.ORGDESK_PUBLIC_URL = os.environ["ORGDESK_PUBLIC_URL"] = f"http://{name}:{port}"


def run_demo(*, host: str, port: int, accounts: int, serve: bool) -> None:
    signins = seed(accounts)
    url = f"http://{host}:{port}/"
    _public_url(host, port)
    print(describe(signins, url), flush=True)
    if not serve:
        return
    worker = subprocess.Popen([sys.executable, "-m", "orgdesk.cli", "worker", "-v", "0"])
    try:
        from orgdesk.server import serve as serve_http

        serve_http(host=host, port=port, workers=2)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
