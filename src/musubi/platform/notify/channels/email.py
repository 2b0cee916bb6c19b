"""Email through Django's mail backend (SMTP in production).

One message per ``send`` call (``max_batch = 1``): SMTP servers do not deduplicate, so the
worker records each accepted message before handing over the next one. The connection stays
open between calls. The delivery key becomes the Message-ID, so a mailbox that does receive a
retry twice can tell it is the same message.

Over SMTP the message is composed here, as Django would compose it (UTF-8 text, 8bit, an RFC 2047
subject), and handed to the open connection: in a city-wide warning Django's composing and
address parsing took more of the worker's CPU than the SMTP conversation. Anything unusual
(a non-ASCII address, a line too long for 8bit) and every other mail backend go through
Django's ``EmailMessage``.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.header import Header
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import override

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.registry import register


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "musubi.localhost"


@register
class EmailChannel(Channel):
    code = "email"
    label_ja = "メール"
    label_en = "Email"
    max_batch = 1
    contact_kind = "email"

    def __init__(self) -> None:
        self.connection = None

    def send(self, items: list[Outgoing]) -> list[Result]:
        return [self._one(item) for item in items]

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def _open(self):
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        return self.connection

    def _one(self, item: Outgoing) -> Result:
        try:
            validate_email(item.address)
        except ValidationError:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, "invalid email address")
        try:
            self._hand_over(item, self._body(item))
        except smtplib.SMTPRecipientsRefused as exc:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, _smtp_detail(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Result(item.delivery_id, Outcome.FAILED_TEMPORARY, _smtp_detail(exc))
        return Result(item.delivery_id, Outcome.SENT, "accepted by the mail server")

    def _hand_over(self, item: Outgoing, body: str) -> None:
        connection = self._open()
        if isinstance(connection, SmtpBackend) and _composable(item, body):
            connection.connection.sendmail(
                settings.DEFAULT_FROM_EMAIL, [item.address], _composed(item, body)
            )
            return
        EmailMessage(
            item.subject,
            body,
            to=[item.address],
            headers={"Message-ID": f"<{item.key}@{_domain()}>"},
            connection=connection,
        ).send()

    @staticmethod
    def _body(item: Outgoing) -> str:
        if not item.url:
            return item.body
        with override(item.language):
            label = _("受け取りました（受取確認）") if "/ack/" in item.url else _("詳しくはこちら")
        return f"{item.body}\n\n{label}\n{item.url}\n"


def _composable(item: Outgoing, body: str) -> bool:
    """Plain enough to compose here: ASCII addresses, one-line subject, 8bit-safe lines."""
    plain = (item.address, settings.DEFAULT_FROM_EMAIL)
    return (
        all(a.isascii() and "\n" not in a and "\r" not in a for a in plain)
        and "\n" not in item.subject
        and "\r" not in item.subject
        and all(len(line.encode()) <= 998 for line in body.splitlines())
    )


def _composed(item: Outgoing, body: str) -> bytes:
    headers = [
        'Content-Type: text/plain; charset="utf-8"',
        "MIME-Version: 1.0",
        "Content-Transfer-Encoding: 8bit",
        f"Subject: {_subject_header(item.subject)}",
        f"From: {settings.DEFAULT_FROM_EMAIL}",
        f"To: {item.address}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        f"Message-ID: <{item.key}@{_domain()}>",
    ]
    text = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(body.splitlines()) + "\r\n"
    return text.encode()


@lru_cache(maxsize=64)
def _subject_header(subject: str) -> str:
    """A broadcast has one subject per language: encode it once."""
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


def _smtp_detail(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
