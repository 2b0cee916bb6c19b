from django.urls import path

from musubi.data.maps import layer_views, staff_views, views

app_name = "maps"

urlpatterns = [
    path("", views.public_map, name="map"),
    path("list/", views.public_list, name="list"),
    path("features/<int:pk>/", views.feature_detail, name="feature"),
    path("layers/<slug:code>.geojson", views.layer_geojson, name="layer_geojson"),
    path("staff/", views.staff_map, name="staff"),
    path("staff/features/<int:pk>/", views.staff_feature_detail, name="staff_feature"),
    path("staff/layers/<slug:code>.geojson", views.staff_layer_geojson, name="staff_layer_geojson"),
    path("staff/layers/", layer_views.layer_list, name="layers"),
    path("staff/layers/new/", layer_views.layer_create, name="layer_create"),
    path("staff/layers/<slug:code>/edit/", layer_views.layer_edit, name="layer_edit"),
    path("staff/layers/<slug:code>/delete/", layer_views.layer_delete, name="layer_delete"),
    path("staff/import/", staff_views.import_layer, name="import"),
    path("staff/layers/<slug:code>/add/", staff_views.add_feature, name="add_feature"),
    path("staff/features/<int:pk>/edit/", staff_views.edit_feature, name="edit_feature"),
    path("staff/features/<int:pk>/delete/", staff_views.delete_feature, name="delete_feature"),
]
