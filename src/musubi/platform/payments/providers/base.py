"""What every payment provider is: a plugin that takes the payer to its payment page, proves
that a webhook really came from it, and gives money back.

The payments app owns state (which payment is pending, paid, refunded); a provider owns only
the conversation with its service, so a provider never writes to the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.utils.datastructures import CaseInsensitiveMapping

if TYPE_CHECKING:
    from musubi.platform.payments.models import Payment

SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"


class WebhookRequest(Protocol):
    """What a provider reads from a webhook: a Django request, or a ``Delivery``."""

    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Delivery:
    """A webhook handed over in-process (the demo page), read exactly as an HTTP one."""

    body: bytes
    raw_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> Mapping[str, str]:
        return CaseInsensitiveMapping(self.raw_headers)


@dataclass(frozen=True)
class WebhookEvent:
    """A provider's event whose signature was verified: only ``verify_webhook`` makes one."""

    event_id: str
    kind: str  # SUCCEEDED or FAILED
    reference: str
    amount: int
    payload: str
    provider_reference: str = ""


class Provider(ABC):
    """A payment provider. Subclasses are registered with ``@register`` in ``registry``."""

    code: str
    label_ja: str
    label_en: str

    @abstractmethod
    def start(self, payment: Payment) -> str:
        """The URL to send the payer to, where they pay ``payment.amount`` yen."""

    @abstractmethod
    def verify_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """The event in ``request`` if its signature is genuine and fresh.

        Raises ``WebhookRejected`` (with a message saying why) for anything else.
        """

    @abstractmethod
    def refund(self, payment: Payment, amount: int) -> str:
        """Give ``amount`` yen back to the payer; returns the provider's refund reference."""
