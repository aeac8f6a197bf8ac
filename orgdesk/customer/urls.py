from django.urls import path

from orgdesk.customer import enrolment, sessions, verify, views

app_name = "customer"

urlpatterns = [
    # The signed-in customer's page (customer/sessions.py) and signing out.
    path("", sessions.account_view, name="account"),
    path("sign-out", sessions.sign_out_view, name="account_sign_out"),
    path("password/done", views.password_done_view, name="password_done"),
    # <token> is either the emailed token (moved into the session, then redirected away) or
    # views.SET_TOKEN: the token-less address the form lives at.
    path("password/<str:uidb64>/<str:token>", views.password_link_view, name="password_link"),
    # Enrolment links (authenticator app or passkey), built like the password link above:
    # enrol/<token> moves the token into the session and redirects to enrol/set.
    path("enrol/done", enrolment.enrol_done_view, name="enrol_done"),
    path("enrol/set", enrolment.enrol_view, name="enrol"),
    path(
        "enrol/passkey/options",
        enrolment.enrol_passkey_options_view,
        name="enrol_passkey_options",
    ),
    path(
        "enrol/passkey/register",
        enrolment.enrol_passkey_register_view,
        name="enrol_passkey_register",
    ),
    path("enrol/<str:token>", enrolment.enrol_link_view, name="enrol_link"),
    # The email verification link (accounts/identifiers.py), built the same way.
    path("verify-email/<str:uidb64>/<str:token>", verify.verify_email_view, name="verify_email"),
]
