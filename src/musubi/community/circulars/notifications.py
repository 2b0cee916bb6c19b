"""Telling households about circulars through the notification hub, and who only paper reaches.

Every send goes through ``musubi.platform.notify.services.compose`` (the hub writes the outbox
rows and its worker sends them; households without any digital channel get a paper delivery
there too). The notice templates are created in the hub on first use from
``data/templates.json``; an operator's later edits are kept.

``send_due_reminders(now)`` is what ``musubi worker`` calls: N days before the due date
(per circular) the households that have not read it are reminded, once.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from musubi.platform.events import periodic
from musubi.platform.notify import fanout
from musubi.platform.notify import services as notify
from musubi.platform.notify.models import Message, Template
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Household, Resident

if TYPE_CHECKING:
    from musubi.community.circulars.models import Circular

TEMPLATES_FILE = Path(__file__).parent / "data" / "templates.json"
SOURCE = "circulars"
NEW = "circulars-new"
REMINDER = "circulars-reminder"


@lru_cache(maxsize=1)
def _template_texts() -> dict[str, dict[str, Any]]:
    texts = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    return {code: spec for code, spec in texts.items() if not code.startswith("_")}


def template(code: str) -> Template:
    """The hub's template ``code``, created from our data file the first time it is needed."""
    found = Template.objects.filter(code=code).first()
    if found:
        return found
    spec = _template_texts()[code]
    return notify.save_template(
        Template(
            code=code,
            name=spec["name"],
            subjects=spec["subjects"],
            bodies=spec["bodies"],
            placeholders=spec["placeholders"],
        )
    )


def _url(circular: Circular) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("circulars:detail", args=[circular.pk])


def _audience(circular: Circular, households: QuerySet[Household] | None) -> dict[str, Any]:
    """One 区 or 組 by name when that is the whole target; otherwise the members listed."""
    targets = list(circular.targets.select_related("district", "kumi"))
    if households is None and len(targets) == 1:
        target = targets[0]
        audience = {"district": target.district.code, "district_name": target.district.name}
        if target.kumi_id:
            return {"kind": "kumi", "kumi": target.kumi.number, **audience}
        return {"kind": "district", **audience}
    from musubi.community.circulars.leaders import CITY_WIDE
    from musubi.community.circulars.services import households as targeted

    chosen = households if households is not None else targeted(circular, CITY_WIDE)
    members = residents.living_residents().filter(household__in=chosen)
    return {"kind": "residents", "residents": list(members.values_list("number", flat=True))}


def announce(circular: Circular) -> Message:
    """Tell every targeted household that a new circular has arrived."""
    areas = "、".join(str(t) for t in circular.targets.select_related("district", "kumi"))
    return notify.compose(
        template=template(NEW),
        values={
            "area": areas,
            "title": circular.titles["ja"],
            "due": circular.due_date.isoformat(),
            "url": _url(circular),
        },
        audience=_audience(circular, None),
        created_by=circular.posted_by,
        publish_onsite=False,
        source=SOURCE,
    )


def remind(circular: Circular, unread: QuerySet[Household]) -> Message:
    return notify.compose(
        template=template(REMINDER),
        values={
            "title": circular.titles["ja"],
            "due": circular.due_date.isoformat(),
            "url": _url(circular),
        },
        audience=_audience(circular, unread),
        created_by=None,
        publish_onsite=False,
        source=SOURCE,
    )


def _reminder_due(circular: Circular, today: dt.date) -> bool:
    return circular.due_date - dt.timedelta(days=circular.remind_days_before) <= today


@periodic.every(300)
def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Remind the unread households of every circular whose reminder day has come; how many
    circulars were handled. Each circular is claimed by setting ``reminded_at`` in the same
    transaction as the send, so running this twice (or in two workers) reminds once.
    """
    from musubi.community.circulars import oversight
    from musubi.community.circulars.models import Circular, State

    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = Circular.objects.filter(
        state=State.PUBLISHED, reminded_at__isnull=True, due_date__gte=today
    )
    handled = 0
    for circular in candidates:
        if not _reminder_due(circular, today):
            continue
        with transaction.atomic():
            claimed = Circular.objects.filter(pk=circular.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            unread = oversight.unread_households(circular)
            if claimed and unread.exists():
                remind(circular, unread)
            handled += claimed
    return handled


def paper_households(households: QuerySet[Household]) -> QuerySet[Household]:
    """The households no member of which any digital channel of the hub can reach."""
    people = residents.living_residents().filter(household__in=households)
    reachable: set[int] = set()
    for per_resident in fanout.addresses(people, fanout.person_channels()).values():
        reachable |= set(per_resident)
    reached = Resident.objects.filter(pk__in=reachable).values("household_id")
    return households.exclude(pk__in=reached)
