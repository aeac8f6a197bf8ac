"""The Accounts tab: list (filter, search, scope, keyset pages), create, and the row actions."""

import functools
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from orgdesk.access.actor import Actor
from orgdesk.access.protection import standing, standings
from orgdesk.access.scoping import access_account, authority, require
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.filters import MIN_SUBSTRING
from orgdesk.accounts.lists import ACCOUNTS
from orgdesk.accounts.models import Account
from orgdesk.accounts.selectors import account_with_organization, filter_groups
from orgdesk.lists import ListResult
from orgdesk.organizations.models import Organization
from orgdesk.portal.account_rows import account_rows, row_icons
from orgdesk.portal.forms import CreateAccountForm, EditAccountForm, SetPasswordForm
from orgdesk.portal.listview import list_page
from orgdesk.portal.shell import current_organization, shell_context
from orgdesk.portal.views import portal_login_required, step_up_required
from orgdesk.security import actions as security_actions
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.stepup import StepUpRequired

MAX_GROUP_CHOICES = 50


@portal_login_required
def accounts_list(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)

    def extra(result: ListResult, here: str) -> dict[str, Any]:
        return list_extra(request, organization, result, f"{here}/")

    return list_page(request, ACCOUNTS, organization, templates="portal/accounts", extra=extra)


def list_extra(
    request: AdminRequest, organization: Organization, result: ListResult, row_base: str
) -> dict[str, Any]:
    """What the Accounts list adds to the shared list page, wherever it is shown (the portal's
    tab, the console's): its rows written in Python, linking to `row_base` + id (the portal's
    account pages), the group choices, the offer to search anywhere in names."""
    # Read when the filter panel is rendered (the whole page), not for an htmx fragment:
    # templates call a callable, and the cache keeps it to one query.
    choices = functools.cache(lambda: _group_choices(request.actor, organization, result))
    perms = _row_permissions(
        request.actor, result.page.rows, authority(request.actor).permissions_in(organization)
    )
    context: dict[str, Any] = {
        "group_choices": choices,
        "row_icons": row_icons,
        "rows_html": account_rows(
            result.page.rows, perms, row_base=row_base, csrf_token=get_token(request)
        ),
    }
    wanted = result.wanted
    if wanted is not None and wanted.kind == "prefix" and len(wanted.text) >= MIN_SUBSTRING:
        # A search matches beginnings; offer the same text anywhere in names (*text*).
        here = request.path
        context["search_text"] = wanted.text
        context["anywhere_url"] = result.url(here, q=f"*{wanted.text}*")
    return context


def _group_choices(
    actor: Actor, organization: Organization, result: ListResult
) -> list[tuple[str, str]]:
    """The groups offered in the filter: this organization's and the level below's, a short
    list (any group the admin may see can still be named in the URL, and then is offered)."""
    groups = filter_groups(
        actor,
        organization,
        limit=MAX_GROUP_CHOICES,
        chosen=result.filterset.active.get("group"),
    )
    return [("", _("Any group"))] + [
        (str(g.pk), f"{g.name} · {g.organization.name}") for g in groups
    ]


ROW_ACTIONS = frozenset({"accounts.edit", "accounts.set_password", "sessions.clear"})


def _row_permissions(
    actor: Actor, rows: list[Account], perms: frozenset[str]
) -> dict[Any, frozenset[str]]:
    """What each row's menu offers, by key: the permissions held here, less what the
    account's own standing forbids (access/protection.py: one query for the page)."""
    if not perms & ROW_ACTIONS:
        return {account.pk: perms for account in rows}
    found = standings(actor, rows)
    return {account.pk: found[account.pk].allowed(perms) for account in rows}


# ---- create ----------------------------------------------------------------------------------


@portal_login_required
def account_create(request: AdminRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    require(request.actor, "accounts.create", organization)
    form = CreateAccountForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        choice = data.pop("password_choice")
        password = data.pop("password") or None
        try:
            if choice == form.PASSWORD_SET:
                from django.contrib.auth.password_validation import validate_password

                assert password is not None, "clean() requires a password for this choice"
                # checked against the new account's own names and identifiers too
                validate_password(password, user=Account(**data))
            account = account_actions.create_account(
                actor=request.actor,
                organization=organization,
                password=password if choice == form.PASSWORD_SET else None,
                **data,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
            status = 400
        else:
            if choice == form.PASSWORD_LINK:
                _send_set_password_link(request, account)
            messages.success(
                request, _("Account %(name)s created.") % {"name": account.get_full_name()}
            )
            listing = reverse("portal:accounts", args=[organization.key])
            query = urlencode({"account_id": str(account.pk)})
            return redirect(f"{listing}?{query}")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/accounts/create.html",
        {**shell_context(request, organization, "accounts"), "form": form},
        status=status,
    )


def _attach_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error("password" if "password" in str(exc.messages) else None, exc.messages)


def _send_set_password_link(request: AdminRequest, account: Account) -> None:
    from orgdesk.accounts.passwords import PasswordLinkError

    try:
        account_actions.send_password_link(
            actor=request.actor, account=account, purpose="set_password"
        )
    except PasswordLinkError as exc:
        messages.warning(request, str(exc))
    else:
        messages.info(
            request, _("A link to set a password was sent to %(email)s.") % {"email": account.email}
        )


# ---- row actions -----------------------------------------------------------------------------


@portal_login_required
def account_edit(request: AdminRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
    assert account.organization is not None, "a customer account belongs to an organization"
    require(request.actor, "accounts.edit", account.organization)
    found = standing(request.actor, account)
    if found.read_only:
        raise PermissionDenied(found.message)
    form = EditAccountForm(
        request.POST or None, instance=account, reason_required=found.needs_reason
    )
    if found.sign_in_locked:
        for name in ("username", "email", "phone"):
            form.fields[name].disabled = True
            form.fields[name].help_text = found.message
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changed = [name for name in form.changed_data if name != "reason"]
            try:
                account_actions.update_account(
                    actor=request.actor,
                    account=account_with_organization(account.pk),
                    changes={name: form.cleaned_data[name] for name in changed},
                    reason=form.cleaned_data["reason"],
                )
            except StepUpRequired:
                messages.info(request, _("Confirm your identity, then save again."))
                here = reverse("portal:account_edit", args=[organization.key, account.pk])
                return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': here})}")
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                _attach_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("Account details saved."))
                return redirect("portal:accounts", org=organization.key)
        else:
            status = 400
    return render(
        request,
        "portal/accounts/edit.html",
        {**shell_context(request, organization, "accounts"), "form": form, "account": account},
        status=status,
    )


@portal_login_required
@step_up_required(return_to="portal:home")
def account_password(request: AdminRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
    assert account.organization is not None, "a customer account belongs to an organization"
    require(request.actor, "accounts.set_password", account.organization)
    found = standing(request.actor, account)
    if found.read_only or found.sign_in_locked:
        raise PermissionDenied(found.message)
    form = SetPasswordForm(request.POST or None)
    if found.needs_reason:
        form.fields["reason"].required = True
        form.fields["reason"].label = _("Reason (required)")
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            account_actions.set_password(
                actor=request.actor,
                account=account,
                password=form.cleaned_data["password"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            field = "reason" if getattr(exc, "code", None) == "reason_required" else "password"
            form.add_error(field, exc.messages)
            status = 400
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("Password changed."))
            return redirect("portal:accounts", org=organization.key)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/accounts/password.html",
        {**shell_context(request, organization, "accounts"), "form": form, "account": account},
        status=status,
    )


@portal_login_required
@require_POST
def account_clear_sessions(request: AdminRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
    assert account.organization is not None, "a customer account belongs to an organization"
    require(request.actor, "sessions.clear", account.organization)
    listing = reverse("portal:accounts", args=[organization.key])
    try:
        cleared = security_actions.clear_sessions(
            actor=request.actor, account=account, reason=request.POST.get("reason", "")
        )
    except StepUpRequired:
        messages.info(request, _("Confirm your identity, then clear the sessions again."))
        return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': listing})}")
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
        return redirect(listing)
    messages.success(
        request,
        ngettext(
            "%(count)d session of %(name)s ended.",
            "%(count)d sessions of %(name)s ended.",
            cleared,
        )
        % {"count": cleared, "name": account.get_full_name()},
    )
    return redirect(listing)
