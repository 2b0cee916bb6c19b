"""A local LINE Messaging API: push, multicast, broadcast, reply and link tokens.

It checks what LINE documents (Bearer token; ``to`` and ``messages`` shapes and limits; the
``X-Line-Retry-Key`` format) and answers like LINE: 400 with ``{"message", "details"}``, 401 for a
bad token, and 409 with ``x-line-accepted-request-id`` when a retry key was already accepted.
``sign_webhook`` makes the body and ``x-line-signature`` LINE would send to our webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from typing import Any

from musubi.devtools.peers.server import Peer, Reply, Request
from musubi.platform.notify.channels.line import facts

_SENDING = ("push", "multicast", "broadcast")


def _invalid(*details: tuple[str, str]) -> Reply:
    listed = [{"message": message, "property": prop} for prop, message in details]
    return Reply(
        400, {"message": f"The request body has {len(listed)} error(s)", "details": listed}
    )


def _check_text(message: dict, prop: str) -> list[tuple[str, str]]:
    text = message.get("text")
    if not isinstance(text, str) or not text:
        return [(f"{prop}.text", "Must not be empty")]
    if len(text) > facts()["max_text_length"]:
        return [(f"{prop}.text", "Length must be between 0 and 5000")]
    return []


def _check_buttons(message: dict, prop: str) -> list[tuple[str, str]]:
    """A buttons template without image or title: altText ≤ 400, text ≤ 160, 1–4 postbacks."""
    template = message.get("template") if isinstance(message.get("template"), dict) else {}
    actions = template.get("actions") if isinstance(template.get("actions"), list) else []
    errors = []
    if not 1 <= len(str(message.get("altText") or "")) <= 400:
        errors.append((f"{prop}.altText", "Length must be between 1 and 400"))
    if template.get("type") != "buttons" or not 1 <= len(str(template.get("text") or "")) <= 160:
        errors.append((f"{prop}.template", "Must be a buttons template with text of 1-160"))
    if not 1 <= len(actions) <= 4:
        errors.append((f"{prop}.template.actions", "Size must be between 1 and 4"))
    for i, action in enumerate(actions):
        at = f"{prop}.template.actions[{i}]"
        if not isinstance(action, dict) or action.get("type") != "postback":
            errors.append((f"{at}.type", "Must be one of the following values"))
        elif not 1 <= len(str(action.get("label") or "")) <= 20:
            errors.append((f"{at}.label", "Length must be between 1 and 20"))
        elif not 1 <= len(str(action.get("data") or "")) <= 300:
            errors.append((f"{at}.data", "Length must be between 1 and 300"))
    return errors


_CHECKS = {"text": _check_text, "template": _check_buttons}


def _check_messages(body: dict) -> list[tuple[str, str]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [("messages", "Must not be empty")]
    if len(messages) > facts()["max_messages_per_request"]:
        return [("messages", "Size must be between 1 and 5")]
    errors = []
    for index, message in enumerate(messages):
        check = _CHECKS.get(message.get("type")) if isinstance(message, dict) else None
        if check is None:
            errors.append((f"messages[{index}].type", "Must be one of the following values"))
        else:
            errors.extend(check(message, f"messages[{index}]"))
    return errors


def _check_user(value: Any, prop: str) -> list[tuple[str, str]]:
    if isinstance(value, str) and re.fullmatch(facts()["user_id_pattern"], value):
        return []
    return [(prop, "The property, '" + prop + "', in the request body is invalid (line user ID)")]


def _check_to(endpoint: str, body: dict) -> list[tuple[str, str]]:
    to = body.get("to")
    if endpoint == "push":
        return _check_user(to, "to")
    if endpoint == "multicast":
        if not isinstance(to, list) or not 1 <= len(to) <= facts()["max_multicast_recipients"]:
            return [("to", "Size must be between 1 and 500")]
        return [err for i, user in enumerate(to) for err in _check_user(user, f"to[{i}]")]
    return []


class LinePeer(Peer):
    """The peer; ``accepted`` lists the message requests LINE would have sent."""

    def __init__(self, token: str = "peer-access-token") -> None:  # noqa: S107 (a test peer)
        super().__init__()
        self.token = token
        self.received: list[dict] = []
        self.accepted: list[dict] = []
        self.replies: list[dict] = []
        self.link_tokens: dict[str, str] = {}  # link token → user ID
        # IDs of another provider's users: well-formed, but LINE answers 400 for them
        self.foreign_users: set[str] = set()
        self._keys: dict[str, str] = {}  # retry key → accepted request ID

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            message = "Authentication failed. Confirm that the access token is valid."
            return Reply(401, {"message": message})
        paths = facts()["paths"]
        endpoint = next((name for name in _SENDING if request.path == paths[name]), None)
        if endpoint:
            return self._message(endpoint, request)
        if request.path == paths["reply"]:
            return self._reply(request)
        if match := re.fullmatch(r"/v2/bot/user/([^/]+)/linkToken", request.path):
            return self._link_token(match.group(1), request)
        return Reply(404, {"message": "Not found"})

    def _body(self, request: Request) -> dict | None:
        try:
            body = request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _message(self, endpoint: str, request: Request) -> Reply:
        key = request.headers.get(facts()["retry_key_header"].lower(), "")
        if key and not _is_uuid(key):
            return Reply(400, {"message": "The value of the X-Line-Retry-Key header is invalid"})
        body = self._body(request)
        if body is None:
            return Reply(400, {"message": "The request body could not be parsed as JSON"})
        errors = _check_to(endpoint, body) + self._check_foreign(body) + _check_messages(body)
        record = {"endpoint": endpoint, "retry_key": key, "body": body}
        with self.lock:
            self.received.append(record)
            if errors:
                return _invalid(*errors)
            if key in self._keys:
                accepted = {facts()["accepted_request_id_header"]: self._keys[key]}
                return Reply(409, {"message": "The retry key is already accepted"}, accepted)
            request_id = str(uuid.uuid4())
            if key:
                self._keys[key] = request_id
            self.accepted.append(record)
        answer = {"sentMessages": _sent(body)} if endpoint == "push" else {}
        return Reply(200, answer, {facts()["request_id_header"]: request_id})

    def _check_foreign(self, body: dict) -> list[tuple[str, str]]:
        to = body.get("to")
        if isinstance(to, str):
            return _check_user("", "to") if to in self.foreign_users else []
        if isinstance(to, list):
            return [
                e
                for i, u in enumerate(to)
                if u in self.foreign_users
                for e in _check_user("", f"to[{i}]")
            ]
        return []

    def _reply(self, request: Request) -> Reply:
        if request.headers.get(facts()["retry_key_header"].lower()):
            return Reply(400, {"message": "X-Line-Retry-Key is not supported for this API"})
        body = self._body(request)
        if body is None or not body.get("replyToken"):
            return _invalid(("replyToken", "Must not be empty"))
        if errors := _check_messages(body):
            return _invalid(*errors)
        with self.lock:
            self.replies.append(body)
        return Reply(200, {"sentMessages": _sent(body)})

    def _link_token(self, user_id: str, request: Request) -> Reply:
        if _check_user(user_id, "userId"):
            return Reply(400, {"message": "The value for the 'userId' parameter is invalid"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.link_tokens[token] = user_id
        return Reply(200, {"linkToken": token})

    def texts_for(self, user_id: str) -> list[str]:
        """Every text accepted for ``user_id`` by push or multicast (broadcasts excluded)."""
        with self.lock:
            requests = list(self.accepted)
        found = []
        for record in requests:
            to = record["body"].get("to")
            if to == user_id or (isinstance(to, list) and user_id in to):
                found.extend(m["text"] for m in record["body"]["messages"] if m["type"] == "text")
        return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _sent(body: dict) -> list[dict]:
    return [
        {"id": str(secrets.randbits(60)), "quoteToken": secrets.token_urlsafe(16)}
        for _ in body["messages"]
    ]


def sign_webhook(secret: str, events: list[dict], destination: str = "") -> tuple[bytes, str]:
    """The raw body and ``x-line-signature`` LINE would send with ``events``."""
    payload = {"destination": destination or "U" + "0" * 32, "events": events}
    body = json.dumps(payload, ensure_ascii=False).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


def event(kind: str, user_id: str, **fields: Any) -> dict:
    """A webhook event of ``kind`` (follow, unfollow, accountLink, postback) from ``user_id``."""
    base = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": secrets.token_hex(13).upper(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in ("follow", "accountLink", "postback"):
        base["replyToken"] = secrets.token_hex(16)
    return {**base, **fields}
