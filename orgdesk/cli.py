"""`orgdesk` command line: demo, serve, worker, migrate, createadmin, generate, manage.

Every subcommand reads the ORGDESK_* environment. Expected failures (bad arguments, bad
configuration, an unreachable database) print one line to stderr and exit with status 2.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orgdesk.access.actor import Actor, Channel


class CliError(Exception):
    pass


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesk.settings")
    import django

    django.setup()
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WhiteNoise warns about a missing STATIC_ROOT even when it serves from the finders.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def _check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliError(f"cannot reach the database: {first}") from None


def _positive(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None


def _at_least_one(value: str) -> int:
    number = _positive(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is less than 1")
    return number


def _port(value: str) -> int:
    port = _positive(value)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 1-65535")
    return port


def cmd_migrate(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    _check_database()
    call_command("migrate", interactive=False, verbosity=args.verbosity)


def cmd_generate(args: argparse.Namespace) -> None:
    import datetime as dt

    from orgdesk.generator import Plan, generate

    anchor = None
    if args.anchor:
        try:
            anchor = dt.datetime.fromisoformat(args.anchor)
        except ValueError:
            raise CliError(f"--anchor {args.anchor!r} is not an ISO date (2026-11-28)") from None
        anchor = anchor.replace(tzinfo=anchor.tzinfo or dt.UTC)
    plan_args: dict[str, Any] = {
        "accounts": args.accounts,
        "orgs": args.orgs,
        "depth": args.depth,
        "seed": args.seed,
        "trees": args.trees,
        "events_per_account": args.events_per_account,
        "batch_size": args.batch_size,
    }
    if anchor:
        plan_args["anchor"] = anchor
    plan = Plan(**plan_args).check()
    _check_database()
    _require_migrated()
    progress = None if args.quiet else (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    report = generate(plan, progress=progress)
    print(json.dumps(report.as_dict(), indent=None if args.json else 2))


def _require_migrated() -> None:
    from django.db import connection

    if "accounts_account" not in connection.introspection.table_names():
        raise CliError("the database has no tables yet: run `orgdesk migrate` first")


def cmd_createadmin(args: argparse.Namespace) -> None:
    from orgdesk.access.admins import AdminError, create_admin

    _check_database()
    _require_migrated()
    try:
        account, created = create_admin(
            email=args.email,
            password=args.password,
            brand=args.brand,
            org_ref=args.org,
            role_ref=args.role,
            home_ref=args.home,
            name=args.name,
        )
    except AdminError as exc:
        raise CliError(str(exc)) from None
    verb = "created" if created else "updated"
    where = "brand admin" if args.brand else f"{args.role} on {args.org}"
    print(f"{verb} {account.email} ({where})")


def cmd_role(args: argparse.Namespace) -> None:
    from orgdesk.access.actions import GrantError, create_role
    from orgdesk.access.models import OrgRole
    from orgdesk.access.permissions import CATALOGUE

    _check_database()
    _require_migrated()
    if args.action == "list":
        for role in OrgRole.objects.order_by("name"):
            flags = " (built in)" if role.builtin else ""
            flags += " (protected)" if role.protected else ""
            print(f"{role.slug:<32} {role.name}{flags}: {', '.join(role.permissions)}")
        return
    if args.action == "permissions":
        for code, label in CATALOGUE.items():
            print(f"{code:<28} {label}")
        return
    if not args.name or not args.permissions:
        raise CliError("role create needs --name and --permissions")
    codes = [c.strip() for c in args.permissions.split(",") if c.strip()]
    try:
        role = create_role(
            actor=Actor.system(channel=Channel.CLI),
            name=args.name,
            permissions=codes,
            description=args.description,
            protected=args.protected,
        )
    except GrantError as exc:
        raise CliError(str(exc)) from None
    print(f"created role {role.slug}: {', '.join(role.permissions)}")


def cmd_policy(args: argparse.Namespace) -> None:
    from orgdesk.security.actions import update_security_policy

    _check_database()
    _require_migrated()
    policy = update_security_policy(
        actor=Actor.system(channel=Channel.CLI),
        require_admin_mfa=None
        if args.require_admin_mfa is None
        else args.require_admin_mfa == "on",
    )
    print(f"require_admin_mfa: {'on' if policy.require_admin_mfa else 'off'}")


def _run_system_checks() -> None:
    """Refuse to start on a configuration Django's system checks call an error (e.g.
    security.E001: a per-process cache in production), as `manage runserver` would."""
    from django.core import checks

    errors = [m for m in checks.run_checks() if m.is_serious() and not m.is_silenced()]
    if errors:
        raise CliError(
            "; ".join(f"{m.id}: {m.msg}" + (f" ({m.hint})" if m.hint else "") for m in errors)
        )


def cmd_serve(args: argparse.Namespace) -> None:
    _run_system_checks()
    _check_database()
    from orgdesk.server import serve

    serve(host=args.host, port=args.port, workers=args.workers)


def cmd_worker(args: argparse.Namespace) -> None:
    import threading

    from django.core.management import call_command

    from orgdesk.invitations.bulk.actions import expire_previews, requeue_stalled_jobs, watch_jobs

    _check_database()
    # A worker killed mid-job leaves its job running: queue such jobs again now, and keep
    # looking while this worker runs (another worker may die meanwhile). Old previews go too.
    requeue_stalled_jobs()
    expire_previews()
    stop = threading.Event()
    if not args.batch:
        threading.Thread(target=watch_jobs, args=(stop,), name="bulk-jobs", daemon=True).start()
    try:
        call_command(
            "db_worker",
            verbosity=args.verbosity,
            batch=args.batch,
            startup_delay=not args.batch,
        )
    finally:
        stop.set()


def cmd_demo(args: argparse.Namespace) -> None:
    from orgdesk.demo import run_demo

    _run_system_checks()
    _check_database()
    run_demo(host=args.host, port=args.port, accounts=args.accounts, serve=not args.no_serve)


def cmd_manage(args: argparse.Namespace) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["orgdesk manage", *args.rest])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orgdesk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or update the database tables")
    p.add_argument("-v", "--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("generate", help="fill the identity store with synthetic data")
    p.add_argument("--accounts", type=_positive, required=True)
    p.add_argument("--orgs", type=_positive, required=True)
    p.add_argument("--depth", type=_positive, default=3)
    p.add_argument("--trees", type=_positive, default=3)
    p.add_argument("--seed", type=_positive, default=1)
    p.add_argument("--events-per-account", type=_positive, default=5)
    p.add_argument("--batch-size", type=_positive, default=5000)
    p.add_argument("--anchor", help="ISO date the data is relative to (default: today, UTC)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--json", action="store_true", help="print the report on one line")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("createadmin", help="create a brand admin or an organization admin")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name", default="")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--brand", action="store_true", help="a brand admin (Admin Console)")
    who.add_argument("--org", help="organization id or full route, e.g. 'Acme / EMEA'")
    p.add_argument("--role", help="role slug or name, with --org (e.g. admin)")
    p.add_argument(
        "--home", help="the account's home organization if not --org (a cross-organization grant)"
    )
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser("role", help="list permissions and roles, or define a brand role")
    p.add_argument("action", choices=["list", "permissions", "create"])
    p.add_argument("--name")
    p.add_argument("--permissions", help="comma-separated permission codes")
    p.add_argument("--description", default="")
    p.add_argument("--protected", action="store_true", help="only brand admins may assign it")
    p.set_defaults(func=cmd_role)

    p = sub.add_parser("policy", help="show or change the brand security policy")
    p.add_argument("--require-admin-mfa", choices=["on", "off"])
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("serve", help="run the web server (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--workers", type=_at_least_one, default=2)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background task worker")
    p.add_argument("-v", "--verbosity", type=int, default=1)
    p.add_argument(
        "--batch", action="store_true", help="run the queued tasks, then exit (for cron)"
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="migrate, seed a demo, print sign-ins, serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--accounts", type=_positive, default=5000)
    p.add_argument("--no-serve", action="store_true", help="seed and print, do not serve")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "createadmin" and args.org and not args.role:
        parser.error("--org needs --role")
    if args.command == "createadmin" and args.brand and (args.role or args.home):
        parser.error("--brand takes neither --role nor --home")
    from orgdesk.config import ConfigError, errors_raised

    try:
        with errors_raised():  # a bad setting reaches the handler below, which names the command
            _setup_django()
        args.func(args)
    except (CliError, ConfigError) as exc:
        print(f"orgdesk {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from django.core.exceptions import ImproperlyConfigured
        from django.db.utils import OperationalError

        from orgdesk.generator import GenerateError

        if isinstance(exc, GenerateError | ImproperlyConfigured | OperationalError):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"orgdesk {args.command}: {first}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
