"""LINE Messaging API channel: push to one user, multicast to many, broadcast to every follower.

Deliveries carrying the same text go out together as one multicast of at most 500 user IDs
(LINE's limit); a lone one goes out as a push. Every request carries ``X-Line-Retry-Key``: for a
push it is the delivery's own key, for a multicast a UUID derived from the keys of its members,
so the worker retrying the same deliveries repeats the same key and LINE answers 409 instead of
sending twice. A delivery whose link is the hub's acknowledgement page also gets a
「受け取りました」 button (a postback to our webhook). Protocol facts (paths, limits) are in
``notify/data/line_api.json``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.http_outcomes import outcome_for, retry_after
from musubi.platform.notify.channels.registry import register

#: LINE sends no rate headers with a 429; its limits are per second, so a second is the floor.
_RATE_LIMIT_WAIT = 1.0
_RETRY_KEY_NAMESPACE = uuid.UUID("6f1c1f4e-9a53-4d0e-8f43-3c1a3b3f4c11")
_TIMEOUT = 10.0
_PARALLEL_REQUESTS = 8


@cache
def facts() -> dict[str, Any]:
    """LINE's documented paths and limits (the data file, read once)."""
    path = Path(__file__).resolve().parent.parent / "data" / "line_api.json"
    return json.loads(path.read_text(encoding="utf-8"))


def is_user_id(value: str) -> bool:
    """True when ``value`` has the shape of a LINE user ID (``U`` + 32 hex digits)."""
    return re.fullmatch(facts()["user_id_pattern"], value) is not None


def message_text(subject: str, body: str, url: str = "") -> str:
    """The text LINE shows: subject, body and link, cut to LINE's 5,000 characters."""
    text = "\n\n".join(part for part in (subject.strip(), body.strip(), url) if part)
    limit = facts()["max_text_length"]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ack_token(url: str) -> str:
    """The hub's acknowledgement token when ``url`` is its "受け取りました" link, else ''."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    return match.kwargs.get("token", "") if match.view_name == "notify:ack" else ""


def messages_for(item: Outgoing) -> list[dict]:
    """The LINE messages of one delivery: its text, and for an acknowledgement link a button.

    The button sends a postback ``ack=<token>`` to our webhook, so the household acknowledges
    without leaving LINE; the link in the text still works for everyone else.
    """
    messages: list[dict] = [
        {"type": "text", "text": message_text(item.subject, item.body, item.url)}
    ]
    token = _ack_token(item.url) if item.url else ""
    if token:
        with translation.override(item.language):
            label = _("受け取りました")
        action = {"type": "postback", "label": label, "data": f"ack={token}", "displayText": label}
        button = {"type": "buttons", "text": item.subject[:160] or label, "actions": [action]}
        messages.append({"type": "template", "altText": label, "template": button})
    return messages


class LineApiError(RuntimeError):
    """LINE refused a request that is not a delivery (link token, reply); the text says why."""


def client() -> httpx.Client:
    """An HTTP client for the configured LINE API with the channel access token."""
    return httpx.Client(
        base_url=settings.LINE_API_URL,
        headers={"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"},
        timeout=_TIMEOUT,
    )


def _retry_key(items: list[Outgoing]) -> str:
    if len(items) == 1:
        return items[0].key
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, ",".join(sorted(i.key for i in items))))


def _post(http: httpx.Client, endpoint: str, body: dict, key: str) -> httpx.Response:
    header = facts()["retry_key_header"]
    return http.post(facts()["paths"][endpoint], json=body, headers={header: key})


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    details = "; ".join(
        f"{d.get('property', '')}: {d.get('message', '')}" for d in payload.get("details", [])
    )
    return f"HTTP {response.status_code} {payload.get('message', '')} {details}".strip()


def _bad_recipients(response: httpx.Response, count: int) -> set[int]:
    """Indexes of ``to[i]`` LINE named as invalid in a 400 answer to a multicast."""
    try:
        details = response.json().get("details", [])
    except ValueError:
        return set()
    found = {
        int(m.group(1))
        for d in details
        if (m := re.fullmatch(r"to\[(\d+)]", d.get("property", "")))
    }
    return {i for i in found if i < count}


@dataclass(frozen=True)
class Answer:
    """LINE's answer to one request, as a delivery outcome."""

    outcome: Outcome
    detail: str
    retry_after: float | None = None
    request_id: str = ""


def _answer(response: httpx.Response) -> Answer:
    request_id = response.headers.get(facts()["request_id_header"], "")
    if response.status_code == 409:
        accepted = response.headers.get(facts()["accepted_request_id_header"], "")
        return Answer(Outcome.SENT, f"already accepted as {accepted}", None, accepted)
    outcome = outcome_for(response.status_code)
    if outcome == Outcome.SENT:
        return Answer(outcome, f"HTTP {response.status_code}", None, request_id)
    wait = retry_after(response.headers, _RATE_LIMIT_WAIT) if response.status_code == 429 else None
    return Answer(outcome, _error_text(response), wait, request_id)


def _request(http: httpx.Client, endpoint: str, body: dict, key: str) -> Answer:
    try:
        return _answer(_post(http, endpoint, body, key))
    except httpx.HTTPError as exc:
        return Answer(Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}")


def _results(items: list[Outgoing], answer: Answer) -> list[Result]:
    return [
        Result(i.delivery_id, answer.outcome, answer.detail, answer.retry_after, answer.request_id)
        for i in items
    ]


def _send_group(http: httpx.Client, messages: list[dict], items: list[Outgoing]) -> list[Result]:
    """One push (one item) or one multicast (up to 500 items) of the same messages."""
    if len(items) == 1:
        body = {"to": items[0].address, "messages": messages}
        return _results(items, _request(http, "push", body, _retry_key(items)))
    body = {"to": [i.address for i in items], "messages": messages}
    try:
        response = _post(http, "multicast", body, _retry_key(items))
    except httpx.HTTPError as exc:
        return _results(items, Answer(Outcome.FAILED_TEMPORARY, f"{type(exc).__name__}: {exc}"))
    bad = _bad_recipients(response, len(items)) if response.status_code == 400 else set()
    if not bad:
        return _results(items, _answer(response))
    refused = [items[i] for i in sorted(bad)]
    rest = [item for i, item in enumerate(items) if i not in bad]
    detail = Answer(Outcome.FAILED_PERMANENT, _error_text(response))
    return _results(refused, detail) + (_send_group(http, messages, rest) if rest else [])


def _chunks(items: list[Outgoing], size: int) -> Iterator[list[Outgoing]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@register
class LineChannel(Channel):
    """LINE official account messages; addresses are LINE user IDs (``U`` + 32 hex digits)."""

    code = "line"
    label_ja = "LINE"
    label_en = "LINE"
    max_batch = 500
    contact_kind = "line"

    def __init__(self) -> None:
        self.http: httpx.Client | None = None

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None

    def send(self, items: list[Outgoing]) -> list[Result]:
        if not settings.LINE_CHANNEL_ACCESS_TOKEN:
            return _results(items, Answer(Outcome.FAILED_TEMPORARY, "LINE access token not set"))
        malformed = [i for i in items if not is_user_id(i.address)]
        groups: dict[str, list[Outgoing]] = defaultdict(list)
        for item in items:
            if is_user_id(item.address):
                groups[json.dumps(messages_for(item), ensure_ascii=False)].append(item)
        results = _results(malformed, Answer(Outcome.FAILED_PERMANENT, "not a LINE user ID"))
        size = facts()["max_multicast_recipients"]
        requests = [
            (json.loads(messages), chunk)
            for messages, group in groups.items()
            for chunk in _chunks(group, size)
        ]
        if self.http is None:
            self.http = client()
        with ThreadPoolExecutor(_PARALLEL_REQUESTS) as pool:
            for answered in pool.map(lambda job: _send_group(self.http, *job), requests):
                results.extend(answered)
        return results


def broadcast(text: str, key: str) -> Answer:
    """Send ``text`` to everyone who follows the city's account (LINE: 60 requests an hour).

    ``key`` (a UUID) is the retry key: repeat it when retrying the same broadcast.
    """
    body = {"messages": [{"type": "text", "text": text[: facts()["max_text_length"]]}]}
    with client() as http:
        return _request(http, "broadcast", body, key)


def issue_link_token(user_id: str) -> str:
    """A link token for account linking of ``user_id`` (valid 10 minutes, used once)."""
    path = facts()["paths"]["link_token"].format(user_id=user_id)
    try:
        with client() as http:
            response = http.post(path)
    except httpx.HTTPError as exc:
        raise LineApiError(str(exc)) from exc
    if response.status_code != 200:
        raise LineApiError(_error_text(response))
    return response.json()["linkToken"]


def reply(reply_token: str, text: str) -> None:
    """Answer a webhook event with ``text`` (free of message quota; the token lives ~1 minute)."""
    body = {"replyToken": reply_token, "messages": [{"type": "text", "text": text}]}
    try:
        with client() as http:
            response = http.post(facts()["paths"]["reply"], json=body)
    except httpx.HTTPError as exc:
        raise LineApiError(str(exc)) from exc
    if response.status_code != 200:
        raise LineApiError(_error_text(response))


def account_link_url(link_token: str, nonce: str) -> str:
    """LINE's page where the user confirms linking; LINE then sends us an accountLink event."""
    query = httpx.QueryParams({"linkToken": link_token, "nonce": nonce})
    return f"{facts()['account_link_url']}?{query}"
