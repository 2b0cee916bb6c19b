"""Pages of payments under ``/payments/`` (namespace ``payments``).

Fixed paths (webhooks/, demo/, staff/) come before the resident's ``<reference>/`` pages.
"""

from django.urls import path

from musubi.platform.payments import staff_views, views

app_name = "payments"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("demo/<str:reference>/", views.demo_page, name="demo_page"),
    path("staff/", staff_views.payment_list, name="staff_list"),
    path("staff/export.csv", staff_views.export_csv, name="staff_csv"),
    path("staff/<str:reference>/", staff_views.detail, name="staff_detail"),
    path("staff/<str:reference>/refund/", staff_views.refund, name="staff_refund"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/pay/", views.pay, name="pay"),
    path("<str:reference>/receipt.pdf", views.receipt, name="receipt"),
]
