"""Emergency broadcast to every demo household, on every channel, through local providers.

Seeds the demo registry (about 13,000 households) and gives the households their contacts:

- ``--mix email`` (default): every 世帯主 a verified email address;
- ``--mix demo``: the channel mix of ``DEMO_MIX`` (an assumption, see there), every channel
  pointed at its local provider: aiosmtpd, and the LINE, SMS and Web Push peers of
  ``musubi.devtools.peers``, each in its own process.

Then composes one emergency notice to all households and times, from that one action, the
fan-out (outbox rows written) and the outbox workers (separate processes already running, as
``musubi worker`` is, 1 and then 2 by default) until every delivery has been handed over; per
channel: deliveries/s until its last hand-over. Finally each
provider's own ceiling: ``--ceiling-clients`` clients sending as fast as they can, no database.
Target: all households < 15 s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter

from _notify_peers import (
    Provider,
    ceiling_email,
    ceiling_line,
    ceiling_sms,
    ceiling_webpush,
)
from _throwaway import setup


def _options(parser) -> None:
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to try"
    )
    parser.add_argument("--mix", choices=["email", "demo"], default="email")
    parser.add_argument(
        "--ceiling-clients", type=int, nargs="+", default=[1], help="clients for the ceilings"
    )


ARGS = setup(__doc__, _options)

from django.conf import settings  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from musubi.devtools.packages import free_port  # noqa: E402
from musubi.devtools.peers.webpush import subscription_on  # noqa: E402
from musubi.platform.notify import services  # noqa: E402
from musubi.platform.notify.channels import webpush  # noqa: E402
from musubi.platform.notify.models import Delivery, DeliveryState, Message, Template  # noqa: E402
from musubi.platform.residents import demo  # noqa: E402
from musubi.platform.residents.models import ContactPoint, Household  # noqa: E402

#: ASSUMPTION, not a measurement: the share of households a city like Komagane reaches on each
#: channel, drawn independently per household (so some have several). SMS is for households
#: whose 世帯主 is 65 or older and has nothing else; paper takes the rest.
DEMO_MIX = {"line": 0.40, "webpush": 0.10, "email": 0.50, "sms_65_plus_otherwise_unreached": 0.15}
CONTACT_KIND = {"line": "line", "webpush": "webpush", "email": "email", "sms": "mobile"}
DIGITAL = ("email", "line", "sms", "webpush")

#: A worker process as ``musubi worker`` has it once it has run: Django set up, the URLconf
#: loaded (the acknowledgement links need it). It says "ready", waits for the fan-out, then
#: drains the emergency lane; starting Python and Django takes seconds that an emergency in
#: a running city never waits for.
WORKER = """
import os, sys, time, django
django.setup()
from django.urls import get_resolver
from musubi.platform.notify.models import Delivery, DeliveryState
from musubi.platform.notify.outbox import Worker
get_resolver().url_patterns
worker = Worker(emergency=True, name=f"bench-{os.getpid()}")
print("ready", flush=True)
sys.stdin.readline()
open_states = [DeliveryState.QUEUED, DeliveryState.SENDING]
while Delivery.objects.filter(state__in=open_states).exists():
    if not worker.drain():
        time.sleep(0.05)
worker.close()
"""


def _address(channel: str, number: int, push_url: str) -> str:
    if channel == "line":
        return "U" + hashlib.md5(str(number).encode()).hexdigest()  # an ID, not a secret
    if channel == "webpush":
        return webpush.canonical(subscription_on(push_url))
    if channel == "sms":
        return f"090{number % 10**8:08d}"
    return f"h{number}@example.jp"


def _channels_of(rng: random.Random, born: dt.date, today: dt.date) -> list[str]:
    chosen = [c for c in ("line", "webpush", "email") if rng.random() < DEMO_MIX[c]]
    aged = (today - born).days >= 65 * 365.25
    if not chosen and aged and rng.random() < DEMO_MIX["sms_65_plus_otherwise_unreached"]:
        chosen = ["sms"]
    return chosen


def seed(mix: str, push_url: str) -> Counter:
    """Give the 世帯主 their contacts; households per channel (and on paper)."""
    if not Household.objects.exists():
        demo.generate(seed=202100)
    ContactPoint.objects.filter(kind__in=CONTACT_KIND.values()).delete()
    rng, today, counts, contacts = random.Random(202100), dt.date.today(), Counter(), []
    heads = Household.objects.exclude(head=None).order_by("id")
    for head, number, born in heads.values_list("head_id", "id", "head__birthdate"):
        chosen = ["email"] if mix == "email" else _channels_of(rng, born, today)
        counts.update(chosen or ["paper"])
        contacts += [
            ContactPoint(resident_id=head, kind=CONTACT_KIND[c], verified=True,
                         value=_address(c, number, push_url))
            for c in chosen
        ]  # fmt: skip
    ContactPoint.objects.bulk_create(contacts, batch_size=2000)
    return counts


def provider_env(providers: dict[str, Provider]) -> dict[str, str]:
    """Worker settings pointing every channel at its local provider."""
    env = {"MUSUBI_EMAIL_BACKEND": "smtp", "MUSUBI_EMAIL_HOST": "127.0.0.1",
           "MUSUBI_EMAIL_PORT": str(providers["email"].port)}  # fmt: skip
    if "line" in providers:
        line = providers["line"].described
        env |= {
            "MUSUBI_LINE_API_URL": line["url"],
            "MUSUBI_LINE_CHANNEL_ACCESS_TOKEN": line["token"],
        }
    if "sms" in providers:
        sms = providers["sms"].described
        env |= {
            "MUSUBI_SMS_API_URL": sms["url"],
            "MUSUBI_SMS_ACCOUNT_SID": sms["account_sid"],
            "MUSUBI_SMS_AUTH_TOKEN": sms["auth_token"],
            "MUSUBI_SMS_FROM": "+819000000000",
        }
    return env


def broadcast(template: Template, workers: int, env: dict[str, str]) -> dict:
    """Times from the one send action: the fan-out, then until every delivery is handed over
    by ``workers`` already running worker processes."""
    Message.objects.all().delete()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER], env=os.environ | env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]  # fmt: skip
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a worker failed to start")
    started, sent_at = time.perf_counter(), timezone.now()
    message = services.compose(
        template=template,
        values={"area": "全域"},
        audience={"kind": "all"},
        created_by=None,
        emergency=True,
    )
    services.dispatch_due(emergency=True)
    fanned = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.close()
    for proc in procs:
        proc.wait()
    done = time.perf_counter()
    rows = (
        Delivery.objects.filter(message=message, state=DeliveryState.SENT)
        .values("channel")
        .annotate(n=Count("id"), last=Max("sent_at"))
    )
    per_channel = {r["channel"]: (r["n"], (r["last"] - sent_at).total_seconds()) for r in rows}
    digital = [per_channel[c][1] for c in DIGITAL if c in per_channel]
    return {
        "fanout": fanned - started,
        "dispatch": done - started,
        "digital": max(digital, default=0.0),
        "channels": per_channel,
        "open": Delivery.objects.filter(message=message).exclude(state=DeliveryState.SENT).count(),
    }


def start_providers(kinds: list[str], ports: dict[str, int]) -> dict[str, Provider]:
    return {kind: Provider(kind, ports[kind]) for kind in kinds}


def report(workers: int, figures: dict, received: dict[str, dict]) -> None:
    print(
        f"{workers} worker(s): every digital delivery handed over {figures['digital']:.1f} s "
        f"after the send action (target < 15 s; fan-out took {figures['fanout']:.1f} s of it, "
        f"workers done after {figures['dispatch']:.1f} s); not sent: {figures['open']:,}"
    )
    for channel, (count, seconds) in sorted(figures["channels"].items()):
        got = received.get(channel)
        peer = (
            f"; provider took {got['accepted']:,} requests, {got['recipients']:,} recipients"
            if got
            else ""
        )
        per_second = count / max(seconds, 1e-6)
        print(f"  {channel:8} {count:6,} sent in {seconds:5.1f} s = {per_second:7,.0f}/s{peer}")


def ceilings(kinds: list[str], ports: dict[str, int], counts: Counter) -> dict[int, float]:
    """Each provider's ceiling per number of clients; returns email's."""
    email = {}
    for clients in ARGS.ceiling_clients:
        providers = start_providers(kinds, ports)
        try:
            found = {"email": ceiling_email(ports["email"], min(counts["email"], 3000), clients)}
            if "line" in providers:
                found["line"] = ceiling_line(providers["line"].described, 50_000, clients)
            if "sms" in providers:
                found["sms"] = ceiling_sms(providers["sms"].described, 2000, clients)
            if "webpush" in providers:
                headers = webpush._Signer({}, threading.Lock()).headers(
                    providers["webpush"].described["url"] + "/push/x"
                )
                found["webpush"] = ceiling_webpush(
                    providers["webpush"].described, headers, 2000, clients
                )
        finally:
            for provider in providers.values():
                provider.stop()
        shown = ", ".join(f"{k} {v:,.0f}/s" for k, v in found.items())
        print(f"provider ceilings, {clients} client(s), no database: {shown}")
        email[clients] = found["email"]
    return email


def against_ceilings(email_rates: dict[int, float], email_ceilings: dict[int, float]) -> None:
    """The ≥ 70 % target: our email rate against the SMTP server's own, measured in this run."""
    for workers, rate in email_rates.items():
        shares = ", ".join(
            f"{100 * rate / ceiling:.0f} % of {clients} client(s)"
            for clients, ceiling in email_ceilings.items()
        )
        print(f"{workers} worker(s): email {rate:,.0f}/s = {shares} (target >= 70 %)")


def main() -> None:
    kinds = ["email"] if ARGS.mix == "email" else ["email", "line", "sms", "webpush"]
    ports = {kind: free_port() for kind in kinds}
    counts = seed(ARGS.mix, f"http://127.0.0.1:{ports.get('webpush', 0)}")
    template = services.save_template(
        Template(code="evacuate", name="避難指示", subjects={"ja": "【緊急】避難指示"},
                 bodies={"ja": "{area}に避難指示が出ました。"}, placeholders=["area"],
                 emergency_approved=True)
    )  # fmt: skip
    senders = settings.NOTIFY_EMERGENCY_SENDERS
    print(f"mix {ARGS.mix}: households per channel {dict(counts)}; senders per worker {senders}")
    email_rates = {}
    for workers in ARGS.workers:
        providers = start_providers(kinds, ports)
        try:
            figures = broadcast(template, workers, provider_env(providers))
        finally:
            received = {kind: p.stop() for kind, p in providers.items()}
        report(workers, figures, received)
        sent, seconds = figures["channels"]["email"]
        email_rates[workers] = sent / max(seconds, 1e-6)
    against_ceilings(email_rates, ceilings(kinds, ports, counts))


main()
