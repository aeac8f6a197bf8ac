"""Benchmark `orgdesk generate`: wall time and peak memory of the CLI as a child process.

    python bench/generate.py --database-url postgres://postgres@127.0.0.1:5432/orgdesk_bench \
        --accounts 1000000 --orgs 5000 --events-per-account 5 [--fresh]

Prints one JSON object. With --fresh the database (PostgreSQL) or file (SQLite) is recreated
and migrated first; migration time is not counted.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse


def recreate(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--orgs", type=int, required=True)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--events-per-account", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    env = {**os.environ, "ORGDESK_DATABASE_URL": args.database_url}
    orgdesk = [sys.executable, "-m", "orgdesk.cli"]
    if args.fresh:
        recreate(args.database_url)
        subprocess.run([*orgdesk, "migrate", "-v", "0"], env=env, check=True)
    started = time.monotonic()
    proc = subprocess.run(
        [
            *orgdesk,
            "generate",
            "--accounts",
            str(args.accounts),
            "--orgs",
            str(args.orgs),
            "--depth",
            str(args.depth),
            "--events-per-account",
            str(args.events_per_account),
            "--seed",
            str(args.seed),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(proc.returncode)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "benchmark": "generate",
                "database": urlparse(args.database_url).scheme,
                "accounts": args.accounts,
                "orgs": args.orgs,
                "events": report["rows"].get("activity_event"),
                "total_rows": sum(report["rows"].values()),
                "wall_seconds": round(wall, 1),
                "peak_rss_mb": round(peak_kib / 1024, 1),
                "rows": report["rows"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
