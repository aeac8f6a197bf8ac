from django.urls import path

from orgdesk.customer import views

app_name = "customer"

urlpatterns = [
    path("password/done", views.password_done_view, name="password_done"),
    # <token> is either the emailed token (moved into the session, then redirected away) or
    # views.SET_TOKEN: the token-less address the form lives at.
    path("password/<str:uidb64>/<str:token>", views.password_link_view, name="password_link"),
]
