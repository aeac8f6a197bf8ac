"""Roles tab: the organization roles the account holds, assigning one and revoking one.

Only grants on organizations where the admin holds roles.view are listed
(restrict("roles.view", RoleAssignment)); grants elsewhere are not shown, nor counted, so
nothing about other parts of the tree leaks. Assigning offers the organizations of the
account's tree where the admin holds roles.assign (a bounded list, the highest levels first:
a grant covers the organizations below it) and only the roles the admin could hand out on at
least one of them. Every rule is enforced again by access.actions.grant_role / revoke_role
(no escalation, no protected roles, not one's own roles, recent sign-in); their refusals are
shown as messages.
"""

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orgdesk.access.actions import GrantError, grant_role, revoke_role
from orgdesk.access.models import RoleAssignment
from orgdesk.access.protection import may_grant
from orgdesk.access.scoping import authority
from orgdesk.access.selectors import (
    assignable_organizations,
    find_role,
    grants_shown,
    roles_by_name,
)
from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest

ORDERING = Ordering("granted", "created")
# The organization select of "Assign role" stays short; past this many it says the list is cut.
MAX_ORGANIZATION_CHOICES = 200


def _is_self(request: AdminRequest, detail: Detail) -> bool:
    return request.actor.is_account(detail.account)


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    built = detail.page(grants_shown(request.actor, detail.account), ORDERING, tab="roles")
    own = _is_self(request, detail)
    # An account holding more than the admin is read-only to them (access/protection.py).
    locked = own or detail.standing.read_only
    for assignment in built["page"].rows:
        assignment.revocable = not locked and may_grant(
            request.actor, assignment.organization, assignment.role
        )
    built["own_account"] = own
    if locked:
        return built
    organizations = list(
        assignable_organizations(request.actor, detail.home).order_by("depth", "path")[
            : MAX_ORGANIZATION_CHOICES + 1
        ]
    )
    if not organizations:
        return built
    built["organizations_cut"] = len(organizations) > MAX_ORGANIZATION_CHOICES
    organizations = sorted(organizations[:MAX_ORGANIZATION_CHOICES], key=lambda o: o.route)
    roles = list(roles_by_name())
    offered = [r for r in roles if any(may_grant(request.actor, o, r) for o in organizations)]
    if offered:
        built.update(
            assign_organizations=organizations,
            assign_roles=offered,
            max_organizations=MAX_ORGANIZATION_CHOICES,
            actions_template="portal/account/tabs/_roles_assign.html",
        )
    return built


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _require_some_assign(request: AdminRequest, detail: Detail) -> None:
    """403 unless the admin may assign roles somewhere in the account's tree."""
    if not assignable_organizations(request.actor, detail.home).exists():
        raise PermissionDenied(gettext("You may not assign roles in this organization."))


@portal_login_required
@require_POST
def assign(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    _require_some_assign(request, detail)
    account = detail.account

    def run() -> RoleAssignment:
        key = _uuid(request.POST.get("organization", ""))
        organization = (
            assignable_organizations(request.actor, detail.home).filter(pk=key).first()
            if key
            else None
        )
        if organization is None:
            raise ValidationError(gettext("Choose an organization from the list."))
        key = _uuid(request.POST.get("role", ""))
        role = find_role(key) if key else None
        if role is None:
            raise ValidationError(gettext("Choose a role from the list."))
        try:
            assignment, created = grant_role(
                actor=request.actor,
                account=account,
                organization=organization,
                role=role,
                reason=request.POST.get("reason", ""),
            )
        except GrantError as exc:
            raise ValidationError(str(exc)) from None
        if not created:
            raise ValidationError(
                gettext("%(name)s already holds the role %(role)s on %(organization)s.")
                % {
                    "name": account.get_full_name(),
                    "role": role.display_name,
                    "organization": organization,
                }
            )
        return assignment

    return act(
        detail,
        "roles",
        run,
        lambda assignment: (
            gettext("Role %(role)s granted to %(name)s on %(organization)s.")
            % {
                "role": assignment.role.display_name,
                "name": account.get_full_name(),
                "organization": assignment.organization,
            }
        ),
    )


@portal_login_required
@require_POST
def revoke(request: AdminRequest, org: str, pk: Any, assignment: int) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    found = (
        grants_shown(request.actor, detail.account)
        .select_related("account")
        .filter(pk=assignment)
        .first()
    )
    if found is None:
        raise Http404("No such role assignment.")
    if not authority(request.actor).can("roles.assign", found.organization):
        raise PermissionDenied(gettext("You may not revoke roles on this organization."))
    account = detail.account
    return act(
        detail,
        "roles",
        lambda: revoke_role(
            actor=request.actor, assignment=found, reason=request.POST.get("reason", "")
        ),
        gettext("Role %(role)s revoked from %(name)s on %(organization)s.")
        % {
            "role": found.role.display_name,
            "name": account.get_full_name(),
            "organization": found.organization,
        },
    )


TAB = Tab(
    slug="roles",
    label=_("Roles"),
    permission="roles.view",
    template="portal/account/tabs/roles.html",
    context=context,
)

urlpatterns: list[Any] = [
    path("roles/assign", assign, name="account_roles_assign"),
    path("roles/<int:assignment>/revoke", revoke, name="account_roles_revoke"),
]
