"""The console's Applications section's URLs (included by console/urls.py, names in its
namespace)."""

from django.urls import URLPattern, path

from orgdesk.console import applications

# "new" before the client IDs: it is reserved, no application is given it as its client ID.
urlpatterns: list[URLPattern] = [
    path("", applications.application_list, name="applications"),
    path("new", applications.application_create, name="application_create"),
    path("<slug:app>", applications.application_detail, name="application"),
    path("<slug:app>/delete", applications.application_delete, name="application_delete"),
]
