"""The portal shows built-in role names, notification template names and default authenticator
labels in the admin's language, wherever it names them; a renamed or custom one as typed."""

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from orgdesk.access.actions import grant_role
from orgdesk.access.models import OrgRole
from orgdesk.notifications.models import Notification, NotificationTemplate
from orgdesk.security.models import Authenticator, recovery_codes_identifier
from orgdesk.testing.actors import SYSTEM
from tests.detail_support import role, tab_url

pytestmark = pytest.mark.django_db

FRENCH_ROLES = {
    "admin": "Administrateur",
    "organization-manager": "Gestionnaire d'organisation",
    "account-recovery-assistant": "Assistant de récupération de compte",
}


def french(client: Any, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def options_of(page: str, select_id: str) -> list[str]:
    select = page.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


@pytest.fixture
def custom_role(world: Any) -> OrgRole:
    return OrgRole.objects.create(
        slug="tier-2", name="Support tier 2 (EMEA)", permissions=["accounts.view"]
    )


def test_roles_tab_in_french(admin_client: Any, world: Any, custom_role: OrgRole) -> None:
    grant_role(
        actor=SYSTEM,
        account=world.inside,
        organization=world.france,
        role=role("account-recovery-assistant"),
    )
    grant_role(actor=SYSTEM, account=world.inside, organization=world.france, role=custom_role)
    page = french(admin_client, tab_url(world.emea, world.inside, "roles"))
    assert '<span class="role-name">Assistant de récupération de compte' in page
    assert "Aide les clients à retrouver l'accès" in page  # its description
    assert '<span class="role-name">Support tier 2 (EMEA)' in page
    assert "Account recovery assistant" not in page
    assert "Retirer le rôle Assistant de récupération de compte à Inside Test" in page
    # The assign dialog offers them by their French names, in that order.
    offered = options_of(page, "assign-role")
    assert {FRENCH_ROLES["admin"], FRENCH_ROLES["organization-manager"]} <= set(offered)
    builtin = [name for name in offered if name in FRENCH_ROLES.values()]
    assert builtin == sorted(FRENCH_ROLES.values())
    assert "Support tier 2 (EMEA)" in offered and "Admin" not in offered


def test_a_role_granted_is_named_in_french(admin_client: Any, world: Any) -> None:
    response = admin_client.post(
        reverse("portal:account_roles_assign", args=[world.emea.key, world.inside.pk]),
        {"role": role("organization-manager").pk, "organization": world.france.pk},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    text = html.unescape(response.content.decode())
    assert "Rôle Gestionnaire d'organisation attribué à Inside Test" in text


def test_a_renamed_builtin_role_shows_as_typed(admin_client: Any, world: Any) -> None:
    OrgRole.objects.filter(slug="organization-manager").update(name="Managers (Acme)")
    grant_role(
        actor=SYSTEM,
        account=world.inside,
        organization=world.france,
        role=role("organization-manager"),
    )
    page = french(admin_client, tab_url(world.emea, world.inside, "roles"))
    assert '<span class="role-name">Managers (Acme)' in page
    assert FRENCH_ROLES["organization-manager"] not in page


def test_notifications_tab_in_french(admin_client: Any, world: Any) -> None:
    def sent(code: str) -> None:
        template = NotificationTemplate.objects.get(code=code)
        Notification.objects.create(
            account=world.inside,
            organization=world.inside.organization,
            template=template,
            channel=template.channel,
            target=world.inside.email,
            status=Notification.Status.SENT,
        )

    NotificationTemplate.objects.filter(code="account_disabled").update(name="Brand: closed")
    for code in ("password_reset", "sms_otp", "account_disabled"):
        sent(code)
    page = french(admin_client, tab_url(world.emea, world.inside, "notifications"))
    assert "<td>Réinitialisation du mot de passe</td>" in page
    assert "<td>Code à usage unique par SMS</td>" in page
    assert "<td>Brand: closed</td>" in page
    assert "Password reset" not in page


def test_authenticators_tab_and_security_page_in_french(admin_client: Any, world: Any) -> None:
    for account in (world.inside, world.admin):
        Authenticator.objects.create(
            account=account, type=Authenticator.Type.TOTP, label="Authenticator app"
        )
        Authenticator.objects.create(
            account=account, type=Authenticator.Type.PASSKEY, label="Windows Hello"
        )
        Authenticator.objects.create(
            account=account,
            type=Authenticator.Type.RECOVERY_CODES,
            label="Recovery codes",
            identifier=recovery_codes_identifier(8),
        )
    page = french(admin_client, tab_url(world.emea, world.inside, "authenticators"))
    assert '<span class="authn-label">Application d\'authentification</span>' in page
    assert '<span class="authn-label">Windows Hello</span>' in page
    assert '<span class="authn-label">Codes de récupération</span>' in page
    assert '<span class="muted">8 codes</span>' in page
    assert "Actions pour Codes de récupération" in page
    assert "Recovery codes" not in page and "Authenticator app" not in page
    own = french(admin_client, reverse("portal:security"))
    assert "<td>Codes de récupération <span" in own and "Windows Hello" in own
    assert "Recovery codes" not in own


def test_deleting_names_the_authenticator_in_french(admin_client: Any, world: Any) -> None:
    passkey = Authenticator.objects.create(
        account=world.inside, type=Authenticator.Type.PASSKEY, label="Passkey"
    )
    response = admin_client.post(
        reverse(
            "portal:account_authenticators_delete",
            args=[world.emea.key, world.inside.pk, passkey.pk],
        ),
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert "Clé d'accès" in html.unescape(response.content.decode())


def test_invitation_form_and_accounts_filter_name_roles_in_french(
    admin_client: Any, world: Any, custom_role: OrgRole
) -> None:
    page = french(admin_client, reverse("portal:invitation_create", args=[world.emea.key]))
    for name in FRENCH_ROLES.values():
        assert re.search(rf'<input type="checkbox" name="roles"[^>]*> {re.escape(name)}<', page)
    assert "Support tier 2 (EMEA)" in page
    accounts = french(admin_client, reverse("portal:accounts", args=[world.emea.key]) + "?q=x")
    offered = options_of(accounts, "id_role")
    assert offered[0] == "Tous les rôles"
    assert [name for name in offered if name in FRENCH_ROLES.values()] == sorted(
        FRENCH_ROLES.values()
    )
    assert "Support tier 2 (EMEA)" in offered
