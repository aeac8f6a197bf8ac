"""The console's Roles section's URLs (included by console/urls.py, names in its namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
