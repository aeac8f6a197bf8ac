"""The environment for an `orgdesk` command a test runs as its own process: none of the
caller's ORGDESK_ settings, a SQLite database and var folder of its own under `root`."""

import os
from pathlib import Path


def process_env(root: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ORGDESK_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        ORGDESK_DATABASE_URL=f"sqlite:///{root / 'orgdesk.sqlite3'}",
        ORGDESK_VAR_DIR=str(root / "var"),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env
