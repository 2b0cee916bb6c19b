"""API routes of online procedures, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.citizen.procedures import api

urlpatterns = [
    path("procedures/", api.ProcedureList.as_view(), name="procedure-list"),
    path("procedures/<slug:code>/", api.ProcedureDetail.as_view(), name="procedure-detail"),
    path("me/applications/", api.MyApplications.as_view(), name="my-application-list"),
    path("me/applications/<int:pk>/", api.MyApplication.as_view(), name="my-application-detail"),
    path("applications/", api.StaffApplications.as_view(), name="application-list"),
    path("applications/<int:pk>/", api.StaffApplication.as_view(), name="application-detail"),
    path(
        "applications/<int:pk>/transitions/",
        api.StaffTransition.as_view(),
        name="application-transitions",
    ),
]
