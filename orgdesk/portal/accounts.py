"""The Accounts tab: list (filter, search, scope, keyset pages), create, and the row actions."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from orgdesk.access.actor import Actor
from orgdesk.access.protection import standing, standings
from orgdesk.access.scoping import access_account, authority, require, restrict
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.filters import (
    MIN_SUBSTRING,
    AccountFilter,
    parse_search,
    search,
    search_keys,
)
from orgdesk.accounts.models import Account, Group
from orgdesk.core.listing import BadCursor, Ordering, paginate
from orgdesk.organizations.models import Organization
from orgdesk.portal.listview import list_response, page_size, remember_view, saved_view_redirect
from orgdesk.portal.shell import current_organization, preferences, shell_context
from orgdesk.portal.views import portal_login_required, step_up_required
from orgdesk.security import actions as security_actions
from orgdesk.security.stepup import StepUpRequired

ORDERINGS = {
    "last_login": Ordering("last_login", "last_login", nullable=True),
    "created": Ordering("created", "created"),
}
# Query parameters that describe a view (remembered); cursor and the like are not.
VIEW_PARAMS = {"q", "scope", "order", *AccountFilter.base_filters}
VIEW_KEY = "accounts"
MAX_QUERY = 100
MAX_GROUP_CHOICES = 50


def _clean_params(params: QueryDict) -> dict[str, str]:
    return {k: v for k, v in params.items() if k in VIEW_PARAMS and v.strip()}


def _scope_options(organization: Any) -> bool:
    """A search across descendants is offered where identifiers are unique in the tree."""
    return organization.root_hierarchy_unique()


@portal_login_required
def accounts_list(request: HttpRequest, org: str) -> HttpResponse:
    organization = current_organization(request, org)
    require(request.actor, "accounts.view", organization)
    pref = preferences(request.user)
    here = reverse("portal:accounts", args=[organization.key])
    back_to_saved = saved_view_redirect(request, pref, VIEW_KEY, here)
    if back_to_saved is not None:
        return back_to_saved

    problems: list[str] = []
    params = request.GET
    size = page_size(params, pref, problems)

    tree_scope = _scope_options(organization)
    applied = _clean_params(params)  # what the page actually shows, for links and memory
    scope = params.get("scope") or ("tree" if tree_scope else "org")
    if scope not in ("org", "tree") or (scope == "tree" and not tree_scope):
        applied.pop("scope", None)
        problems.append(_("Unknown search scope; showing this organization only."))
        scope = "org"
    order_key = params.get("order", "last_login")
    if order_key not in ORDERINGS:
        problems.append(_("Unknown sort order; sorted by last login."))
        applied.pop("order", None)
        order_key = "last_login"

    base = restrict(
        request.actor,
        "accounts.view",
        Account.objects.select_related("organization"),
        within=organization,
    )
    if scope == "org":
        base = base.filter(organization=organization)

    # Groups of this organization and the level below it: a short list to pick from.
    groups = Group.objects.filter(
        pk__in=restrict(request.actor, "groups.view", Group, within=organization)
        .filter(organization__depth__lte=organization.depth + 1)
        .order_by("organization__depth", "organization__name", "name")
        .values("pk")[:MAX_GROUP_CHOICES]
    ).select_related("organization")
    filterset = AccountFilter(params, queryset=base, actor=request.actor, groups=groups)
    if filterset.is_valid():
        qs = filterset.qs
    else:
        qs = base
        labels = [str(filterset.form.fields[name].label) for name in filterset.errors]
        for name in filterset.errors:
            applied.pop(name, None)
        problems.append(
            _("These filters were not valid and were ignored: %(names)s.")
            % {"names": ", ".join(labels)}
        )
        filterset = AccountFilter(None, queryset=base, actor=request.actor, groups=groups)
    q = params.get("q", "")
    if len(q) > MAX_QUERY:
        problems.append(_("The search text is too long (at most 100 characters)."))
        q = ""
        applied.pop("q", None)
    elif "\x00" in q:
        problems.append(_("The search text contains characters that cannot be searched."))
        q = ""
        applied.pop("q", None)
    wanted = parse_search(q)
    if wanted is not None and wanted.too_short:
        problems.append(
            _("Text anywhere in a name needs at least 3 characters; searched as a beginning.")
        )
    qs = search(qs, wanted)
    ordering = ORDERINGS[order_key]
    keys = None
    if wanted is not None and not filterset.active:
        # Search alone: answered from the per-organization covering indexes (search_keys).
        organizations = restrict(request.actor, "accounts.view", Organization, within=organization)
        if scope == "org":
            organizations = organizations.filter(pk=organization.pk)
        keys = search_keys(organizations, wanted, ordering)

    try:
        page = paginate(qs, ordering, size=size, cursor=params.get("cursor") or None, keys=keys)
    except BadCursor:
        problems.append(_("That page link is no longer valid; showing the first page."))
        page = paginate(qs, ordering, size=size, keys=keys)
    prefetch_related_objects(page.rows, "identities")
    _label_rows(page.rows)
    _row_permissions(
        request.actor, page.rows, authority(request.actor).permissions_in(organization)
    )

    remembered = applied
    # A view with problems is shown (minus what was wrong) but not remembered.
    if not problems and "just_created" not in params:
        remember_view(pref, VIEW_KEY, remembered)

    view_query = urlencode(sorted(remembered.items()))
    context = {
        **shell_context(request, organization, "accounts"),
        "page": page,
        "filterset": filterset,
        "q": q,
        "scope": scope,
        "tree_scope": tree_scope,
        "order": order_key,
        "size": size,
        "problems": problems,
        "active_filters": filterset.active,
        "view_query": view_query,
        "base_url": here,
        # Row links are this prefix plus the account id: reversing three URLs on each of 100
        # rows was a visible part of the page time. tests/test_accounts_tab.py checks that
        # the links resolve to the detail and action views.
        "account_base": f"{here}/",
        "page_url": lambda cursor: f"{here}?{urlencode({**remembered, 'cursor': cursor})}",
    }
    if wanted is not None and wanted.kind == "prefix" and len(wanted.text) >= MIN_SUBSTRING:
        # A search matches beginnings; offer the same text anywhere in names (*text*).
        context["search_text"] = wanted.text
        context["anywhere_url"] = f"{here}?{urlencode({**remembered, 'q': f'*{wanted.text}*'})}"
    context["next_url"] = context["page_url"](page.next_cursor) if page.next_cursor else ""
    context["prev_url"] = context["page_url"](page.prev_cursor) if page.prev_cursor else ""
    return list_response(
        request,
        context,
        page_template="portal/accounts/list.html",
        fragment_template="portal/accounts/_results.html",
        here=here,
        view_query=view_query,
        page_url=context["page_url"],
        has_rows=bool(page.rows),
    )


def _label_rows(rows: list[Account]) -> None:
    """Each row's menu label and confirmation, translated once per page: two blocktranslate
    tags on each of up to 100 rows were a visible part of the fragment's time."""
    actions_for = _("Actions for %(name)s")
    sign_out = _(
        "Sign %(name)s out of every session? The account and its credentials stay as they are."
    )
    for account in rows:
        name = {"name": account.get_full_name()}
        account.actions_label = actions_for % name
        account.clear_sessions_confirm = sign_out % name


ROW_ACTIONS = frozenset({"accounts.edit", "accounts.set_password", "sessions.clear"})


def _row_permissions(actor: Actor, rows: list[Account], perms: frozenset[str]) -> None:
    """What each row's menu offers: the permissions held here, less what the account's own
    standing forbids (access/protection.py: one query for the page)."""
    if not perms & ROW_ACTIONS:
        for account in rows:
            account.row_perms = perms
        return
    found = standings(actor, rows)
    for account in rows:
        account.row_perms = found[account.pk].allowed(perms)


# ---- create ----------------------------------------------------------------------------------


class CreateAccountForm(forms.Form):
    PASSWORD_SET = "set"  # noqa: S105 (a choice value)
    PASSWORD_LINK = "link"  # noqa: S105 (a choice value)

    email = forms.EmailField(label=gettext_lazy("Email"), required=False, max_length=254)
    username = forms.CharField(label=gettext_lazy("Username"), required=False, max_length=150)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("International format, such as +33612345678."),
    )
    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)
    password_choice = forms.ChoiceField(
        label=gettext_lazy("Password"),
        choices=[
            (PASSWORD_LINK, gettext_lazy("Email a link to set a password")),
            (PASSWORD_SET, gettext_lazy("Set an initial password")),
        ],
        initial=PASSWORD_LINK,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("password_choice")
        if choice == self.PASSWORD_SET and not data.get("password"):
            self.add_error("password", _("Enter the initial password."))
        if choice == self.PASSWORD_LINK and not data.get("email"):
            self.add_error("email", _("A set-password link needs an email address."))
        return data


@portal_login_required
def account_create(request: HttpRequest, org: str) -> HttpResponse:
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
            query = urlencode({"account_id": str(account.pk), "just_created": "1"})
            return redirect(f"{listing}?{query}")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/accounts/create.html",
        {**shell_context(request, organization, "accounts"), "form": form},
        status=status,
    )


def _attach_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error("password" if "password" in str(exc.messages) else None, exc.messages)


def _send_set_password_link(request: HttpRequest, account: Account) -> None:
    from orgdesk.accounts.passwords import PasswordLinkError, send_password_link

    try:
        send_password_link(actor=request.actor, account=account, purpose="set_password")
    except PasswordLinkError as exc:
        messages.warning(request, str(exc))
    else:
        messages.info(
            request, _("A link to set a password was sent to %(email)s.") % {"email": account.email}
        )


# ---- row actions -----------------------------------------------------------------------------


class EditAccountForm(forms.ModelForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Account
        fields = ["username", "email", "phone", "given_name", "family_name", "display_name"]

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].label = gettext_lazy("Reason for changing identifiers")
            self.fields["reason"].help_text = gettext_lazy(
                "This account holds an organization role: changing its username, email or "
                "phone needs a reason, kept in its activity."
            )


@portal_login_required
def account_edit(request: HttpRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
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
                    account=Account.objects.select_related("organization").get(pk=account.pk),
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


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"), required=False, max_length=500
    )


@portal_login_required
@step_up_required(return_to="portal:home")
def account_password(request: HttpRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
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
def account_clear_sessions(request: HttpRequest, org: str, pk: str) -> HttpResponse:
    organization = current_organization(request, org)
    account = access_account(request.actor, pk, "accounts.view")
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
