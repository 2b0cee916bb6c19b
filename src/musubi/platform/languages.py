"""Text in every language the site offers, for API bodies and logs that outlive one request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation


def in_every_language(render: Callable[[], str]) -> dict[str, str]:
    """``{"ja": …, "en": …}``: ``render`` called once with each configured language active."""
    out = {}
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            out[code] = render()
    return out
