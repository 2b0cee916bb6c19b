"""API routes of payments, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.platform.payments import api

urlpatterns = [
    path("payments/", api.PaymentList.as_view(), name="payment-list"),
    path("payments/<str:reference>/", api.PaymentDetail.as_view(), name="payment-detail"),
    path("payments/<str:reference>/refunds/", api.RefundCreate.as_view(), name="payment-refunds"),
]
