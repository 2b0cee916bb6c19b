"""Staff pages of online procedures: back office under ``staff/``, counter mode under ``counter/``.

Included from ``urls.py`` before the resident pages (whose ``<slug:code>/`` would catch these).
"""

from django.urls import path

from musubi.citizen.procedures import bulk_views, counter_views, export, kpi_views, staff_views

urlpatterns = [
    path("staff/", staff_views.inbox, name="staff_inbox"),
    path("staff/bulk/", bulk_views.bulk, name="staff_bulk"),
    path("staff/kpi/", kpi_views.kpi, name="staff_kpi"),
    path("staff/kpi.csv", kpi_views.kpi_csv, name="staff_kpi_csv"),
    path("staff/export/", export.choose, name="staff_export_choose"),
    path("staff/export/<slug:code>/", export.export_page, name="staff_export"),
    path("staff/export/<slug:code>/csv/", export.download, name="staff_export_csv"),
    path("staff/export/<slug:code>/mapping/", export.mapping, name="staff_export_mapping"),
    path("staff/<int:pk>/", staff_views.detail, name="staff_detail"),
    path("staff/<int:pk>/act/", staff_views.act, name="staff_act"),
    path("staff/<int:pk>/assign/", staff_views.assign, name="staff_assign"),
    path("staff/<int:pk>/comment/", staff_views.comment, name="staff_comment"),
    path("counter/", counter_views.search, name="counter"),
    path("counter/resident/<int:resident_id>/", counter_views.choose, name="counter_choose"),
    path("counter/<int:pk>/form/<str:step_id>/", counter_views.step, name="counter_step"),
    path("counter/<int:pk>/review/", counter_views.review, name="counter_review"),
    path("counter/<int:pk>/documents/", counter_views.documents_page, name="counter_documents"),
    path("counter/<int:pk>/handover/", counter_views.handover, name="counter_handover"),
    path("counter/<int:pk>/waiting/", counter_views.waiting, name="counter_waiting"),
    path("counter/<str:token>/confirm/", counter_views.confirm, name="counter_confirm"),
]
