"""LINE webhook and account linking: how a LINE account becomes a verified contact of a resident.

Linking follows LINE's account-link flow. Someone follows the city's official account; we answer
the follow event with a link to our page carrying a link token LINE issued for that LINE user.
The resident signs in and confirms; we send them to LINE with a nonce we signed (it names the
resident, so no table is needed and it cannot be forged); LINE then calls the webhook with an
``accountLink`` event carrying our nonce, and only then is the LINE user ID stored, verified.
Every webhook call is checked against ``x-line-signature`` (HMAC-SHA256 of the raw body with
the channel secret) before anything in it is believed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from musubi.platform.notify import services as hub
from musubi.platform.notify.channels import line
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactKind

log = logging.getLogger(__name__)

_NONCE_SALT = "musubi.notify.line-link"


def signature_valid(body: bytes, signature: str, secret: str) -> bool:
    """True when ``signature`` is LINE's Base64(HMAC-SHA256(secret, body))."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode())


def link_nonce(resident_id: int) -> str:
    """A one-off nonce naming the resident who confirmed linking, signed by us."""
    return signing.dumps({"r": resident_id, "n": secrets.token_urlsafe(16)}, salt=_NONCE_SALT)


def resident_in_nonce(nonce: str) -> int | None:
    """The resident a nonce we issued names, or None if forged or older than LINE's 10 minutes."""
    try:
        data = signing.loads(
            nonce, salt=_NONCE_SALT, max_age=line.facts()["link_nonce_max_age_seconds"]
        )
    except signing.BadSignature:
        return None
    return data.get("r") if isinstance(data, dict) else None


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """LINE's calls: 400 without a signature, 403 with a wrong one, else 200 after handling."""
    signature = request.headers.get(line.facts()["signature_header"], "")
    if not signature:
        return HttpResponse("missing x-line-signature", status=400, content_type="text/plain")
    secret = settings.LINE_CHANNEL_SECRET
    if not secret or not signature_valid(request.body, signature, secret):
        return HttpResponse("signature does not match", status=403, content_type="text/plain")
    try:
        events = json.loads(request.body)["events"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse(
            "body is not a LINE webhook payload", status=400, content_type="text/plain"
        )
    for event in events if isinstance(events, list) else []:
        handle_event(event, request)
    return HttpResponse(status=200)


def handle_event(event: dict, request: HttpRequest) -> None:
    """Act on one webhook event; unknown kinds (message, join…) are ignored."""
    user_id = (event.get("source") or {}).get("userId", "")
    if not isinstance(user_id, str) or not line.is_user_id(user_id):
        return
    handler = _HANDLERS.get(event.get("type", ""))
    if handler:
        handler(event, user_id, request)


def _followed(event: dict, user_id: str, request: HttpRequest) -> None:
    """A (re)follow: a linked account is reachable again; anyone gets the link to link."""
    residents.set_contact_verified(ContactKind.LINE, user_id, True)
    try:
        token = line.issue_link_token(user_id)
        url = f"{settings.SITE_URL.rstrip('/')}{reverse('notify:line_link')}?linkToken={token}"
        text = _(
            "友だち追加ありがとうございます。市からのお知らせをLINEで受け取るには、次のリンクから市のサイトにログインして連携してください。"
        )
        line.reply(event.get("replyToken", ""), f"{text}\n{url}")
    except line.LineApiError as exc:
        log.warning("LINE follow of %s: could not send the link: %s", user_id, exc)


def _unfollowed(event: dict, user_id: str, request: HttpRequest) -> None:
    """Blocked or unfollowed: nothing we send reaches them until they follow again."""
    residents.set_contact_verified(ContactKind.LINE, user_id, False)


def _account_linked(event: dict, user_id: str, request: HttpRequest) -> None:
    link = event.get("link") or {}
    resident_id = resident_in_nonce(str(link.get("nonce", "")))
    if link.get("result") != "ok" or resident_id is None:
        log.info("LINE account link of %s not accepted (result %s)", user_id, link.get("result"))
        return
    try:
        residents.confirm_contact(resident_id, ContactKind.LINE, user_id)
    except residents.RegistryError as exc:
        log.info("LINE account link of %s refused: %s", user_id, exc)


def _postback(event: dict, user_id: str, request: HttpRequest) -> None:
    """An "受け取りました" button: ``data`` is ``ack=<token>`` with the hub's signed token."""
    data = parse_qs(str((event.get("postback") or {}).get("data", "")))
    for token in data.get("ack", [])[:1]:
        try:
            message, household_id = hub.read_ack_token(token)
        except hub.BadToken:
            log.info("LINE postback from %s with a bad acknowledgement token", user_id)
            return
        hub.acknowledge(message, household_id, how="line")


_HANDLERS = {
    "follow": _followed,
    "unfollow": _unfollowed,
    "accountLink": _account_linked,
    "postback": _postback,
}


@login_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """The resident confirms that the LINE account which sent them here is theirs."""
    resident = residents.resident_for(request.user)
    token = request.POST.get("linkToken") or request.GET.get("linkToken", "")
    if request.method == "POST" and resident and token:
        return HttpResponseRedirect(line.account_link_url(token, link_nonce(resident.pk)))
    return render(request, "notify/line_link.html", {"resident": resident, "link_token": token})
