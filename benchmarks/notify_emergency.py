"""Emergency broadcast to every demo household on email, through a local SMTP server (aiosmtpd).

Seeds the demo registry (about 13,000 households), gives each 世帯主 a verified email address,
composes one emergency notice to all households and times: the fan-out (outbox rows written),
then the outbox workers (separate processes, 1 and then 2) until every delivery has been
handed to the SMTP server. Also measures the SMTP server's own acceptance rate, one client
sending the same messages as fast as it can, as the ceiling. Target: all households < 15 s.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

from _throwaway import setup

ARGS = setup(
    __doc__,
    lambda parser: parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to try"
    ),
)

from musubi.devtools.packages import free_port  # noqa: E402
from musubi.platform.notify import services  # noqa: E402
from musubi.platform.notify.models import Delivery, DeliveryState, Message, Template  # noqa: E402
from musubi.platform.residents import demo  # noqa: E402
from musubi.platform.residents.models import ContactPoint, Household  # noqa: E402

SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("ready", flush=True)
sys.stdin.read()
print(Count.n, flush=True)
c.stop()
"""
WORKER = """
import os, time, django
django.setup()
from musubi.platform.notify.models import Delivery, DeliveryState
from musubi.platform.notify.outbox import Worker
worker = Worker(emergency=True, name=f"bench-{os.getpid()}")
open_states = [DeliveryState.QUEUED, DeliveryState.SENDING]
while Delivery.objects.filter(state__in=open_states).exists():
    if not worker.drain():
        time.sleep(0.05)
worker.close()
"""


def seed() -> int:
    if not Household.objects.exists():
        demo.generate(seed=202100)
    heads = Household.objects.exclude(head=None).values_list("head_id", "number")
    ContactPoint.objects.filter(kind="email").delete()
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(resident_id=h, kind="email", value=f"h{n}@example.jp", verified=True)
            for h, n in heads
        ],
        batch_size=2000,
    )
    return len(heads)


def smtp_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout.readline().strip() == "ready"
    return server


def stop(server: subprocess.Popen) -> int:
    out, _err = server.communicate("", timeout=60)
    return int(out.strip().splitlines()[-1])


def broadcast(template: Template, workers: int, port: int) -> dict[str, float]:
    Message.objects.all().delete()
    started = time.perf_counter()
    message = services.compose(
        template=template,
        values={"area": "全域"},
        audience={"kind": "all"},
        created_by=None,
        emergency=True,
    )
    services.dispatch_due(emergency=True)
    fanned = time.perf_counter()
    env = os.environ | {
        "MUSUBI_EMAIL_BACKEND": "smtp",
        "MUSUBI_EMAIL_HOST": "127.0.0.1",
        "MUSUBI_EMAIL_PORT": str(port),
    }
    procs = [subprocess.Popen([sys.executable, "-c", WORKER], env=env) for _ in range(workers)]
    for proc in procs:
        proc.wait()
    done = time.perf_counter()
    sent = Delivery.objects.filter(message=message, channel="email", state=DeliveryState.SENT)
    return {
        "fanout": fanned - started,
        "dispatch": done - fanned,
        "total": done - started,
        "email": sent.count(),
    }


def ceiling(count: int, port: int) -> float:
    """Messages/s one SMTP client gets through the same local server, with nothing else."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for n in range(count):
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = "a@example.jp", f"h{n}@example.jp", "避難"
            mail.set_content("避難指示が出ました。" * 3)
            client.send_message(mail)
    return count / (time.perf_counter() - started)


def main() -> None:
    households = seed()
    template = services.save_template(
        Template(
            code="evacuate",
            name="避難指示",
            subjects={"ja": "【緊急】避難指示"},
            bodies={"ja": "{area}に避難指示が出ました。"},
            placeholders=["area"],
            emergency_approved=True,
        )
    )
    print(f"households with email: {households:,}")
    for workers in ARGS.workers:
        port = free_port()
        server = smtp_server(port)
        figures = broadcast(template, workers, port)
        received = stop(server)
        rate = figures["email"] / figures["dispatch"]
        print(
            f"{workers} worker(s): fan-out {figures['fanout']:.1f} s, dispatch "
            f"{figures['dispatch']:.1f} s, total {figures['total']:.1f} s; "
            f"{figures['email']:,} sent, {received:,} received by SMTP; {rate:,.0f} deliveries/s"
        )
    port = free_port()
    server = smtp_server(port)
    top = ceiling(min(households, 5000), port)
    stop(server)
    print(f"SMTP server ceiling (one client, no database): {top:,.0f} messages/s")


main()
