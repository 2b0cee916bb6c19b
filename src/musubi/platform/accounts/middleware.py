"""Idle timeout for staff sessions: a counter PC left unattended must not stay signed in."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN = "staff_last_seen"


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("staff_mfa_passed"):
            now = time.time()
            limit = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
            if now - session.get(LAST_SEEN, now) > limit:
                logout(request)
                request.session["staff_timed_out"] = True
            else:
                session[LAST_SEEN] = now
        return self.get_response(request)
