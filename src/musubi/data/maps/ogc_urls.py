from django.urls import path

from musubi.data.maps import ogc_views

app_name = "ogc"

urlpatterns = [
    path("", ogc_views.landing, name="landing"),
    path("api", ogc_views.api_document, name="api"),
    path("conformance", ogc_views.conformance, name="conformance"),
    path("collections", ogc_views.collections, name="collections"),
    path("collections/<slug:code>", ogc_views.collection, name="collection"),
    path("collections/<slug:code>/items", ogc_views.items, name="items"),
    path("collections/<slug:code>/items/<str:feature_id>", ogc_views.item, name="item"),
]
