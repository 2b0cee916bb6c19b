"""SMS channel: text messages to Japanese mobile numbers through an SMS provider's HTTP API.

``SmsProvider`` is the interface a provider implements; ``TwilioProvider`` speaks the widely
copied Twilio Messages API (form-encoded POST, HTTP basic auth, JSON answer with a message
``sid``). Numbers are checked and written in E.164 (090-1234-5678 → +819012345678) before any
request, so a landline or a typo fails that one delivery at once. Each delivery's detail records
how many segments it costs (160 GSM-7 or 70 UCS-2 characters each; Japanese text is UCS-2).
Facts (prefixes, limits, the GSM-7 alphabet, receipt statuses) are in ``notify/data/sms.json``.

With ``MUSUBI_SITE_URL`` set, each message asks the gateway for delivery receipts
(``StatusCallback``); ``sms_receipts.py`` takes them in, signed as the gateway signs webhooks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.urls import reverse

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.http_outcomes import outcome_for, retry_after
from musubi.platform.notify.channels.registry import register

_PARALLEL_REQUESTS = 8
_TIMEOUT = 10.0


@cache
def facts() -> dict[str, Any]:
    path = Path(__file__).resolve().parent.parent / "data" / "sms.json"
    return json.loads(path.read_text(encoding="utf-8"))


class NotMobile(ValueError):
    """Not a Japanese mobile number; the text says what was given."""


def to_e164(number: str) -> str:
    """A Japanese mobile number in E.164 (``+8190…``), from 090-1234-5678, ０９０…, +81 90…"""
    digits = re.sub(r"[\s\-()‐−ー]", "", unicodedata.normalize("NFKC", number))
    country = "+" + facts()["country_code"]
    if digits.startswith(country):
        digits = "0" + digits[len(country) :]
    national = digits[1:]
    if (
        not digits.isdigit()
        or not digits.startswith("0")
        or len(national) != facts()["national_significant_digits"]
        or national[:2] not in facts()["mobile_prefixes"]
    ):
        raise NotMobile(f"not a Japanese mobile number: {number!r}")
    return country + national


@dataclass(frozen=True)
class Segments:
    encoding: str  # "gsm7" or "ucs2"
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def segments(text: str) -> Segments:
    """How many SMS segments ``text`` takes, and in which encoding."""
    basic, extension = facts()["gsm7_basic"], facts()["gsm7_extension"]
    if all(c in basic or c in extension for c in text):
        encoding, units = "gsm7", sum(2 if c in extension else 1 for c in text)
    else:
        encoding, units = "ucs2", sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    limits = facts()["segments"][encoding]
    count = 1 if units <= limits["single"] else math.ceil(units / limits["concatenated"])
    return Segments(encoding, count, units)


def sms_text(item: Outgoing) -> str:
    """Subject, then the body when there is no link or it is an emergency, then the link.

    SMS is paid per segment, so a routine notice with a page sends its subject and link only.
    """
    parts = [item.subject.strip()]
    if item.emergency or not item.url:
        parts.append(item.body.strip())
    parts.append(item.url)
    text = "\n".join(p for p in parts if p)
    limit = facts()["max_body_length"]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def receipts_url() -> str:
    """Where the gateway reports delivery (the URL it signs); empty without a public site URL."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse("notify:sms_receipt")


def signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """The gateway's webhook signature: Base64 HMAC-SHA1 over the URL, then each parameter's
    name and value, sorted by name."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def receipt_outcome(status: str) -> Outcome | None:
    """What a receipt's ``MessageStatus`` means for the delivery; None: nothing new."""
    statuses = facts()["receipt_statuses"]
    if status in statuses["delivered"]:
        return Outcome.DELIVERED
    return Outcome.FAILED_PERMANENT if status in statuses["failed"] else None


@dataclass(frozen=True)
class Submission:
    """A provider's answer to one message."""

    outcome: Outcome
    detail: str
    retry_after: float | None = None
    provider_id: str = ""


class SmsProvider(ABC):
    """An SMS gateway; one instance is used by many threads at once."""

    @abstractmethod
    def submit(self, to: str, text: str) -> Submission:
        """Hand one message for E.164 number ``to`` to the gateway."""

    @abstractmethod
    def close(self) -> None:
        """Release connections kept between batches."""


class TwilioProvider(SmsProvider):
    """The Twilio Messages API (and gateways that copy it)."""

    def __init__(self) -> None:
        self.http = httpx.Client(
            base_url=settings.SMS_API_URL,
            auth=(settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN),
            timeout=_TIMEOUT,
        )
        self.path = facts()["messages_path"].format(account_sid=settings.SMS_ACCOUNT_SID)
        self.receipts = receipts_url()

    def submit(self, to: str, text: str) -> Submission:
        form = {"To": to, "From": settings.SMS_FROM, "Body": text}
        if self.receipts:
            form["StatusCallback"] = self.receipts
        try:
            response = self.http.post(self.path, data=form)
        except httpx.HTTPError as exc:
            return Submission(Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        outcome = outcome_for(response.status_code)
        if outcome == Outcome.SENT:
            return Submission(outcome, f"HTTP {response.status_code}", None, answer.get("sid", ""))
        wait = retry_after(response.headers) if response.status_code == 429 else None
        detail = f"HTTP {response.status_code} {answer.get('code', '')} {answer.get('message', '')}"
        return Submission(outcome, detail.strip(), wait)

    def close(self) -> None:
        self.http.close()


@register
class SmsChannel(Channel):
    """SMS to verified mobile numbers (ContactPoint kind ``mobile``)."""

    code = "sms"
    label_ja = "SMS（ショートメッセージ）"
    label_en = "SMS"
    max_batch = 100
    contact_kind = "mobile"

    def __init__(self) -> None:
        self.provider: SmsProvider | None = None

    def send(self, items: list[Outgoing]) -> list[Result]:
        if not (settings.SMS_ACCOUNT_SID and settings.SMS_FROM):
            detail = "SMS provider account or sender not set"
            return [Result(i.delivery_id, Outcome.FAILED_TEMPORARY, detail) for i in items]
        if self.provider is None:
            self.provider = TwilioProvider()
        with ThreadPoolExecutor(_PARALLEL_REQUESTS) as pool:
            return list(pool.map(self._one, items))

    def close(self) -> None:
        if self.provider is not None:
            self.provider.close()
            self.provider = None

    def _one(self, item: Outgoing) -> Result:
        try:
            to = to_e164(item.address)
        except NotMobile as exc:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, str(exc))
        text = sms_text(item)
        cost = segments(text)
        answer = self.provider.submit(to, text)
        detail = f"segments={cost.count} encoding={cost.encoding}; {answer.detail}"
        return Result(
            item.delivery_id, answer.outcome, detail, answer.retry_after, answer.provider_id
        )
