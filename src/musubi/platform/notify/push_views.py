"""The resident's page for browser (Web Push) notifications: subscribe and unsubscribe.

Subscribing needs JavaScript (the browser's Push API gives the subscription); the page says so
and points to the other channels when it is missing. The browser's subscription JSON is checked
and stored as a verified ContactPoint of kind ``webpush`` of the signed-in resident.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from musubi.platform.notify.channels import webpush
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactKind


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    resident = residents.resident_for(request.user)
    context = {"resident": resident, "public_key": webpush.public_key() if resident else ""}
    return render(request, "notify/push_subscribe.html", context)


def _subscription(request: HttpRequest) -> tuple[str, JsonResponse | None]:
    """The canonical subscription posted, or an error answer in the user's language."""
    if residents.resident_for(request.user) is None:
        message = _("このアカウントは、まだ住民記録と連携されていません。")
        return "", JsonResponse({"error": message}, status=403)
    try:
        parsed = webpush.parse_subscription(request.POST.get("subscription", ""))
    except webpush.SubscriptionError:
        message = _("ブラウザーから受け取った登録情報が正しくありません。もう一度お試しください。")
        return "", JsonResponse({"error": message}, status=400)
    return webpush.canonical(parsed), None


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    value, error = _subscription(request)
    if error:
        return error
    resident = residents.resident_for(request.user)
    residents.confirm_contact(resident.pk, ContactKind.WEBPUSH, value)
    return JsonResponse({"message": _("このブラウザーでお知らせを受け取れるようになりました。")})


@login_required
@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    value, error = _subscription(request)
    if error:
        return error
    residents.remove_contact(residents.resident_for(request.user).pk, ContactKind.WEBPUSH, value)
    return JsonResponse({"message": _("このブラウザーへのお知らせを止めました。")})
