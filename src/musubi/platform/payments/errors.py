"""Why a payment operation was refused: in the user's language, or in every one (for APIs)."""

from __future__ import annotations

from musubi.platform.languages import LocalizedError


class PaymentError(LocalizedError):
    """Base of every refusal of this app (``message``, ``messages()``)."""


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
