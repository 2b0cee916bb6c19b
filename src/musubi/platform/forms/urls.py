from django.urls import path

from musubi.platform.forms import views

app_name = "forms"
urlpatterns = [
    path("try/", views.try_start, name="try"),
    path("try/step/<slug:step_id>/", views.try_step, name="try_step"),
    path("try/review/", views.try_review, name="try_review"),
    path("try/submit/", views.try_submit, name="try_submit"),
    path("postal-code/<str:code>/", views.postal_code, name="postal_code"),
    path("registry/report/", views.report_registry_error, name="report_registry_error"),
    path("staff/corrections/", views.staff_corrections, name="staff_corrections"),
    path(
        "staff/corrections/<int:pk>/status/",
        views.staff_correction_status,
        name="staff_correction_status",
    ),
]
