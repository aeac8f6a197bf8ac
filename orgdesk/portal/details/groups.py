"""Groups tab: the groups the account belongs to; adding it to a group, removing it from one.

Which groups are listed: every membership of the account whose group the admin may see
(restrict("groups.view") on both the membership and the group), wherever it sits in the tree,
so a membership is never hidden merely because of the organization in view.

Which groups the account may join: the groups of its own organization and of the
organizations above it, up to the organization in view, among those the admin manages
(restrict("groups.manage", within=the organization in view)). A group of a sibling branch
would make the account a member of a part of the tree it does not belong to; a group above
the organization in view lies outside the part of the tree the admin is working in. The
action (accounts.actions.add_to_group) enforces the tree rule and the permission itself.
"""

import uuid
from itertools import groupby
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orgdesk.access.scoping import authority, require
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Group
from orgdesk.accounts.selectors import (
    groups_to_join,
    joinable_groups,
    memberships_shown,
    visible_group,
)
from orgdesk.core.listing import Ordering
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest

ORDERING = Ordering("joined", "created")
# The "Add to group" select stays short; past this many groups it says the list is cut.
MAX_GROUP_CHOICES = 200


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    built = detail.page(memberships_shown(request.actor, detail.account), ORDERING, tab="groups")
    auth = authority(request.actor)
    built["can_manage"] = detail.can("groups.manage")
    for membership in built["page"].rows:
        membership.removable = built["can_manage"] and auth.can(
            "groups.manage", membership.group.organization
        )
    if built["can_manage"]:
        choices = list(
            groups_to_join(request.actor, detail.account, detail.organization)[
                : MAX_GROUP_CHOICES + 1
            ]
        )
        built["choices_cut"] = len(choices) > MAX_GROUP_CHOICES
        built["max_choices"] = MAX_GROUP_CHOICES
        choices = choices[:MAX_GROUP_CHOICES]
        # One <optgroup> per organization, the account's own organization last (nearest).
        built["group_choices"] = [
            (organization, list(groups))
            for organization, groups in groupby(choices, key=lambda g: g.organization)
        ]
        built["actions_template"] = "portal/account/tabs/_groups_add.html"
    return built


def _chosen_group(request: AdminRequest, detail: Detail) -> Group:
    try:
        key = uuid.UUID(request.POST.get("group", ""))
    except ValueError:
        key = None
    group = (
        joinable_groups(request.actor, detail.account, detail.organization).filter(pk=key).first()
        if key
        else None
    )
    if group is None:
        raise ValidationError(gettext("Choose a group from the list."))
    return group


@portal_login_required
@require_POST
def add(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    require(request.actor, "groups.manage", detail.home)
    account = detail.account

    def run() -> Group:
        group = _chosen_group(request, detail)
        account_actions.add_to_group(actor=request.actor, account=account, group=group)
        return group

    return act(
        detail,
        "groups",
        run,
        lambda group: (
            gettext("%(name)s added to %(group)s.")
            % {"name": account.get_full_name(), "group": group.name}
        ),
    )


@portal_login_required
@require_POST
def remove(request: AdminRequest, org: str, pk: Any, group: uuid.UUID) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    require(request.actor, "groups.manage", detail.home)
    found = visible_group(request.actor, group)
    if found is None:
        raise Http404("No such group.")
    account = detail.account
    return act(
        detail,
        "groups",
        lambda: account_actions.remove_from_group(
            actor=request.actor, account=account, group=found
        ),
        gettext("%(name)s removed from %(group)s.")
        % {"name": account.get_full_name(), "group": found.name},
    )


TAB = Tab(
    slug="groups",
    label=_("Groups"),
    permission="groups.view",
    template="portal/account/tabs/groups.html",
    context=context,
)

urlpatterns: list[Any] = [
    path("groups/add", add, name="account_groups_add"),
    path("groups/<uuid:group>/remove", remove, name="account_groups_remove"),
]
