"""The console's Applications section: every application (each is its own client) with its
organizations setting and how many organizations use it; an application's page (details,
redirect URIs, the edit form); create one; delete one that nothing uses. Every write is an
organizations.applications function (brand-only, with its event in the same transaction)."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.branding.models import BrandingPolicy
from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.organizations import applications
from orgdesk.organizations.applications import (
    CLIENT_ID_MAX_LENGTH,
    MAX_REDIRECT_URIS,
    NAME_MAX_LENGTH,
    REDIRECT_URI_MAX_LENGTH,
    ApplicationError,
)
from orgdesk.organizations.models import Application
from orgdesk.portal.views import step_up_required
from orgdesk.security.middleware import AdminRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# ---- forms ---------------------------------------------------------------------------------


def _kind_choices(current: str | None = None) -> "list[tuple[str, StrOrPromise]]":
    """The kinds an application may be given: the Organization portal kind is the built-in
    one's alone (shown only where it is the current kind)."""
    return [
        (value, label)
        for value, label in Application.Kind.choices
        if value != Application.Kind.PORTAL or value == current
    ]


def _field_error(exc: ApplicationError) -> forms.ValidationError:
    return forms.ValidationError(str(exc))


class _ApplicationFields(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX_LENGTH)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=_kind_choices)
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs"),
        required=False,
        # every URI at its longest, each on its line
        max_length=MAX_REDIRECT_URIS * (REDIRECT_URI_MAX_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "One per line, at most 20. Each an absolute https URL without a fragment (#); "
            "http is allowed for localhost and 127.0.0.1 only."
        ),
    )

    def clean_name(self) -> str:
        try:
            return applications.clean_name(self.cleaned_data["name"])
        except ApplicationError as exc:
            raise _field_error(exc) from None

    def clean_redirect_uris(self) -> list[str]:
        try:
            return applications.clean_redirect_uris(self.cleaned_data["redirect_uris"].splitlines())
        except ApplicationError as exc:
            raise _field_error(exc) from None


class ApplicationCreateForm(_ApplicationFields):
    field_order = ["name", "client_id", "kind", "redirect_uris"]

    client_id = forms.CharField(
        label=gettext_lazy("Client ID"),
        max_length=CLIENT_ID_MAX_LENGTH,
        help_text=gettext_lazy(
            "Lowercase letters, digits, hyphens and underscores, e.g. acme-web. It cannot be "
            "changed later."
        ),
    )

    def clean_client_id(self) -> str:
        try:
            return applications.clean_client_id(self.cleaned_data["client_id"])
        except ApplicationError as exc:
            raise _field_error(exc) from None


class ApplicationForm(_ApplicationFields):
    branding_policy = forms.ModelChoiceField(
        label=gettext_lazy("Branding policy"),
        queryset=BrandingPolicy.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("None: the default branding policy"),
    )
    organizations_enabled = forms.BooleanField(
        label=gettext_lazy("Organizations enabled"),
        required=False,
        help_text=gettext_lazy(
            "On: organizations use this application and their members sign in through it. It "
            "cannot be turned off while an organization uses it."
        ),
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": application.name,
                "kind": application.kind,
                "redirect_uris": "\n".join(application.redirect_uris or []),
                "branding_policy": application.branding_policy_id,
                "organizations_enabled": application.organizations_enabled,
            },
        )
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = _kind_choices(application.kind)
        if application.builtin:
            # The built-in Organization Portal keeps its kind and its organizations.
            kind.disabled = True
            kind.help_text = _("The built-in Organization Portal keeps its kind.")
            enabled = self.fields["organizations_enabled"]
            enabled.disabled = True
            enabled.help_text = _(
                "Always on for the built-in Organization Portal: it is where organizations sign in."
            )


class ConfirmDeleteForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the application's client ID to confirm"),
        max_length=CLIENT_ID_MAX_LENGTH,
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        self.application = application
        super().__init__(*args, **kwargs)

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.application.client_id:
            raise forms.ValidationError(_("That is not the application's client ID."))
        return typed


def _refused(form: forms.Form, exc: ApplicationError) -> None:
    """The action's refusal, on its field when the form shows it, else on the form."""
    field = form.fields.get(exc.field or "")
    form.add_error(exc.field if field is not None and not field.disabled else None, str(exc))


# ---- views ---------------------------------------------------------------------------------


def _application(client_id: str) -> Application:
    application = applications.application_by_client_id(client_id)
    if application is None:
        raise Http404("No such application.")
    return application


def _bound(request: AdminRequest) -> Any:
    return request.POST if request.method == "POST" else None


@console_view
def application_list(request: AdminRequest) -> HttpResponse:
    return render(
        request,
        "console/applications/list.html",
        {**console_context(request, "applications"), "rows": applications.application_rows()},
    )


@console_view
def application_create(request: AdminRequest) -> HttpResponse:
    form = ApplicationCreateForm(_bound(request), initial={"kind": Application.Kind.WEB})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = applications.create_application(
                    actor=request.actor,
                    name=data["name"],
                    client_id=data["client_id"],
                    kind=data["kind"],
                    redirect_uris=data["redirect_uris"],
                )
            except ApplicationError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("%(name)s was created.") % {"name": application.name})
                return redirect("console:application", application.client_id)
        status = 400
    return render(
        request,
        "console/applications/create.html",
        {**console_context(request, "applications"), "form": form},
        status=status,
    )


def _page(request: AdminRequest, application: Application, **context: Any) -> dict[str, Any]:
    return {
        **console_context(request, "applications"),
        "application": application,
        "organization_count": applications.organization_count(application),
        **context,
    }


@console_view
def application_detail(request: AdminRequest, app: str) -> HttpResponse:
    application = _application(app)
    form = ApplicationForm(_bound(request), application=application)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = applications.update_application(
                    actor=request.actor,
                    application=application,
                    name=data["name"],
                    kind=data["kind"],
                    redirect_uris=data["redirect_uris"],
                    branding_policy=data["branding_policy"],
                    organizations_enabled=data["organizations_enabled"],
                )
            except ApplicationError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("The application was saved."))
                return redirect("console:application", application.client_id)
        status = 400
    return render(
        request,
        "console/applications/detail.html",
        _page(request, application, form=form, tab="general"),
        status=status,
    )


@console_view
@step_up_required(return_to="console:applications")
def application_delete(request: AdminRequest, app: str) -> HttpResponse:
    application = _application(app)
    form = ConfirmDeleteForm(_bound(request), application=application)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                applications.delete_application(actor=request.actor, application=application)
            except ApplicationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(name)s was deleted.") % {"name": application.name})
                return redirect("console:applications")
        status = 400
    return render(
        request,
        "console/applications/delete.html",
        _page(
            request,
            application,
            form=form,
            invitation_count=applications.invitation_count(application),
            tab="delete",
        ),
        status=status,
    )
