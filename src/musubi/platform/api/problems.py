"""RFC 9457 problem+json for every API error, with a field-level ``errors`` list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

MEDIA_TYPE = "application/problem+json"


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error dict/list as a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            nested = isinstance(item, dict | list) and not isinstance(item, exceptions.ErrorDetail)
            out += _flatten(item, f"{prefix}[{index}]" if nested else prefix)
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def problem(status_code: int, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status_code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status=status_code, content_type=MEDIA_TYPE)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        result = problem(
            status.HTTP_400_BAD_REQUEST,
            _("入力内容に誤りがあります"),
            _("項目ごとの誤りは errors を見てください。"),
            errors=_flatten(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
        result = problem(response.status_code, str(detail) or _("エラー"))
    for header, value in response.headers.items():
        if header.lower() in {"www-authenticate", "retry-after", "allow"}:
            result[header] = value
    return result
