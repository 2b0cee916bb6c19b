"""Template context shared by every page of the shell."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from musubi.platform.ui import services


def shell(request: HttpRequest) -> dict:
    """Text size, the other languages on offer, and the city's name for the header."""
    language = get_language() or settings.LANGUAGE_CODE
    return {
        "text_size": services.normalise_text_size(request.COOKIES.get(services.TEXT_SIZE_COOKIE)),
        "text_sizes": services.TEXT_SIZES.items(),
        "site_url": settings.SITE_URL,
        "city_name": services.city_name(language),
    }
