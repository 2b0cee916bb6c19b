"""The synthetic Komagane: seeds each app's demo data in dependency order.

Each app owns its own demo generator (``<app>/demo.py``); this module only orders them
and reports what was made, so ``musubi demo`` and ``musubi seed-demo`` say the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings

from musubi.citizen.bookings import demo as bookings_demo
from musubi.citizen.procedures import demo as procedures_demo
from musubi.community.circulars import demo as circulars_demo
from musubi.data.maps import demo as maps_demo
from musubi.data.opendata import demo as opendata_demo
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.notify import demo as notify_demo
from musubi.platform.residents import demo as residents_demo

DEMO_SEED = 202100
SILENT_MAIL = "django.core.mail.backends.dummy.EmailBackend"


@dataclass
class Summary:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.created:
            return "Demo data already present; nothing generated."
        made = ", ".join(f"{n:,} {what}" for what, n in self.counts.items())
        return f"Generated the demo city in {self.seconds:.1f} s: {made}."


def has_data() -> bool:
    return residents_demo.has_population()


def seed(force: bool = False) -> Summary:
    """Generate the demo city; without ``force``, do nothing if it already exists."""
    if has_data() and not force:
        return Summary(created=False)
    started = time.perf_counter()
    # The demo's applications move through states that email their (synthetic) applicants;
    # those messages would only bury the printed URL and logins, so they go nowhere.
    with override_settings(EMAIL_BACKEND=SILENT_MAIL), transaction.atomic():
        if force:
            opendata_demo.clear()
            maps_demo.clear()
            bookings_demo.clear()
            circulars_demo.clear()
            notify_demo.clear()
            procedures_demo.clear()
            residents_demo.clear()
        counts = residents_demo.generate(seed=DEMO_SEED)
        counts.update(accounts_demo.seed_accounts())
        counts.update(procedures_demo.seed())
        counts.update(circulars_demo.seed())
        counts.update(bookings_demo.seed())
        counts.update(maps_demo.seed())
        counts.update(opendata_demo.seed())
        counts.update(notify_demo.seed())  # last: drains what the others queued
    return Summary(created=True, counts=counts, seconds=time.perf_counter() - started)


def seed_if_empty() -> Summary:
    return seed(force=False)


def logins_text() -> str:
    lines = ["Demo logins (password for all: " + accounts_demo.DEMO_PASSWORD + "):"]
    lines += [f"  {login.email:38} {login.description}" for login in accounts_demo.demo_logins()]
    leader = "resident, 組長 of 中沢 1組 (posts circulars: /circulars/lead/)"
    lines.append(f"  {circulars_demo.leader_email():38} {leader}")
    return "\n".join(lines)
