"""The local providers of the emergency benchmark, each in its own process, and their ceilings.

A provider here is a process: aiosmtpd for email, ``python -m musubi.devtools.peers`` for LINE,
SMS and Web Push. ``ceiling_*`` measure what one provider accepts from ``clients`` clients
sending as fast as they can, without a database or our outbox, so the figure is the peer's
(and the client library's) own limit, the yardstick for the outbox's rate.
"""

from __future__ import annotations

import json
import secrets
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import httpx

SMTP_SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print('{"ready": true}', flush=True)
sys.stdin.read()
print('{"accepted": %d, "recipients": %d}' % (Count.n, Count.n), flush=True)
c.stop()
"""


class Provider:
    """One local provider process; ``stop()`` returns what it accepted (requests, recipients)."""

    def __init__(self, kind: str, port: int) -> None:
        if kind == "email":
            command = [sys.executable, "-c", SMTP_SERVER, str(port)]
        else:
            command = [sys.executable, "-m", "musubi.devtools.peers", kind, "--port", str(port)]
        self.kind, self.port = kind, port
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.described = json.loads(self.process.stdout.readline())

    def stop(self) -> dict:
        out, _err = self.process.communicate("", timeout=120)
        return json.loads(out.strip().splitlines()[-1])


def rate(send: Callable[[object, int], None], make_client: Callable[[], object], total: int,
         clients: int) -> float:  # fmt: skip
    """Items/s when ``clients`` threads, one client each, share ``total`` sends."""
    local = threading.local()

    def one(n: int) -> None:
        if not hasattr(local, "client"):
            local.client = make_client()
        send(local.client, n)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(total)))
    return total / (time.perf_counter() - started)


def ceiling_email(port: int, total: int, clients: int) -> float:
    def send(client: smtplib.SMTP, n: int) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.jp", f"h{n}@example.jp", "避難"
        mail["Message-ID"] = f"<{uuid.uuid4()}@example.jp>"
        mail.set_content("全域に避難指示が出ました。" * 3)
        client.send_message(mail)

    return rate(send, lambda: smtplib.SMTP("127.0.0.1", port), total, clients)


def ceiling_line(described: dict, recipients: int, clients: int) -> float:
    """Recipients/s in multicasts of 500, each with its own retry key."""
    batch = 500
    users = [f"U{secrets.token_hex(16)}" for _ in range(batch)]
    body = {"to": users, "messages": [{"type": "text", "text": "【緊急】避難指示\n\n全域"}]}

    def client() -> httpx.Client:
        auth = {"Authorization": f"Bearer {described['token']}"}
        return httpx.Client(base_url=described["url"], headers=auth)

    def send(http: httpx.Client, _n: int) -> None:
        key = {"X-Line-Retry-Key": str(uuid.uuid4())}
        http.post("/v2/bot/message/multicast", json=body, headers=key).raise_for_status()

    requests = max(1, recipients // batch)
    return rate(send, client, requests, clients) * batch


def ceiling_sms(described: dict, total: int, clients: int) -> float:
    path = f"/2010-04-01/Accounts/{described['account_sid']}/Messages.json"

    def client() -> httpx.Client:
        auth = (described["account_sid"], described["auth_token"])
        return httpx.Client(base_url=described["url"], auth=auth)

    def send(http: httpx.Client, n: int) -> None:
        form = {"To": f"+8190{n:08d}", "From": "+819000000000", "Body": "【緊急】避難指示 全域"}
        http.post(path, data=form).raise_for_status()

    return rate(send, client, total, clients)


def ceiling_webpush(described: dict, vapid_headers: dict, total: int, clients: int) -> float:
    """Messages/s of ready-encrypted pushes: the push service's limit, not our encryption's."""
    body = (
        secrets.token_bytes(16) + (4096).to_bytes(4, "big") + bytes([65, 4])
        + secrets.token_bytes(64) + secrets.token_bytes(200)
    )  # fmt: skip
    headers = vapid_headers | {"Content-Encoding": "aes128gcm", "TTL": "86400", "Urgency": "high"}

    def send(http: httpx.Client, n: int) -> None:
        http.post(f"/push/bench{n}", content=body, headers=headers).raise_for_status()

    return rate(send, lambda: httpx.Client(base_url=described["url"]), total, clients)
