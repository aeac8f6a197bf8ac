from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from orgdesk import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("portal/", include("orgdesk.portal.urls")),
    path("console/", include("orgdesk.console.urls")),
    path("branding/", include("orgdesk.branding.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("orgdesk.customer.urls")),
    # Invitation links (/invite/<token>): the customer side of orgdesk.invitations.
    path("invite/", include(("orgdesk.customer.invitations", "invite"))),
]
# The error pages (orgdesk/errors.py; the CSRF failure page is settings.CSRF_FAILURE_VIEW).
handler400 = "orgdesk.errors.bad_request"
handler403 = "orgdesk.errors.permission_denied"
handler404 = "orgdesk.errors.page_not_found"
handler500 = "orgdesk.errors.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
