"""Why a payment operation was refused: in the user's language, or in every one (for APIs)."""

from __future__ import annotations

from typing import Any

from musubi.platform.languages import in_every_language


class PaymentError(Exception):
    """Base: ``message`` in the active language, ``messages()`` as ``{"ja": …, "en": …}``."""

    def __init__(self, text: Any, **params: Any) -> None:
        self.text = text  # a lazy gettext string, so it can be shown in any language
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(self.text) % self.params if self.params else str(self.text)

    def messages(self) -> dict[str, str]:
        return in_every_language(lambda: self.message)


class InvalidPayment(PaymentError):
    """The amount, purpose, subject or provider given for a new payment cannot be used."""


class UnknownPayment(PaymentError):
    """No payment has this reference."""


class UnknownProvider(PaymentError):
    """No enabled payment provider has this code."""


class NotAllowed(PaymentError):
    """The payment's state does not allow this step (paying twice, refunding an unpaid fee)."""


class InvalidRefund(PaymentError):
    """The refund amount is zero, negative or above what is left to refund, or has no reason."""


class RefundKeyReused(PaymentError):
    """The refund key was used before for a different amount."""


class WebhookRejected(PaymentError):
    """The webhook is forged, stale, malformed or does not match its payment: nothing changed."""
