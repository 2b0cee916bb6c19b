"""API routes of the 電子回覧板, included under ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from musubi.community.circulars import api

urlpatterns = [
    path("me/circulars/", api.MyCirculars.as_view(), name="my-circular-list"),
    path("me/circulars/<int:pk>/", api.MyCircular.as_view(), name="my-circular-detail"),
    path("me/circulars/<int:pk>/read/", api.MarkRead.as_view(), name="my-circular-read"),
    path("me/circulars/<int:pk>/reply/", api.MyReply.as_view(), name="my-circular-reply"),
    path("circulars/<int:pk>/unread/", api.Unread.as_view(), name="circular-unread"),
    path("circulars/<int:pk>/tallies/", api.Tallies.as_view(), name="circular-tallies"),
]
