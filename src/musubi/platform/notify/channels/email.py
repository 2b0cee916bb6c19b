"""Email through Django's mail backend (SMTP in production).

One message per ``send`` call (``max_batch = 1``): SMTP servers do not deduplicate, so the
worker records each accepted message before the next one passes its final dot; everything
before that dot overlaps the record (``hand_over``). The connection stays open between calls.
The delivery key becomes the Message-ID, so a mailbox that does receive a retry twice can tell
it is the same message.

Over SMTP the message is composed here, as Django would compose it (UTF-8 text, 8bit, an RFC 2047
subject), and handed to the open connection: in a city-wide warning Django's composing and
address parsing took more of the worker's CPU than the SMTP conversation. Anything unusual
(a non-ASCII address, a line too long for 8bit) and every other mail backend go through
Django's ``EmailMessage``.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
from collections.abc import Callable
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
        return self.hand_over(items, lambda: True)

    def hand_over(self, items: list[Outgoing], ready: Callable[[], bool]) -> list[Result] | None:
        results = [self._one(item, ready) for item in items]
        return None if None in results else results

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def _open(self):
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
            if isinstance(self.connection, SmtpBackend):
                # the final dot goes out alone, after the content: with Nagle's algorithm it
                # would wait for the server's delayed ACK of the content (40 ms on Linux)
                sock = self.connection.connection.sock
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.connection

    def _one(self, item: Outgoing, ready: Callable[[], bool]) -> Result | None:
        try:
            validate_email(item.address)
        except ValidationError:
            return Result(item.delivery_id, Outcome.FAILED_PERMANENT, "invalid email address")
        try:
            if not self._hand_over(item, self._body(item), ready):
                return None
        except smtplib.SMTPRecipientsRefused as exc:  # 5xx: never; 4xx (mailbox busy): later
            codes = [code for code, _reply in exc.recipients.values()]
            if 421 in codes:  # the server is closing: the next message needs a new connection
                self.close()
            permanent = all(code >= 500 for code in codes)
            outcome = Outcome.FAILED_PERMANENT if permanent else Outcome.FAILED_TEMPORARY
            return Result(item.delivery_id, outcome, _smtp_detail(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Result(item.delivery_id, Outcome.FAILED_TEMPORARY, _smtp_detail(exc))
        return Result(item.delivery_id, Outcome.SENT, "accepted by the mail server")

    def _hand_over(self, item: Outgoing, body: str, ready: Callable[[], bool]) -> bool:
        """False when ``ready()`` said no: nothing was taken in."""
        connection = self._open()
        if isinstance(connection, SmtpBackend) and _composable(item, body):
            if _transaction(connection.connection, item.address, _composed(item, body), ready):
                return True
            self._drop()
            return False
        if not ready():
            return False
        EmailMessage(
            item.subject,
            body,
            to=[item.address],
            headers={"Message-ID": f"<{item.key}@{_domain()}>"},
            connection=connection,
        ).send()
        return True

    def _drop(self) -> None:
        """Cut the connection without QUIT: in the middle of DATA the server would take QUIT as
        part of the message; a transaction cut before its final dot is void."""
        with contextlib.suppress(OSError):
            self.connection.connection.close()
        self.connection.connection = None
        self.connection = None

    @staticmethod
    def _body(item: Outgoing) -> str:
        if not item.url:
            return item.body
        return f"{item.body}\n\n{_link_label(item.language, '/ack/' in item.url)}\n{item.url}\n"


@lru_cache(maxsize=64)
def _link_label(language: str, ack: bool) -> str:
    """Switching the language for every email of a broadcast cost more than composing it."""
    with override(language):
        return _("受け取りました（受取確認）") if ack else _("詳しくはこちら")


def _composable(item: Outgoing, body: str) -> bool:
    """Plain enough to compose here: ASCII addresses, one-line subject, 8bit-safe lines."""
    plain = (item.address, settings.DEFAULT_FROM_EMAIL)
    return (
        all(a.isascii() and "\n" not in a and "\r" not in a for a in plain)
        and "\n" not in item.subject
        and "\r" not in item.subject
        and all(len(line.encode()) <= 998 for line in body.splitlines())
    )


def _transaction(smtp: smtplib.SMTP, to: str, content: bytes, ready: Callable[[], bool]) -> bool:
    """One SMTP transaction whose final dot waits for ``ready()``. Until that dot the server
    keeps nothing, so everything before it (three round trips and the content) overlaps the
    worker recording the previous message. What ``sendmail`` would raise, this raises."""
    sender = settings.DEFAULT_FROM_EMAIL
    smtp.ehlo_or_helo_if_needed()
    size = [f"size={len(content)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(sender, size)
    if code != 250:
        raise _refused(smtp, code, smtplib.SMTPSenderRefused(code, reply, sender))
    code, reply = smtp.rcpt(to)
    if code not in (250, 251):
        raise _refused(smtp, code, smtplib.SMTPRecipientsRefused({to: (code, reply)}))
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise _refused(smtp, code, smtplib.SMTPDataError(code, reply))
    smtp.send(content)
    if not ready():
        return False
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise _refused(smtp, code, smtplib.SMTPDataError(code, reply))
    return True


def _refused(smtp: smtplib.SMTP, code: int, error: smtplib.SMTPException) -> Exception:
    """Leave the connection ready for the next message (closed after a 421), as ``sendmail``."""
    if code == 421:
        smtp.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()
    return error


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
    lines = ("." + line if line.startswith(".") else line for line in body.splitlines())
    text = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(lines) + "\r\n"  # dot-stuffed
    return text.encode()


@lru_cache(maxsize=64)
def _subject_header(subject: str) -> str:
    """A broadcast has one subject per language: encode it once."""
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


def _smtp_detail(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
