"""The payment provider plugins by code; a provider module registers itself when imported."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from musubi.platform.payments.errors import UnknownProvider
from musubi.platform.payments.providers.base import Provider

_PROVIDERS: dict[str, type[Provider]] = {}


def register(cls: type[Provider]) -> type[Provider]:
    """Class decorator: make ``cls`` available under ``cls.code``; a code clash is a bug."""
    if cls.code in _PROVIDERS and _PROVIDERS[cls.code] is not cls:
        raise ValueError(f"payment provider code {cls.code!r} registered twice")
    _PROVIDERS[cls.code] = cls
    return cls


def get(code: str) -> Provider:
    """The provider registered as ``code`` and enabled by MUSUBI_PAYMENTS_PROVIDERS."""
    if code not in _PROVIDERS or code not in settings.PAYMENTS_PROVIDERS:
        raise UnknownProvider(_("支払方法「%(code)s」は使えません。"), code=code)
    return _PROVIDERS[code]()


def codes() -> list[str]:
    """Codes of the providers that are both registered and enabled."""
    return sorted(code for code in _PROVIDERS if code in settings.PAYMENTS_PROVIDERS)
