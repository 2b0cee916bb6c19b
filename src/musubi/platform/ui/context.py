"""Template context shared by every page of the shell."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict:
    return {"text_size": request.COOKIES.get("text_size", "m"), "site_url": settings.SITE_URL}
