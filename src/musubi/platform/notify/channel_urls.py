"""Pages of the LINE and Web Push channels, included into ``notify/urls.py`` (namespace notify)."""

from django.urls import path

from musubi.platform.notify import line_webhook, push_views

urlpatterns = [
    path("line/webhook/", line_webhook.webhook, name="line_webhook"),
    path("line/link/", line_webhook.link, name="line_link"),
    path("push/", push_views.page, name="push"),
    path("push/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("push/unsubscribe/", push_views.unsubscribe, name="push_unsubscribe"),
]
