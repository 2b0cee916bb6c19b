"""How a resident proves a contact before the hub sends to it: email links, mobile numbers.

The hub sends only to verified contacts, so an address typed wrongly never reaches a stranger.
An email address is added unverified and a signed link (``signing`` with its own salt, naming
the resident and the address, valid for the hours in ``data/contact_verification.json``) is
mailed to it; opening the link and confirming proves the address.

The link goes **directly through Django's mail**, not through the hub's outbox, because the
link is a credential: the outbox keeps every message's text in the database, where staff read
it on the message pages, for as long as the message is kept. Sending in the request also tells
the resident at once when the mail server refuses, and nothing is kept when it does (the new
address is rolled back, what they typed stays in the form). Account sign-up mails its link the
same way (``accounts.verification``).

Sending is rate-limited per resident (one mail per interval, a cap per day) in the shared cache,
like the login lockout, so the page cannot be used to flood someone's mailbox.

Mobile numbers are checked as Japanese mobile numbers (070/080/090, 11 digits) and stored
unverified; a six-digit one-time code sent by SMS (through the SMS channel's provider, directly
for the same reason as the email link) and typed back proves the number. The code is kept only
as an HMAC in the shared cache, expires, and is voided after a few wrong tries.
"""

from __future__ import annotations

import json
import re
import secrets
import smtplib
import unicodedata
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache as shared_cache
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from musubi.platform.notify.channels import sms
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactKind, ContactPoint

SALT = "musubi.notify.contact-email"


class ContactError(ValidationError):
    """Why a contact could not be added, verified or mailed, in the resident's language."""


@cache
def facts() -> dict[str, Any]:
    path = Path(__file__).resolve().parent / "data" / "contact_verification.json"
    return json.loads(path.read_text(encoding="utf-8"))


def link_hours() -> int:
    return facts()["email_link_max_age_hours"]


# --- email ----------------------------------------------------------------------------------


def clean_email(value: str) -> str:
    """The address as typed, trimmed, or ContactError when it is not an email address."""
    address = value.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ContactError(
            _("メールアドレスの形式が正しくありません（例：taro@example.jp）。")
        ) from exc
    return address


def add_email(resident_id: int, value: str) -> ContactPoint:
    """Add an unverified address and mail it the link; on any refusal nothing is kept."""
    address = clean_email(value)
    with transaction.atomic():
        try:
            contact = residents.add_contact(resident_id, ContactKind.EMAIL, address)
        except residents.RegistryError as exc:
            raise ContactError(exc.messages[0]) from exc
        send_link(contact)
    return contact


def resend(resident_id: int, contact_id: int) -> ContactPoint:
    """Mail a fresh link for one of the resident's addresses still awaiting verification."""
    contact = own_contact(resident_id, contact_id)
    if contact.kind != ContactKind.EMAIL or contact.verified:
        raise ContactError(_("このメールアドレスは確認済みか、確認の必要がありません。"))
    send_link(contact)
    return contact


def make_token(contact: ContactPoint) -> str:
    """A link token naming the resident and the address, so removing the address voids it."""
    return signing.dumps({"r": contact.resident_id, "e": contact.value.lower()}, salt=SALT)


def send_link(contact: ContactPoint) -> None:
    """Mail the verification link to the address, within the resident's sending limits."""
    check_rate(contact.resident_id)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "notify:verify_email", args=[make_token(contact)]
    )
    subject = _("メールアドレスの確認（市からのお知らせ）")
    body = _(
        "市からのお知らせをこのメールアドレスで受け取るには、%(hours)s時間以内に次のリンクを開き、"
        "「確認する」を押してください。\n\n%(link)s\n\n"
        "お心当たりがない場合は、このメールを破棄してください。"
    ) % {"hours": link_hours(), "link": link}
    try:
        # a bounded wait: the new address's row is held in this transaction meanwhile
        connection = get_connection(timeout=facts()["mail_timeout_seconds"])
        send_mail(subject, body, None, [contact.value], connection=connection)
    except (smtplib.SMTPException, OSError) as exc:
        raise ContactError(
            _("確認メールを送れませんでした。時間をおいてもう一度お試しください。")
        ) from exc


def check_rate(resident_id: int) -> None:
    """Refuse a send sooner than the interval after the last one, or past the daily cap."""
    interval = facts()["resend_min_interval_seconds"]
    if not shared_cache.add(f"notify:verify-wait:{resident_id}", 1, timeout=interval):
        raise ContactError(
            _(
                "確認のメールやSMSは%(seconds)s秒に1回まで送れます。しばらく待ってからお試しください。"
            )
            % {"seconds": interval}
        )
    day = f"notify:verify-day:{resident_id}:{timezone.localdate().isoformat()}"
    shared_cache.add(day, 0, timeout=24 * 3600)
    if shared_cache.incr(day) > facts()["sends_per_day"]:
        raise ContactError(
            _("確認のメールやSMSは1日に%(count)s通までです。明日もう一度お試しください。")
            % {"count": facts()["sends_per_day"]}
        )


def read_token(token: str) -> ContactPoint:
    """The still-registered address a link names; ContactError for a broken, old or void link."""
    try:
        data = signing.loads(token, salt=SALT, max_age=link_hours() * 3600)
    except signing.SignatureExpired as exc:
        raise ContactError(
            _(
                "このリンクは有効期限（%(hours)s時間）が切れています。設定ページから確認メールを送り直してください。"
            )
            % {"hours": link_hours()}
        ) from exc
    except signing.BadSignature as exc:
        raise ContactError(
            _("このリンクは正しくありません。メールのリンクをそのまま開いてください。")
        ) from exc
    resident_id, address = data.get("r"), str(data.get("e", ""))
    contact = next(
        (c for c in residents.contacts_of(resident_id) if c.kind == ContactKind.EMAIL
         and c.value.lower() == address),
        None,
    )  # fmt: skip
    if contact is None:
        raise ContactError(
            _("このメールアドレスは登録から外されています。もう一度追加してください。")
        )
    return contact


def verify_email(token: str) -> ContactPoint:
    """Mark the address the link names verified: opening the mail proved it is theirs."""
    contact = read_token(token)
    return residents.confirm_contact(contact.resident_id, ContactKind.EMAIL, contact.value)


# --- mobile numbers and removal ---------------------------------------------------------------


def add_mobile(resident_id: int, value: str) -> ContactPoint:
    """Add a Japanese mobile number, unverified until its SMS code comes back; 090XXXXXXXX."""
    try:
        e164 = sms.to_e164(value)
    except sms.NotMobile as exc:
        raise ContactError(
            _(
                "携帯電話の番号は、070・080・090で始まる11桁で入力してください（例：090-1234-5678）。"
            )
        ) from exc
    national = "0" + e164.removeprefix("+" + sms.facts()["country_code"])
    try:
        return residents.add_contact(resident_id, ContactKind.MOBILE, national)
    except residents.RegistryError as exc:
        raise ContactError(exc.messages[0]) from exc


def own_contact(resident_id: int, contact_id: int) -> ContactPoint:
    """One of the resident's own contacts; ContactError for anyone else's or a missing one."""
    for contact in residents.contacts_of(resident_id):
        if contact.pk == contact_id:
            return contact
    raise ContactError(_("この連絡先は見つかりません。"))


def remove(resident_id: int, contact_id: int) -> ContactPoint:
    """Forget one of the resident's contacts (unlinking LINE, removing an address)."""
    contact = own_contact(resident_id, contact_id)
    residents.remove_contact(resident_id, contact.kind, contact.value)
    return contact


# --- one-time codes by SMS --------------------------------------------------------------------


def _code_key(contact: ContactPoint) -> str:
    return f"notify:sms-code:{contact.pk}"


def _digest(contact: ContactPoint, code: str) -> str:
    return salted_hmac(SALT + ".sms", f"{contact.pk}:{contact.value}:{code}").hexdigest()


def _unverified_mobile(resident_id: int, contact_id: int) -> ContactPoint:
    contact = own_contact(resident_id, contact_id)
    if contact.kind != ContactKind.MOBILE or contact.verified:
        raise ContactError(_("この番号は確認済みか、確認の必要がありません。"))
    return contact


def send_code(resident_id: int, contact_id: int) -> ContactPoint:
    """Text a fresh six-digit code to one of the resident's unverified mobile numbers."""
    contact = _unverified_mobile(resident_id, contact_id)
    check_rate(resident_id)
    code = f"{secrets.randbelow(10**6):06d}"
    max_age = facts()["sms_code_max_age_seconds"]
    text = _("確認コードは%(code)sです。%(minutes)s分以内に市のサイトで入力してください。") % {
        "code": code,
        "minutes": max_age // 60,
    }
    channel = sms.SmsChannel()
    try:
        item = Outgoing(0, str(uuid.uuid4()), contact.value, subject=text, body="")
        result = channel.send([item])[0]
    finally:
        channel.close()
    if result.outcome not in (Outcome.SENT, Outcome.DELIVERED):
        raise ContactError(_("SMSを送れませんでした。時間をおいてもう一度お試しください。"))
    expires = timezone.now().timestamp() + max_age
    state = {"digest": _digest(contact, code), "tries": 0, "expires": expires}
    shared_cache.set(_code_key(contact), state, timeout=max_age)
    return contact


def check_code(resident_id: int, contact_id: int, typed: str) -> ContactPoint:
    """Verify the number when the code matches; wrong tries are counted, then the code voided."""
    contact = _unverified_mobile(resident_id, contact_id)
    code = unicodedata.normalize("NFKC", typed).strip()
    if not re.fullmatch(r"\d{6}", code):
        raise ContactError(_("確認コードは、SMSで届いた6桁の数字を入力してください。"))
    state = shared_cache.get(_code_key(contact))
    if state is None:
        raise ContactError(
            _("確認コードの有効期限が切れたか、まだ送っていません。コードを送り直してください。")
        )
    if not constant_time_compare(state["digest"], _digest(contact, code)):
        _count_wrong_try(contact, state)
    shared_cache.delete(_code_key(contact))
    return residents.confirm_contact(resident_id, ContactKind.MOBILE, contact.value)


def _count_wrong_try(contact: ContactPoint, state: dict[str, Any]) -> None:
    """Record a wrong code and say so; the last allowed try voids the code."""
    tries = state["tries"] + 1
    if tries >= facts()["sms_code_max_tries"]:
        shared_cache.delete(_code_key(contact))
        raise ContactError(
            _("確認コードを%(count)s回まちがえたため、無効にしました。コードを送り直してください。")
            % {"count": tries}
        )
    remaining = max(1, int(state["expires"] - timezone.now().timestamp()))
    shared_cache.set(_code_key(contact), {**state, "tries": tries}, timeout=remaining)
    raise ContactError(_("確認コードが違います。SMSで届いた6桁の数字を確かめてください。"))
