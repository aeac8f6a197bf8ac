"""Overview tab: the account summary (identifiers, edited in place; sign-in facts; recent
activity), personal information (names, address, profile picture) and the account actions:
disable or enable, and emailing a password reset link.

Both edit forms carry the `updated` time of the account they were built from: a form sent
after the account changed writes nothing and says so, and a form sent twice finds nothing
left to change ("Nothing changed") instead of recording the same update again. Errors are
shown on the fields, in the page; a successful save redirects back to the tab (post,
redirect, get).
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_countries import countries

from orgdesk.access.scoping import require
from orgdesk.accounts import actions as account_actions
from orgdesk.accounts.models import Account
from orgdesk.accounts.passwords import latest_link_id
from orgdesk.accounts.pictures import MAX_UPLOAD_BYTES, Picture, process_upload
from orgdesk.accounts.validation import normalize_phone
from orgdesk.core.formfields import LanguageField, LocalDateField, language_name
from orgdesk.notifications.selectors import link_lifetime_minutes
from orgdesk.portal.details import Detail, Tab, act, detail_for
from orgdesk.portal.views import portal_login_required
from orgdesk.security.middleware import AdminRequest

TAB_SLUG = "overview"
REQUEST_FORMS = "_overview_forms"  # bound forms with errors, for the re-rendered tab
PICTURE_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg"}
ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
OLDEST_BIRTHDATE = dt.date(1900, 1, 1)


# ---- forms -------------------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """A form about one account, remembering the account's `updated` time it was built from."""

    version = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This form is out of date. Reload the page.")},
    )
    FIELDS: tuple[str, ...] = ()

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {
                **{name: getattr(account, name) for name in self.FIELDS},
                "version": account.updated.isoformat(),
                **kwargs["initial"],
            }
        super().__init__(*args, **kwargs)
        self.account = account
        self.problems: list[str] = []  # said above the form, also on an unbound one

    def clean_version(self) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(self.cleaned_data["version"])
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise ValidationError(gettext("This form is out of date. Reload the page."))
        return value

    def changes(self, current: Account) -> dict[str, Any]:
        """The fields whose submitted value differs from `current` (the account as it is now)."""
        out = {}
        for name in self.FIELDS:
            value = self.cleaned_data.get(name)
            if value is None and isinstance(getattr(current, name), str):
                value = ""
            if value != getattr(current, name):
                out[name] = value
        return out


class IdentifiersForm(VersionedForm):
    FIELDS = ("username", "email", "phone")

    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=32,
        help_text=_("International format, such as +33612345678."),
    )

    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reason_required:
            # An administrator's identifiers (access/protection.py): the reason is required.
            field = self.fields["reason"]
            field.required = True
            field.label = _("Reason (required)")
            field.help_text = _(
                "This account holds an organization role: the reason is kept in its activity."
            )

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not any(data.get(name) for name in self.FIELDS):
            raise ValidationError(
                gettext("An account needs at least one identifier: email, username or phone.")
            )
        return data


def country_choices(current: str = "") -> list[tuple[str, str]]:
    choices = [("", gettext("No country")), *((c.code, c.name) for c in countries)]
    if current and current not in dict(choices):
        choices.append((current, current))  # a code the list no longer knows stays as it is
    return choices


class ProfileForm(VersionedForm):
    FIELDS = (
        "given_name",
        "family_name",
        "display_name",
        "birthdate",
        "locale",
        "street",
        "city",
        "region",
        "postal_code",
        "country",
    )
    SECTIONS = (
        (_("Name"), ("given_name", "family_name", "display_name", "birthdate", "locale")),
        (_("Address"), ("street", "city", "region", "postal_code", "country")),
    )

    given_name = forms.CharField(label=_("Given name"), required=False, max_length=150)
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=150)
    display_name = forms.CharField(
        label=_("Display name"),
        required=False,
        max_length=300,
        help_text=_("Left empty, the given and family names are used."),
    )
    # Written in the admin's language's format, ISO accepted too (core.formfields).
    birthdate = LocalDateField(label=_("Birthdate"), required=False)
    # A choice of languages; a stored tag the list does not hold stays offered (keep()).
    locale = LanguageField(label=_("Preferred language"))
    street = forms.CharField(label=_("Street"), required=False, max_length=300)
    city = forms.CharField(label=_("City"), required=False, max_length=150)
    region = forms.CharField(label=_("Region"), required=False, max_length=150)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    country = forms.ChoiceField(label=_("Country"), required=False)
    picture = forms.FileField(
        label=_("Upload a picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT, "class": "file-picker-input"}),
    )
    remove_picture = forms.BooleanField(label=_("Remove the picture"), required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, account=account, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = country_choices(account.country)
        locale = self.fields["locale"]
        assert isinstance(locale, LanguageField)
        locale.keep(account.locale)
        self.fields["picture"].help_text = gettext(
            "PNG, JPEG, GIF or WebP, at most %(limit)d MB."
        ) % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
        # The chosen file's name (shown beside the button) and the hint describe the input.
        picture_id = self["picture"].auto_id
        self.fields["picture"].widget.attrs["aria-describedby"] = (
            f"{picture_id}_name {picture_id}_helptext"
        )

    def clean_birthdate(self) -> dt.date | None:
        value = self.cleaned_data.get("birthdate")
        if value and not (OLDEST_BIRTHDATE <= value <= timezone.localdate()):
            raise ValidationError(gettext("Enter a birthdate between 1900 and today."))
        return value

    def clean_picture(self) -> Picture | None:
        upload = self.cleaned_data.get("picture")
        return process_upload(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("picture") and data.get("remove_picture"):
            self.add_error(
                "remove_picture",
                gettext("Either upload a new picture or remove the current one, not both."),
            )
        return data

    def changes(self, current: Account) -> dict[str, Any]:
        out = super().changes(current)
        if out.get("display_name") == "":
            # An empty display name is stored as the given and family names (Account.save):
            # the same form sent again must not count that as a change.
            given = out.get("given_name", current.given_name)
            family = out.get("family_name", current.family_name)
            if current.display_name == " ".join(p for p in (given, family) if p):
                del out["display_name"]
        return out

    def sections(self) -> list[tuple[Any, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


# ---- the tab -----------------------------------------------------------------------------------


def picture_url(detail: Detail) -> str:
    account = detail.account
    name = account.picture.name  # a FieldFile is false exactly when its name is empty
    if not name:
        return ""
    url = reverse("portal:account_picture", args=[detail.organization.key, account.pk])
    # The file name changes with the picture: a new picture is a new address for caches.
    version = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].rsplit("-", 1)[-1]
    return f"{url}?v={version}"


def summary_rows(account: Account) -> list[tuple[Any, Any, str]]:
    """Label, value and kind of the facts under the identifiers."""
    return [
        (_("Logins"), account.login_count, "number"),
        (_("Last IP address"), account.last_ip or "", "code"),
        (_("Last login"), account.last_login, "time"),
        (_("Updated"), account.updated, "time"),
        (_("Created"), account.created, "time"),
    ]


def profile_rows(account: Account) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """The personal information as read-only sections (admins without accounts.edit)."""
    country = countries.name(account.country) or account.country if account.country else ""
    return [
        (
            _("Name"),
            [
                (_("Given name"), account.given_name),
                (_("Family name"), account.family_name),
                (_("Display name"), account.display_name),
                (_("Birthdate"), account.birthdate),
                (_("Preferred language"), language_name(account.locale)),
            ],
        ),
        (
            _("Address"),
            [
                (_("Street"), account.street),
                (_("City"), account.city),
                (_("Region"), account.region),
                (_("Postal code"), account.postal_code),
                (_("Country"), country),
            ],
        ),
    ]


def context(request: AdminRequest, detail: Detail) -> dict[str, Any]:
    account = detail.account
    bound = getattr(request, REQUEST_FORMS, {})
    can_edit = detail.can("accounts.edit")
    # An administrator's identifiers are sign-in methods (access/protection.py).
    edit_identifiers = can_edit and not detail.standing.sign_in_locked
    needs_reason = detail.standing.needs_reason
    recent = None
    if detail.can("activity.view"):
        from orgdesk.activity.visible import recent as recent_events

        recent = recent_events(request.actor, account)
    reset_minutes = None
    if detail.can("accounts.reset_password"):
        reset_minutes = link_lifetime_minutes("password_reset")
    return {
        "can_edit": can_edit,
        "identifiers_form": bound.get("identifiers")
        or IdentifiersForm(account=account, reason_required=needs_reason)
        if edit_identifiers
        else None,
        "profile_form": bound.get("profile") or ProfileForm(account=account) if can_edit else None,
        "identifiers_open": "identifiers" in bound,
        "summary_rows": summary_rows(account),
        "profile_rows": profile_rows(account),
        "picture_url": picture_url(detail),
        "recent": recent,
        "activity_url": detail.tab_url("activity") if detail.can("activity.view") else "",
        "is_self": request.actor.is_account(account),
        "can_disable": detail.can("accounts.disable"),
        "can_reset": detail.can("accounts.reset_password"),
        "reset_minutes": reset_minutes,
        "last_reset_link": latest_link_id(account, "password_reset")
        if detail.can("accounts.reset_password")
        else None,
    }


TAB = Tab(
    slug=TAB_SLUG,
    label=_("Overview"),
    permission="accounts.view",
    template="portal/account/tabs/overview.html",
    context=context,
)


# ---- edits -------------------------------------------------------------------------------------


def _rerender(
    request: AdminRequest, org: str, pk: Any, forms_: dict[str, Any], status: int
) -> HttpResponse:
    """The tab again, with the bound forms and their errors in place."""
    from orgdesk.portal.details import account_detail

    setattr(request, REQUEST_FORMS, forms_)
    response = account_detail(request, org, pk, TAB_SLUG)
    response.status_code = status
    return response


def _attach(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _save(
    request: AdminRequest, org: str, pk: Any, key: str, form_class: type[VersionedForm]
) -> HttpResponse:
    from orgdesk.security.stepup import StepUpRequired

    detail = detail_for(request, org, pk, "accounts.view")
    require(request.actor, "accounts.edit", detail.home)
    account = detail.account
    extra = {"reason_required": detail.standing.needs_reason} if key == "identifiers" else {}
    form = form_class(request.POST, request.FILES, account=account, **extra)
    if not form.is_valid():
        return _rerender(request, org, pk, {key: form}, 400)
    version = form.cleaned_data["version"]
    changes = form.changes(account)
    picture = form.cleaned_data.get("picture")
    if picture is not None and picture.is_current(account):
        picture = None  # the same picture again: a form sent twice
    remove = bool(form.cleaned_data.get("remove_picture")) and bool(account.picture)
    if not (changes or picture or remove):
        messages.info(request, gettext("Nothing changed."))
        return redirect(detail.tab_url(TAB_SLUG))
    try:
        account = account_actions.update_profile(
            actor=request.actor,
            account=account,
            changes=changes,
            picture=picture or None,
            remove_picture=remove,
            if_updated=version,
            reason=form.cleaned_data.get("reason", ""),
        )
    except StepUpRequired:
        # Nothing was written; the admin confirms their identity and sends the form again.
        messages.info(request, gettext("Confirm your identity, then repeat the action."))
        back = detail.tab_url(TAB_SLUG)
        return redirect(f"{reverse('portal:step_up')}?{urlencode({'next': back})}")
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or gettext("You may not do that."))
        return _rerender(request, org, pk, {key: form}, 403)
    except account_actions.AccountChanged as exc:
        # Show what the account holds now, with the reason nothing was saved.
        account.refresh_from_db()
        fresh = form_class(account=account)
        fresh.problems.extend(exc.messages)
        return _rerender(request, org, pk, {key: fresh}, 409)
    except ValidationError as exc:
        _attach(form, exc)
        return _rerender(request, org, pk, {key: form}, 400)
    count = len(changes) + (1 if (picture or remove) else 0)
    messages.success(
        request,
        ngettext(
            "Account updated: %(count)d change saved.",
            "Account updated: %(count)d changes saved.",
            count,
        )
        % {"count": count},
    )
    return redirect(detail.tab_url(TAB_SLUG))


@portal_login_required
@require_POST
def update_identifiers(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    return _save(request, org, pk, "identifiers", IdentifiersForm)


@portal_login_required
@require_POST
def update_profile(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    return _save(request, org, pk, "profile", ProfileForm)


# ---- account actions ---------------------------------------------------------------------------


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "")[:500]


def _set_status(request: AdminRequest, org: str, pk: Any, *, enable: bool) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    require(request.actor, "accounts.disable", detail.home)
    account = detail.account
    action = account_actions.enable_account if enable else account_actions.disable_account
    name = {"name": account.get_full_name() or account.primary_identifier}
    done = (
        gettext("%(name)s is enabled again.")
        if enable
        else gettext("%(name)s is disabled and signed out everywhere.")
    )
    return act(
        detail,
        TAB_SLUG,
        lambda: action(actor=request.actor, account=account, reason=_reason(request)),
        done % name,
    )


@portal_login_required
@require_POST
def disable(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    return _set_status(request, org, pk, enable=False)


@portal_login_required
@require_POST
def enable(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    return _set_status(request, org, pk, enable=True)


def _posted_link(request: HttpRequest) -> int | None:
    raw = request.POST.get("last_link", "")
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(gettext("This form is out of date. Reload the page.")) from None


@portal_login_required
@require_POST
def reset_password(request: AdminRequest, org: str, pk: Any) -> HttpResponse:
    detail = detail_for(request, org, pk, "accounts.view")
    require(request.actor, "accounts.reset_password", detail.home)
    account = detail.account

    def run() -> Any:
        return account_actions.send_password_reset(
            actor=request.actor,
            account=account,
            reason=_reason(request),
            after_link=_posted_link(request),
        )

    def outcome(notification: Any) -> str:
        if notification is None:
            return gettext(
                "A password reset link was sent to this account moments ago; no other link was "
                "sent. Reload the page to send a new one."
            )
        return gettext("A password reset link was sent to %(email)s.") % {
            "email": notification.target
        }

    return act(detail, TAB_SLUG, run, outcome)


@portal_login_required
@require_GET
def picture(request: AdminRequest, org: str, pk: Any) -> FileResponse:
    """The profile picture, for admins who may view the account (pictures are personal data:
    they are not published under MEDIA_URL)."""
    detail = detail_for(request, org, pk, "accounts.view")
    name = detail.account.picture.name or ""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if not name or suffix not in PICTURE_TYPES:
        raise Http404("No picture.")
    try:
        handle = detail.account.picture.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("No picture.") from None
    response = FileResponse(handle, content_type=PICTURE_TYPES[suffix])
    response["Content-Disposition"] = "inline"
    # A face is personal data: not kept in the browser's cache (on a shared computer, after
    # sign-out) any more than the page showing it; "private, no-cache" would still store it.
    # security.middleware.NoStoreMiddleware says no-store for every portal response; said
    # here too, so it holds wherever this view is mounted.
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[Any] = [
    path("overview/identifiers", update_identifiers, name="account_update_identifiers"),
    path("overview/profile", update_profile, name="account_update_profile"),
    path("overview/disable", disable, name="account_disable"),
    path("overview/enable", enable, name="account_enable"),
    path("overview/reset-password", reset_password, name="account_reset_password"),
    path("overview/picture", picture, name="account_picture"),
]
