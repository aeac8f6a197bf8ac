from django.urls import include, path

from orgdesk.portal import accounts, bulk_invitations, details, invitations, prefs, views
from orgdesk.portal.details import registry as detail_tabs

app_name = "portal"

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("login/verify", views.verify_view, name="verify"),
    path("login/passkey-options", views.signin_passkey_options, name="signin_passkey_options"),
    path("logout", views.logout_view, name="logout"),
    path("step-up", views.step_up_view, name="step_up"),
    path("step-up/passkey-options", views.stepup_passkey_options, name="passkey_assert_options"),
    path("security", views.security_view, name="security"),
    path("security/totp", views.totp_view, name="totp"),
    path("security/recovery-codes", views.recovery_codes_view, name="recovery_codes"),
    path("security/passkey-options", views.passkey_options_view, name="passkey_options"),
    path("security/passkey", views.passkey_register_view, name="passkey_register"),
    path("security/remove/<uuid:pk>", views.remove_own_view, name="remove_own"),
    path("preferences/theme", prefs.set_theme, name="set_theme"),
    path("preferences/pin/<slug:org>", prefs.toggle_pin, name="toggle_pin"),
    path("organizations/search", prefs.search_organizations, name="search_organizations"),
    path("", views.home_view, name="home"),
    path("<slug:org>/", views.organization_view, name="organization"),
    path("<slug:org>/accounts", accounts.accounts_list, name="accounts"),
    path("<slug:org>/accounts/new", accounts.account_create, name="account_create"),
    path("<slug:org>/accounts/<uuid:pk>/edit", accounts.account_edit, name="account_edit"),
    path(
        "<slug:org>/accounts/<uuid:pk>/password", accounts.account_password, name="account_password"
    ),
    path(
        "<slug:org>/accounts/<uuid:pk>/clear-sessions",
        accounts.account_clear_sessions,
        name="account_clear_sessions",
    ),
    path("<slug:org>/accounts/<uuid:pk>", details.account_detail, name="account"),
    path("<slug:org>/accounts/<uuid:pk>/", include(detail_tabs.urlpatterns)),
    path("<slug:org>/accounts/<uuid:pk>/<slug:tab>", details.account_detail, name="account_tab"),
    path("<slug:org>/invitations", invitations.invitations_list, name="invitations"),
    path("<slug:org>/invitations/new", invitations.invitation_create, name="invitation_create"),
    path("<slug:org>/invitations/bulk", bulk_invitations.bulk_invite, name="bulk_invite"),
    path("<slug:org>/invitations/bulk/", include(bulk_invitations.urlpatterns)),
    path("<slug:org>/invitations/<uuid:pk>", invitations.invitation_detail, name="invitation"),
    path(
        "<slug:org>/invitations/<uuid:pk>/resend",
        invitations.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "<slug:org>/invitations/<uuid:pk>/delete",
        invitations.invitation_delete,
        name="invitation_delete",
    ),
]
