from django.urls import include, path, re_path

from musubi.platform.api import views

app_name = "api"
urlpatterns = [
    path("", views.ApiIndex.as_view(), name="index"),
    path("", include("musubi.platform.residents.api")),
    path("", include("musubi.citizen.procedures.api_urls")),
    path("", include("musubi.platform.payments.api_urls")),
    path("", include("musubi.platform.notify.api_urls")),
    path("", include("musubi.citizen.bookings.api_urls")),
    path("", include("musubi.data.maps.api_urls")),
    path("", include("musubi.data.opendata.api_urls")),
    path("", include("musubi.community.circulars.api_urls")),
    # Last: whatever no route above matched is a 404 problem, not an HTML page.
    re_path(r"^.*$", views.NotFound.as_view(), name="not-found"),
]
