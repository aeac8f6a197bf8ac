from django.urls import path

from orgdesk.branding import assets, theme

app_name = "branding"

urlpatterns = [
    path("theme.css", theme.theme_css, name="theme"),
    path("<uuid:pk>/<slug:surface>.css", assets.custom_css, name="custom_css"),
    path("<uuid:pk>/<slug:surface>.js", assets.custom_js, name="custom_js"),
]
