import subprocess
import sys

import pytest
from django.core.exceptions import PermissionDenied

from orgdesk.access.actions import GrantError, create_role
from orgdesk.access.models import OrgRole
from orgdesk.access.permissions import BUILTIN_ROLES, CATALOGUE, VIEW_ONLY
from orgdesk.activity.models import Event
from orgdesk.security.actions import update_security_policy
from orgdesk.security.models import SecurityPolicy
from orgdesk.testing.actors import SYSTEM, as_admin
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_builtin_roles_are_documented_and_consistent():
    admin, manager, recovery = (BUILTIN_ROLES[s][2] for s in BUILTIN_ROLES)
    assert admin == frozenset(CATALOGUE)
    assert manager < admin and recovery < admin
    assert recovery >= VIEW_ONLY
    assert not {"accounts.create", "accounts.edit", "accounts.disable"} & recovery


def test_brand_defined_role(tree):
    role = create_role(
        actor=SYSTEM, name="Help desk", permissions=["accounts.view", "sessions.clear"]
    )
    assert (role.slug, role.permissions, role.builtin) == (
        "help-desk",
        ["accounts.view", "sessions.clear"],
        False,
    )
    assert Event.objects.filter(type="role.created").exists()
    with pytest.raises(GrantError, match="already exists"):
        create_role(actor=SYSTEM, name="help desk", permissions=["accounts.view"])
    with pytest.raises(GrantError, match="unknown permission"):
        create_role(actor=SYSTEM, name="Bad", permissions=["accounts.fly"])
    with pytest.raises(GrantError, match="at least one"):
        create_role(actor=SYSTEM, name="Empty", permissions=[])
    customer_admin = make_account(tree.france, email="x@example.com")
    with pytest.raises(PermissionDenied):
        create_role(actor=as_admin(customer_admin), name="Mine", permissions=["accounts.view"])


def test_security_policy_changes_are_audited(db):
    assert SecurityPolicy.current().require_admin_mfa is False
    update_security_policy(actor=SYSTEM, require_admin_mfa=True)
    assert SecurityPolicy.current().require_admin_mfa is True
    assert Event.objects.get(type="policy.updated").metadata == {"require_admin_mfa": True}


@pytest.mark.slow
def test_role_and_policy_cli(tmp_path):
    env = {"ORGDESK_DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3", "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "orgdesk.cli"]
    subprocess.run([*run, "migrate", "-v", "0"], env=env, check=True)
    out = subprocess.run([*run, "role", "permissions"], env=env, capture_output=True, text=True)
    assert "roles.assign" in out.stdout
    made = subprocess.run(
        [
            *run,
            "role",
            "create",
            "--name",
            "Auditor",
            "--permissions",
            "accounts.view,activity.view",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0 and "created role auditor" in made.stdout
    listed = subprocess.run([*run, "role", "list"], env=env, capture_output=True, text=True)
    assert "auditor" in listed.stdout and "(built in)" in listed.stdout
    bad = subprocess.run(
        [*run, "role", "create", "--name", "X", "--permissions", "nope"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown permission" in bad.stderr
    assert "Traceback" not in bad.stderr
    policy = subprocess.run(
        [*run, "policy", "--require-admin-mfa", "on"], env=env, capture_output=True, text=True
    )
    assert policy.stdout.strip() == "require_admin_mfa: on"
    assert OrgRole.objects.filter(slug="auditor").count() == 0  # other database: untouched
