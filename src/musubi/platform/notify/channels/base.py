"""What every delivery channel is: a plugin that hands a batch of messages to one provider.

The outbox (``platform/notify``) owns state: which delivery is queued, claimed, sent, failed
and how often it was tried. A channel owns only the conversation with its provider, so a
channel never touches the database; it answers each item with an ``Outcome`` and the worker
records it. ``Outgoing.key`` is stable for a delivery across retries, so providers that
deduplicate (LINE's ``X-Line-Retry-Key``) see a retry as the same request.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider confirmed it reached the recipient
    FAILED_TEMPORARY = "failed_temporary"  # try again later (network, 429, 5xx)
    FAILED_PERMANENT = "failed_permanent"  # never retry (unknown address, 4xx, blocked)


@dataclass(frozen=True)
class Outgoing:
    """One message for one address on one channel, as the outbox hands it over."""

    delivery_id: int
    key: str  # stable per delivery (a UUID string); the provider's idempotency key
    # channel-specific: email address, LINE user ID, E.164 phone, push subscription JSON
    address: str
    subject: str
    body: str
    language: str = "ja"
    url: str = ""  # a link to the full notice or the acknowledgement page, if any
    emergency: bool = False


@dataclass(frozen=True)
class Result:
    delivery_id: int
    outcome: Outcome
    detail: str = ""  # provider's words, kept in the attempt log
    retry_after: float | None = None  # seconds the provider asked us to wait (429 Retry-After)
    provider_id: str = ""  # the provider's message ID, when it gives one
    gone: bool = False  # the address will never work again (a push subscription that expired)


class Channel(ABC):
    """A delivery channel. Subclasses are registered with ``@register`` in ``channels.registry``."""

    code: str  # "email", "line", "sms", "webpush", "onsite", "paper"
    label_ja: str
    label_en: str
    max_batch: int = 100  # how many items one ``send`` call may take (LINE multicast: 500)
    per_second: float | None = None  # provider rate limit the worker honours, if any
    digital: bool = True  # False for "paper": it reaches people, but not by itself
    # the residents' ContactPoint kind whose verified values are this channel's addresses
    # ("email", "mobile", "line"); empty: the channel answers ``addresses_for`` itself
    contact_kind: str = ""
    # False for channels that reach no one person (the public notices page, paper lists)
    per_person: bool = True

    def addresses_for(self, resident_ids: list[int]) -> dict[int, list[str]]:
        """Addresses of these residents when they are not ContactPoints (e.g. push subscriptions).

        Called by the hub at fan-out only when ``contact_kind`` is empty.
        """
        return {}

    def close(self) -> None:  # noqa: B027 (optional hook, most channels keep nothing open)
        """Release what ``send`` kept open between batches (an SMTP connection); the worker
        calls it when it stops using this instance."""

    def hand_over(self, items: list[Outgoing], ready: Callable[[], bool]) -> list[Result] | None:
        """``send``, once ``ready()`` allows it; None (nothing handed over) when it says no.

        The worker's ``ready`` returns once the channel's previous batch is recorded. A channel
        whose provider takes a message in only at a last step (SMTP's final dot) overrides
        this to prepare everything before it first, so that wait costs no time.
        """
        return self.send(items) if ready() else None

    @abstractmethod
    def send(self, items: list[Outgoing]) -> list[Result]:
        """Hand ``items`` to the provider; return one Result per item, in any order.

        Must not raise for a provider's refusal: answer FAILED_* instead. May raise only for
        programming errors; the worker then treats the whole batch as FAILED_TEMPORARY.
        """
