"""Email really reaches an SMTP server (aiosmtpd), and a worker killed mid-broadcast (SIGKILL)
and restarted sends exactly one message per recipient."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from musubi.devtools.packages import free_port
from musubi.platform.notify import outbox, services
from musubi.platform.notify.channels.base import Outcome, Outgoing
from musubi.platform.notify.channels.email import EmailChannel
from musubi.platform.notify.models import Delivery

PEER = Path(__file__).with_name("crash_peer.py")


class Mailbox:
    """An aiosmtpd handler that keeps what it accepted; ``on_data`` may refuse a message."""

    def __init__(self) -> None:
        self.accepted: list = []
        self.on_data = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.on_data and not self.on_data(len(self.accepted)):
            return "451 try again later"
        with self.lock:
            self.accepted.append((envelope.rcpt_tos[0], message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def test_email_is_delivered_to_a_real_smtp_server(town, compose, smtp):
    controller, mailbox = smtp
    message = compose(needs_ack=True)
    services.fan_out(message)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):  # fmt: skip
        outbox.Worker(emergency=False).drain()
    assert sorted(rcpt for rcpt, _m in mailbox.accepted) == [
        "hana@example.jp", "ichiro@example.jp", "jiro@example.jp",
    ]  # fmt: skip
    rcpt, mail = mailbox.accepted[0]
    delivery = Delivery.objects.get(message=message, address=rcpt)
    assert mail["Message-ID"] == f"<{delivery.key}@musubi.localhost>"
    assert "断水のお知らせ" in str(mail["Subject"]) or mail["Subject"].startswith("=?utf-8?")
    body = mail.get_payload(decode=True).decode()
    assert "/notices/ack/" in body  # the "受け取りました" link
    assert delivery.state == "sent"


def _env(data_dir: Path, port: int) -> dict:
    return os.environ | {
        "MUSUBI_DATA_DIR": str(data_dir), "MUSUBI_DATABASE_URL": "",
        "MUSUBI_EMAIL_BACKEND": "smtp", "MUSUBI_EMAIL_HOST": "127.0.0.1",
        "MUSUBI_EMAIL_PORT": str(port), "MUSUBI_NOTIFY_LEASE_SECONDS": "2",
    }  # fmt: skip


def broadcast_killed_at_the_fifteenth(tmp_path, smtp, lane: str, senders: int = 1) -> dict:
    """Kill -9 the worker of ``lane`` while message 15 is taken in, then restart it.

    Returns what each recipient got, what the server held at the kill, and how many deliveries
    were tried twice; asserts that every delivery ended sent.
    """
    controller, mailbox = smtp
    env = _env(tmp_path, controller.port) | {"MUSUBI_NOTIFY_EMERGENCY_SENDERS": str(senders)}
    lane_args = ["emergency"] if lane == "emergency" else []
    subprocess.run([sys.executable, str(PEER), "prepare", str(RECIPIENTS), *lane_args], env=env,
                   check=True, timeout=300)  # fmt: skip
    killed = threading.Event()
    started: list[subprocess.Popen] = []

    def kill_on_the_fifteenth(accepted_so_far: int) -> bool:
        """While message 15 is being taken in: kill -9 the worker before it hears 250."""
        if accepted_so_far == 14 and not killed.is_set():
            killed.set()  # before the kill: the test thread may see the worker die first
            os.kill(started[0].pid, signal.SIGKILL)
            started[0].wait(timeout=30)
            return False
        return True

    mailbox.on_data = kill_on_the_fifteenth  # armed before the worker can send anything
    worker = subprocess.Popen([sys.executable, str(PEER), "work", *lane_args], env=env)
    started.append(worker)
    worker.wait(timeout=120)
    assert killed.is_set() and worker.returncode == -signal.SIGKILL
    at_kill = len(mailbox.accepted)
    restarted = subprocess.run([sys.executable, str(PEER), "work", *lane_args], env=env,
                               timeout=120)  # fmt: skip
    assert restarted.returncode == 0
    with sqlite3.connect(tmp_path / "musubi.sqlite3") as db:
        states = dict(db.execute("SELECT state, count(*) FROM notify_delivery GROUP BY state"))
        retried = db.execute("SELECT count(*) FROM notify_delivery WHERE attempts = 2").fetchone()
    assert states == {"sent": RECIPIENTS}
    per_recipient = Counter(rcpt for rcpt, _m in mailbox.accepted)
    return {"per_recipient": per_recipient, "at_kill": at_kill, "retried": retried[0]}


RECIPIENTS = 40


def test_a_worker_killed_mid_broadcast_neither_loses_nor_repeats_a_message(tmp_path, smtp):
    outcome = broadcast_killed_at_the_fifteenth(tmp_path, smtp, "routine")
    assert outcome["at_kill"] == 14
    assert outcome["per_recipient"] == {f"r{n}@example.jp": 1 for n in range(RECIPIENTS)}
    # the 14 accepted were recorded before the kill; the rest of the claimed batch was retried
    assert outcome["retried"] == RECIPIENTS - 14


def test_the_emergency_lane_with_its_default_sender_repeats_nothing_either(tmp_path, smtp):
    outcome = broadcast_killed_at_the_fifteenth(tmp_path, smtp, "emergency")
    assert outcome["per_recipient"] == {f"r{n}@example.jp": 1 for n in range(RECIPIENTS)}


def test_a_mailbox_reads_the_same_whether_the_channel_or_django_composed_it(smtp, settings):
    """Plain messages are composed by the channel itself (8bit); one with a line too long for
    8bit and one to an internationalised domain go through Django. All read alike."""
    controller, mailbox = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    subject = "【緊急】避難指示（中沢・東伊那）の発令について、直ちに避難してください"
    sent = {
        "plain@example.jp": ("k-plain", "中沢に避難指示が出ました。\n避難所: 中沢小学校"),
        "long@example.jp": ("k-long", "避" * 400),  # 1,200 bytes on one line
        "user@駒ヶ根.example": ("k-idn", "全域に避難指示が出ました。"),
    }
    notice = "https://musubi.example/notices/7"
    items = [
        Outgoing(delivery_id=n, key=key, address=address, subject=subject, body=body, url=notice)
        for n, (address, (key, body)) in enumerate(sent.items())
    ]
    channel = EmailChannel()
    try:
        assert {r.outcome for r in channel.send(items)} == {Outcome.SENT}
    finally:
        channel.close()
    received = {rcpt: mail for rcpt, mail in mailbox.accepted}
    assert set(received) == {"plain@example.jp", "long@example.jp", "user@xn--qekx77njd5a.example"}
    for address, (key, body) in sent.items():
        mail = received[address if address.isascii() else "user@xn--qekx77njd5a.example"]
        assert str(make_header(decode_header(mail["Subject"]))) == subject
        assert mail["Message-ID"] == f"<{key}@musubi.localhost>"
        assert mail["From"] == "noreply@musubi.localhost" and mail["Date"]
        text = mail.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")
        assert text == f"{body}\n\n詳しくはこちら\n{notice}\n"
    assert received["plain@example.jp"]["Content-Transfer-Encoding"] == "8bit"
    assert received["long@example.jp"]["Content-Transfer-Encoding"] != "8bit"  # Django's choice


def _plain(n: int) -> Outgoing:
    return Outgoing(delivery_id=n, key=f"k{n}", address=f"r{n}@example.jp", subject="断水",
                    body=".first line starts with a dot\n本文")  # fmt: skip


def test_the_final_dot_waits_for_the_worker_and_a_no_leaves_nothing(smtp):
    """Before ``ready()`` answers, the server has the envelope and the content but has taken in
    nothing; a "no" cuts the transaction, and the next message goes out on a new connection."""
    controller, mailbox = smtp
    seen_at_ready = []

    def ready(go):
        def answer():
            seen_at_ready.append(len(mailbox.accepted))
            return go

        return answer

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):  # fmt: skip
        channel = EmailChannel()
        assert channel.hand_over([_plain(1)], ready(False)) is None
        (result,) = channel.hand_over([_plain(2)], ready(True))
        channel.close()
    assert seen_at_ready == [0, 0]
    assert result.outcome == Outcome.SENT
    assert [rcpt for rcpt, _m in mailbox.accepted] == ["r2@example.jp"]
    body = mailbox.accepted[0][1].get_payload(decode=True).decode()
    assert body.splitlines()[0] == ".first line starts with a dot"  # stuffed, then unstuffed


def _send_two_through(mailbox: Mailbox) -> list:
    """r1 and r2 through one channel, to a server run by ``mailbox``."""
    server = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=server.port):  # fmt: skip
            channel = EmailChannel()
            results = channel.send([_plain(1), _plain(2)])
            channel.close()
    finally:
        server.stop()
    return results


def test_a_busy_mailbox_is_tried_again_and_an_unknown_one_is_not():
    class Refusing(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "450 mailbox busy" if address.startswith("r1@") else "550 no such user"

    busy, unknown = _send_two_through(Refusing())
    assert busy.outcome == Outcome.FAILED_TEMPORARY and "450" in busy.detail
    assert unknown.outcome == Outcome.FAILED_PERMANENT and "550" in unknown.detail


def test_a_server_closing_at_rcpt_delays_that_one_and_the_next_goes_out_on_a_new_connection():
    class Closing(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("r1@"):
                return "421 closing, try later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    mailbox = Closing()
    later, sent = _send_two_through(mailbox)
    assert later.outcome == Outcome.FAILED_TEMPORARY and "421" in later.detail
    assert sent.outcome == Outcome.SENT
    assert [rcpt for rcpt, _m in mailbox.accepted] == ["r2@example.jp"]


def test_a_no_on_djangos_own_path_sends_nothing_and_the_next_still_goes(smtp):
    """A non-ASCII address goes through Django's ``EmailMessage``: it asks ``ready()`` first."""
    controller, mailbox = smtp
    unusual = [replace(_plain(n), address=f"r{n}@例え.example") for n in (1, 2)]
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):  # fmt: skip
        channel = EmailChannel()
        assert channel.hand_over(unusual[:1], lambda: False) is None
        (result,) = channel.hand_over(unusual[1:], lambda: True)
        channel.close()
    assert result.outcome == Outcome.SENT
    assert [rcpt for rcpt, _m in mailbox.accepted] == ["r2@xn--r8jz45g.example"]
