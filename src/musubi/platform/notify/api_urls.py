"""API routes of the hub, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.platform.notify import api

urlpatterns = [
    path("notices/", api.Messages.as_view(), name="notice-list"),
    path("notices/send/", api.Send.as_view(), name="notice-send"),
    path("notices/<int:pk>/", api.MessageDetail.as_view(), name="notice-detail"),
    path("notices/<int:pk>/deliveries/", api.MessageDeliveries.as_view(), name="notice-deliveries"),
]
