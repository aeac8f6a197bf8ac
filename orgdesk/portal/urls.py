from django.urls import path

from orgdesk.portal import views

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
    path("", views.home_view, name="home"),
    path("<slug:org>/", views.organization_view, name="organization"),
]
