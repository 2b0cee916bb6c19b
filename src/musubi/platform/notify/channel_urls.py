"""Pages of the LINE, SMS and Web Push channels and the resident's notification settings, included
into ``notify/urls.py`` (namespace notify)."""

from django.urls import path

from musubi.platform.notify import line_webhook, preference_views, push_views, sms_receipts

urlpatterns = [
    path("line/webhook/", line_webhook.webhook, name="line_webhook"),
    path("line/link/", line_webhook.link, name="line_link"),
    path("sms/receipts/", sms_receipts.receipt, name="sms_receipt"),
    path("push/", push_views.page, name="push"),
    path("push/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("push/unsubscribe/", push_views.unsubscribe, name="push_unsubscribe"),
    path("preferences/", preference_views.page, name="preferences"),
    path("preferences/email/", preference_views.add_email, name="preferences_email"),
    path("preferences/mobile/", preference_views.add_mobile, name="preferences_mobile"),
    path(
        "preferences/contacts/<int:pk>/resend/",
        preference_views.resend,
        name="preferences_resend",
    ),
    path(
        "preferences/contacts/<int:pk>/send-code/",
        preference_views.send_code,
        name="preferences_send_code",
    ),
    path(
        "preferences/contacts/<int:pk>/code/",
        preference_views.check_code,
        name="preferences_check_code",
    ),
    path(
        "preferences/contacts/<int:pk>/remove/",
        preference_views.remove,
        name="preferences_remove",
    ),
    path("verify-email/<str:token>/", preference_views.verify_email, name="verify_email"),
]
