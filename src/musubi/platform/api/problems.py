"""RFC 9457 problem+json for every API error, with a field-level ``errors`` list.

Problems are plain JSON responses rather than rendered DRF responses, so that content
negotiation (a browser asking for HTML) can never turn an error into something else.
Titles and details follow the request's language (Japanese unless Accept-Language says
otherwise), as set by Django's LocaleMiddleware.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from musubi.platform.audit.services import AuditUnavailable

MEDIA_TYPE = "application/problem+json"
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After", "Allow")

TITLES = {
    400: gettext_lazy("リクエストに誤りがあります"),
    401: gettext_lazy("認証が必要です"),
    403: gettext_lazy("この操作の権限がありません"),
    404: gettext_lazy("見つかりません"),
    405: gettext_lazy("このメソッドは使えません"),
    406: gettext_lazy("要求された形式では応答できません"),
    409: gettext_lazy("同じリクエストを処理中です"),
    415: gettext_lazy("この形式のデータは受け付けられません"),
    422: gettext_lazy("処理できないリクエストです"),
    429: gettext_lazy("リクエストが多すぎます"),
    503: gettext_lazy("一時的に利用できません"),
}


def problem(status: int, detail: str = "", title: str = "", **extra: Any) -> HttpResponse:
    """A problem+json response; ``title`` defaults to the status's title in the current language."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or str(TITLES.get(status, _("エラー"))),
        "status": status,
        "detail": detail or str(TITLES.get(status, _("エラー"))),
        **extra,
    }
    content = json.dumps(body, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=f"{MEDIA_TYPE}; charset=utf-8")


def field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error dict/list as a flat list of {field, code, message}.

    Paths read like ``members[0].name``; errors about the whole object (non-field
    errors) carry the path of the object itself, "" at the top.
    """
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out += field_errors(value, _join(prefix, key))
        return out
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            nested = isinstance(item, dict | list)
            out += field_errors(item, f"{prefix}[{index}]" if nested else prefix)
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key == api_settings.NON_FIELD_ERRORS_KEY:
        return prefix
    return f"{prefix}.{key}" if prefix else key


def exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    """DRF's EXCEPTION_HANDLER: every known error as problem+json; unknown ones stay 500s."""
    if isinstance(exc, AuditUnavailable):
        return problem(503, _("監査記録を書き込めないため、この情報は提供できません。"))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        result = problem(
            400,
            _("項目ごとの誤りは errors を見てください。"),
            title=_("入力内容に誤りがあります"),
            errors=field_errors(exc.detail),
        )
    else:
        result = problem(response.status_code, _detail_text(exc))
    for header in KEPT_HEADERS:
        if header in response:
            result[header] = response[header]
    return result


def _detail_text(exc: Exception) -> str:
    detail = getattr(exc, "detail", "")
    if isinstance(detail, dict | list):
        return "; ".join(item["message"] for item in field_errors(detail))
    return str(detail)
