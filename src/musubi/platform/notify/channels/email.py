"""Email through Django's mail backend (SMTP in production).

One message per ``send`` call (``max_batch = 1``): SMTP servers do not deduplicate, so the
worker records each accepted message before handing over the next one. The connection stays
open between calls. The delivery key becomes the Message-ID, so a mailbox that does receive a
retry twice can tell it is the same message.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
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
        message = EmailMessage(
            item.subject,
            self._body(item),
            to=[item.address],
            headers={"Message-ID": f"<{item.key}@{_domain()}>"},
            connection=self._open(),
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, _smtp_detail(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Result(item.delivery_id, Outcome.FAILED_TEMPORARY, _smtp_detail(exc))
        return Result(item.delivery_id, Outcome.SENT, "accepted by the mail server")

    @staticmethod
    def _body(item: Outgoing) -> str:
        if not item.url:
            return item.body
        with override(item.language):
            label = _("受け取りました（受取確認）") if "/ack/" in item.url else _("詳しくはこちら")
        return f"{item.body}\n\n{label}\n{item.url}\n"


def _smtp_detail(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
