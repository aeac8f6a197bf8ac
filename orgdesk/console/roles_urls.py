"""The console's Roles section's URLs (included by console/urls.py, names in its namespace)."""

from django.urls import URLPattern, path

from orgdesk.console import roles

urlpatterns: list[URLPattern] = [
    path("", roles.role_list, name="roles"),
    # before <slug:role>: no role takes the slug "new" (access.actions.RESERVED_ROLE_SLUGS)
    path("new", roles.role_create, name="role_create"),
    path("<slug:role>", roles.role_detail, name="role"),
    path("<slug:role>/delete", roles.role_delete, name="role_delete"),
]
