"""``Idempotency-Key`` for creating endpoints: a retried POST never creates twice.

A client that sends the same key again gets the first answer replayed (with
``Idempotent-Replayed: true``); the same key with a different request is a 422; a
duplicate arriving while the first is still running is a 409. Keys are scoped to the
client (token or user) and forgotten after 24 hours. Anonymous requests are not
covered: there is no one to scope the key to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from functools import wraps

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from musubi.platform.api.models import ApiToken, IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
LIFETIME = timedelta(hours=24)
PURGE_EVERY = timedelta(minutes=10)
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = _("この Idempotency-Key は別の内容のリクエストに使われています。")
    default_code = "idempotency_key_reused"


class KeyInUse(exceptions.APIException):
    status_code = 409
    default_detail = _(
        "同じ Idempotency-Key のリクエストを処理中です。完了してから再送してください。"
    )
    default_code = "idempotency_key_in_use"


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a view's creating method (``create``, ``post``) to honour Idempotency-Key."""

    @wraps(handler)
    def guarded(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        client = _client_of(request)
        if key is None or client is None:
            return handler(view, request, *args, **kwargs)
        entry = _claim(_checked(key), client, request)
        if entry.status_code is not None:
            return Response(
                entry.response_body, status=entry.status_code, headers={REPLAYED: "true"}
            )
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            entry.delete()
            raise
        _settle(entry, response)
        return response

    return extend_schema(parameters=[KEY_PARAMETER])(guarded)


KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key per intended creation; a retry with the same key and body "
    "replays the first response instead of creating again (kept 24 hours).",
)


class IdempotentCreateMixin:
    """For viewsets: ``create`` honours Idempotency-Key."""

    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)


def _checked(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Idempotency-Key は 1〜255 文字の英数字・記号で指定してください。")]}
        )
    return key


def _client_of(request: Request) -> str | None:
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return None


def _fingerprint(request: Request) -> str:
    """Hash of method, path and body: what "the same request" means for a key."""
    try:
        body = request.body
    except RawPostDataException:  # the body stream was already parsed
        body = json.dumps(request.data, sort_keys=True, default=str).encode()
    head = f"{request.method} {request.path}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def _claim(key: str, client: str, request: Request) -> IdempotentRequest:
    """Reserve ``key`` for this request, or return the finished entry to replay.

    Requests are not wrapped in one transaction (ATOMIC_REQUESTS is off), so the
    reservation commits at once and a concurrent duplicate sees it and gets 409
    instead of running the creation again.
    """
    fingerprint = _fingerprint(request)
    _purge_expired_now_and_then()
    fresh = _reserve(key, client, request, fingerprint)
    if fresh is not None:
        return fresh
    entry = IdempotentRequest.objects.filter(client=client, key=key).first()
    if entry is not None and entry.created_at < timezone.now() - LIFETIME:
        entry.delete()  # an expired key is free again
        fresh = _reserve(key, client, request, fingerprint)
        if fresh is not None:
            return fresh
        entry = IdempotentRequest.objects.filter(client=client, key=key).first()
    if entry is not None and entry.body_digest != fingerprint:
        raise KeyReused()
    if entry is None or entry.status_code is None:
        raise KeyInUse()
    return entry


def _reserve(key: str, client: str, request: Request, fingerprint: str) -> IdempotentRequest | None:
    """The new reservation, or None when the (client, key) pair is already taken."""
    try:
        with _savepoint_if_needed():
            return IdempotentRequest.objects.create(
                key=key,
                client=client,
                method=request.method,
                path=request.path[:500],
                body_digest=fingerprint,
            )
    except IntegrityError:
        return None


def _savepoint_if_needed() -> AbstractContextManager[object]:
    """Inside a transaction, a savepoint, so a taken key does not spoil the caller's work.
    Outside one (a normal request) the single INSERT commits by itself, and wrapping it would
    only add BEGIN and COMMIT to every creating request."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def _purge_expired_now_and_then() -> None:
    """Forget expired keys at most once per PURGE_EVERY, not on every creating request."""
    if cache.add("idempotency-purge", True, timeout=int(PURGE_EVERY.total_seconds())):
        IdempotentRequest.objects.filter(created_at__lt=timezone.now() - LIFETIME).delete()


def _settle(entry: IdempotentRequest, response: Response) -> None:
    """Keep a final answer for replay; forget the key after a server error so a retry runs."""
    if response.status_code >= 500 or not isinstance(response, Response):
        entry.delete()
        return
    entry.status_code = response.status_code
    entry.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
    entry.save(update_fields=["status_code", "response_body"])
