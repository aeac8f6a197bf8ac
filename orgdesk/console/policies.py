"""Policies > Security in the console: the brand-wide security policy (a second factor for
every administrator: security.actions.update_security_policy, as `orgdesk policy` sets it),
beside the session and sign-in limits the operator sets in the environment."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgdesk.console.access import console_view
from orgdesk.console.shell import console_context
from orgdesk.portal.views import step_up_required
from orgdesk.security.actions import update_security_policy
from orgdesk.security.middleware import AdminRequest
from orgdesk.security.models import SecurityPolicy


class SecurityPolicyForm(forms.Form):
    require_admin_mfa = forms.BooleanField(
        label=gettext_lazy("Require a second factor for every administrator"), required=False
    )


@console_view
@step_up_required(return_to="console:security_policy")
def security_policy(request: AdminRequest) -> HttpResponse:
    policy = SecurityPolicy.current()
    form = SecurityPolicyForm(
        request.POST or None, initial={"require_admin_mfa": policy.require_admin_mfa}
    )
    if request.method == "POST" and form.is_valid():
        update_security_policy(
            actor=request.actor, require_admin_mfa=form.cleaned_data["require_admin_mfa"]
        )
        messages.success(request, _("The security policy was saved."))
        return redirect("console:security_policy")
    limits = settings.ORGDESK_THROTTLE
    return render(
        request,
        "console/policies/security.html",
        {
            **console_context(request, "security"),
            "form": form,
            "policy": policy,
            "idle_minutes": settings.ORGDESK_SESSION_IDLE_MINUTES,
            "max_hours": settings.ORGDESK_SESSION_MAX_HOURS,
            "step_up_minutes": settings.ORGDESK_STEP_UP_MINUTES,
            "limits": limits,
        },
    )
