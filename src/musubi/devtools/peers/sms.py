"""A local SMS gateway speaking the Twilio Messages API.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth (account SID and
auth token) and a form body ``To``, ``From``, ``Body``. It answers 201 with the message resource,
or Twilio's error JSON (``code``, ``message``, ``more_info``, ``status``): 20003 bad credentials,
21211 invalid ``To``, 21602 no body, 21603 no sender, 21617 body over 1,600 characters, 21610 a
recipient who opted out (``opted_out``).

A message sent with ``StatusCallback`` gets its receipt when the test calls ``report()``: a form
POST to that URL, signed with ``X-Twilio-Signature`` as the gateway signs it, saying
``delivered``, or ``undelivered`` with error 30003 for a number in ``unreachable``.
"""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import parse_qs

import httpx

from musubi.devtools.peers.server import Peer, Reply, Request
from musubi.platform.notify.channels.sms import facts, segments, signature

_E164 = re.compile(r"\+[1-9]\d{1,14}")


def _error(status: int, code: int, message: str) -> Reply:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return Reply(status, {"code": code, "message": message, "more_info": more, "status": status})


class SmsPeer(Peer):
    """The peer; ``accepted`` lists the message resources it created."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "") -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token or "peer-auth-token"  # a test peer's own credential
        self.accepted: list[dict] = []
        self.opted_out: set[str] = set()
        self.unreachable: set[str] = set()
        self.receipts_due: list[tuple[str, dict]] = []  # (callback URL, message resource)

    def handle(self, request: Request) -> Reply:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        if request.method != "POST" or request.path != facts()["messages_path"].format(
            account_sid=self.account_sid
        ):
            return _error(404, 20404, "The requested resource was not found")
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _error(400, 21602, "Message body is required.")
        form = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        return self._create(form)

    def _create(self, form: dict[str, str]) -> Reply:
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not _E164.fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not sender:
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > facts()["max_body_length"]:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + secrets.token_hex(16)
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": str(segments(body).count),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self.lock:
            self.accepted.append(resource)
            if form.get("StatusCallback"):
                self.receipts_due.append((form["StatusCallback"], resource))
        return Reply(201, resource)

    def report(self) -> list[int]:
        """Post every receipt due, signed; the HTTP status each callback answered."""
        with self.lock:
            due, self.receipts_due = self.receipts_due, []
        return [self._post_receipt(url, resource) for url, resource in due]

    def _post_receipt(self, url: str, resource: dict) -> int:
        form = {"MessageSid": resource["sid"], "SmsSid": resource["sid"],
                "AccountSid": self.account_sid, "From": resource["from"], "To": resource["to"],
                "ApiVersion": "2010-04-01", "MessageStatus": "delivered"}  # fmt: skip
        if resource["to"] in self.unreachable:
            form["MessageStatus"] = "undelivered"
            form["ErrorCode"] = str(facts()["error_codes"]["unreachable_handset"])
        headers = {"X-Twilio-Signature": signature(self.auth_token, url, form)}
        return httpx.post(url, data=form, headers=headers, timeout=10).status_code
