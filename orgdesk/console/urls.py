from django.urls import include, path

from orgdesk.console import activity, branding, grants, organizations, policies, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("applications/", include("orgdesk.console.applications_urls")),
    path("roles/", include("orgdesk.console.roles_urls")),
    path("search", views.search_organizations, name="search_organizations"),
    path("activity/", activity.activity_list, name="activity"),
    path("activity/<str:pk>", activity.activity_detail, name="activity_event"),
    path("policies/security", policies.security_policy, name="security_policy"),
    path("policies/branding/", branding.policy_list, name="branding_policies"),
    path("policies/branding/<uuid:policy>", branding.policy_edit, name="branding_policy"),
    path(
        "organizations/<slug:org>/branding",
        branding.organization_branding,
        name="organization_branding",
    ),
    path("organizations/", organizations.organization_list, name="organizations"),
    path("organizations/new", organizations.organization_create, name="organization_create"),
    path("organizations/<slug:org>/", organizations.organization_general, name="organization"),
    path(
        "organizations/<slug:org>/accounts",
        organizations.organization_accounts,
        name="organization_accounts",
    ),
    path("organizations/<slug:org>/grants", grants.organization_grants, name="organization_grants"),
    path(
        "organizations/<slug:org>/grants/<int:grant>/revoke",
        grants.organization_revoke,
        name="organization_revoke",
    ),
    path(
        "organizations/<slug:org>/invitations",
        organizations.organization_invitations,
        name="organization_invitations",
    ),
    path(
        "organizations/<slug:org>/move", organizations.organization_move, name="organization_move"
    ),
    path(
        "organizations/<slug:org>/delete",
        organizations.organization_delete,
        name="organization_delete",
    ),
]
