"""Mounted at the site root: CKAN's action API (both prefixes) and the DCAT-AP catalogue."""

from django.urls import path

from musubi.data.opendata import ckan_views, dcat_views

urlpatterns = [
    path("api/3/action/<str:name>", ckan_views.action, name="ckan-action"),
    path("api/action/<str:name>", ckan_views.action, name="ckan-action-unversioned"),
    path("catalog.jsonld", dcat_views.catalog, name="dcat-catalog"),
]
