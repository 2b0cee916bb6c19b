"""API routes of map layers, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.data.maps import api

urlpatterns = [
    path("maps/layers/", api.LayerList.as_view(), name="map-layer-list"),
    path("maps/layers/<slug:code>/", api.LayerDetail.as_view(), name="map-layer-detail"),
    path(
        "maps/layers/<slug:code>/features/",
        api.LayerFeatures.as_view(),
        name="map-layer-features",
    ),
    path("maps/features/<int:pk>/", api.FeatureDetail.as_view(), name="map-feature-detail"),
]
