"""Request ids for the audit trail, and the fail-closed answer when audit writing fails."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from musubi.platform.audit.services import AuditUnavailable

HEADER = "X-Request-ID"
log = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Give every request an id, so audit records of one request can be found together.

    It also turns ``AuditUnavailable`` from a page into a 503 that shows no data:
    an access that cannot be recorded does not happen.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request.request_id = incoming if _plausible(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AuditUnavailable):
            return None
        log.error("audit row not written, request %s refused: %s", request.request_id, exception)
        body = render_to_string("audit/unavailable.html", {"request_id": request.request_id})
        return HttpResponse(body, status=503, headers={"Retry-After": "60"})


def _plausible(value: str) -> bool:
    return 8 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)
