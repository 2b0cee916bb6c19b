"""Text in every language the site offers, for API bodies and logs that outlive one request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation


def in_every_language(render: Callable[[], str]) -> dict[str, str]:
    """``{"ja": …, "en": …}``: ``render`` called once with each configured language active."""
    out = {}
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            out[code] = render()
    return out


class LocalizedError(Exception):
    """A refusal whose text is a lazy gettext string with ``%(name)s`` parameters.

    Raised in one request but often shown elsewhere (an API body in every language, a page in
    the reader's), so the text is kept untranslated until ``message`` or ``messages()`` asks.
    """

    def __init__(self, text: Any, **params: Any) -> None:
        self.text = text
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The text in the active language."""
        return str(self.text) % self.params if self.params else str(self.text)

    def messages(self) -> dict[str, str]:
        """``{"ja": …, "en": …}``, for API bodies and logs."""
        return in_every_language(lambda: self.message)
