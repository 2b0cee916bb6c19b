"""Resident pages of online procedures under ``/procedures/`` (namespace ``procedures``)."""

from django.urls import path

from musubi.citizen.procedures import resident_views as views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("applications/", views.mine, name="mine"),
    path("applications/<int:pk>/", views.status, name="status"),
    path("applications/<int:pk>/form/<str:step_id>/", views.step, name="step"),
    path("applications/<int:pk>/review/", views.review, name="review"),
    path("applications/<int:pk>/review/done/", views.answers_done, name="answers_done"),
    path("applications/<int:pk>/attachments/", views.attachments, name="attachments"),
    path("applications/<int:pk>/signature/", views.signature, name="signature"),
    path(
        "applications/<int:pk>/signature/document.json",
        views.signing_document,
        name="signing_document",
    ),
    path("applications/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<str:receipt>/summary.pdf", views.summary, name="summary_pdf"),
    path("<slug:code>/", views.procedure_detail, name="procedure"),
    path("<slug:code>/apply/", views.apply, name="apply"),
]
