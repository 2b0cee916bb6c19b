"""API routes of the open data catalogue, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.data.opendata import api

urlpatterns = [
    path("opendata/datasets/", api.DatasetList.as_view(), name="dataset-list"),
    path("opendata/datasets/<slug:name>/", api.DatasetDetail.as_view(), name="dataset-detail"),
]
