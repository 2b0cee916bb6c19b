"""Resident login through OpenID Connect (the デジタル認証アプリ or another provider)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts import oidc, services
from musubi.platform.accounts.views import BACKEND, safe_next

logger = logging.getLogger(__name__)

MESSAGES = {
    "config": _("この自治体ではデジタル認証アプリでのログインを利用できません。"),
    "discovery": _("認証サービスに接続できませんでした。時間をおいてもう一度お試しください。"),
    "state": _(
        "ログインの手続きが途中で切れたか、別の画面から始められました。最初からやり直してください。"
    ),
    "provider": _("認証サービスでログインが完了しませんでした（取り消された可能性があります）。"),
    "token": _("認証サービスからの応答を確認できませんでした。もう一度お試しください。"),
    "id_token": _("認証サービスから受け取った本人情報を検証できませんでした。"),
    "userinfo": _("認証サービスから本人情報を取得できませんでした。"),
}


def _error(request: HttpRequest, error: oidc.OidcError) -> HttpResponse:
    logger.warning("OIDC login failed: %s", error)
    status = {"config": 404, "state": 400, "provider": 400}.get(error.kind, 502)
    context = {"message": MESSAGES[error.kind], "kind": error.kind}
    return render(request, "accounts/oidc_error.html", context, status=status)


def _redirect_uri() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:oidc_callback")


def oidc_login(request: HttpRequest) -> HttpResponse:
    try:
        url = oidc.start(request.session, _redirect_uri(), safe_next(request, ""))
    except oidc.OidcError as error:
        return _error(request, error)
    return redirect(url)


def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        claims, next_url = oidc.finish(request.session, request.GET.dict())
    except oidc.OidcError as error:
        return _error(request, error)
    user = services.sign_in_external(claims["iss"], claims)
    login(request, user, backend=BACKEND)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
