"""Pages of online procedures (resident pages, staff back office) are added by their owners."""

from django.urls import include, path

app_name = "procedures"

urlpatterns: list = [
    # staff/… and counter/… first: the resident pages end with a catch-all <slug:code>/
    path("", include("musubi.citizen.procedures.staff_urls")),
    path("", include("musubi.citizen.procedures.resident_urls")),
]
