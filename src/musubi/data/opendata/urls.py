from django.urls import path

from musubi.data.opendata import staff_views, views

app_name = "opendata"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("dataset/<slug:name>.jsonld", views.dataset_jsonld, name="dataset_jsonld"),
    path("dataset/<slug:name>/", views.dataset, name="dataset"),
    path(
        "dataset/<slug:name>/resource/<uuid:resource_id>/<str:filename>",
        views.download,
        name="download",
    ),
    path("staff/", staff_views.mine, name="staff_list"),
    path("staff/new/", staff_views.create, name="staff_create"),
    path("staff/<slug:name>/edit/", staff_views.edit, name="staff_edit"),
    path("staff/<slug:name>/upload/", staff_views.upload, name="staff_upload"),
]
