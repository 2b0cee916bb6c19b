"""Demo data: a 区長 and a 組長 in 中沢 (the 組長 can log in), two circulars, reads and replies.

Deterministic (seeded) and idempotent: when circulars exist, nothing is added. ``clear`` must
run before the registry's own ``clear`` (leaders point at residents).
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from musubi.community.circulars import leaders, services
from musubi.community.circulars.leaders import Area
from musubi.community.circulars.models import (
    Circular,
    Leader,
    LeaderRole,
    QuestionKind,
    Read,
    Reply,
)
from musubi.community.circulars.services import Draft, QuestionDraft
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Kumi, Relationship, Resident

DISTRICT = "nakazawa"
KUMI = 1
SEED = 202100
READ_SHARE = 0.6


def leader_email() -> str:
    return f"kumicho@{accounts_demo.DEMO_DOMAIN}"


def clear() -> None:
    """Remove circulars, reads, replies and leaders (the demo leader's account stays)."""
    for model in (Reply, Read, Circular, Leader):
        model.objects.all().delete()


def _heads(kumi: Kumi) -> list[Resident]:
    return list(
        residents.living_residents()
        .filter(household__kumi=kumi, relationship=Relationship.HEAD, account_links__isnull=True)
        .order_by("number")
    )


def _leader_user(resident: Resident) -> User:
    user, _created = User.objects.update_or_create(
        email=leader_email(),
        defaults={
            "username": leader_email(),
            "password": make_password(accounts_demo.DEMO_PASSWORD),
            "display_name": f"{resident}（組長）",
            "email_verified": True,
        },
    )
    residents.link_account(user, resident, method="demo")
    return user


def _appoint(kumi: Kumi) -> tuple[User, User]:
    """A 区長 (whose account is only a name in the demo) and the 組長 who logs in."""
    heads = _heads(kumi)
    start = timezone.localdate() - dt.timedelta(days=90)
    kumicho, kucho = heads[0], heads[1]
    leaders.appoint(kumicho, role=LeaderRole.KUMICHO, district=kumi.district, kumi=kumi,
                    term_start=start, term_end=None, by=None)  # fmt: skip
    leaders.appoint(kucho, role=LeaderRole.KUCHO, district=kumi.district, kumi=None,
                    term_start=start, term_end=None, by=None)  # fmt: skip
    kucho_user, _ = User.objects.get_or_create(
        email=f"kucho@{accounts_demo.DEMO_DOMAIN}",
        defaults={"username": f"kucho@{accounts_demo.DEMO_DOMAIN}", "display_name": str(kucho)},
    )
    residents.link_account(kucho_user, kucho, method="demo")
    return _leader_user(kumicho), kucho_user


def _drafts(kumi: Kumi) -> list[tuple[Draft, str]]:
    today = timezone.localdate()
    festival = Draft(
        titles={"ja": "中沢区 秋祭りのご案内", "en": "Nakazawa autumn festival"},
        bodies={
            "ja": "10月の第2日曜日に秋祭りを行います。各世帯の出欠をお知らせください。",
            "en": "The autumn festival is on the second Sunday of October. "
            "Please tell us whether your household will attend.",
        },
        targets=[Area(kumi.district_id)],
        due_date=today + dt.timedelta(days=10),
        questions=[QuestionDraft(QuestionKind.ATTENDANCE)],
    )
    cleanup = Draft(
        titles={
            "ja": "1組 ごみ集積所の清掃当番",
            "en": "Kumi 1: cleaning the waste collection point",
        },
        bodies={
            "ja": "来月から清掃当番の順番を変えます。ご意見をお寄せください。",
            "en": "From next month the cleaning rota changes. Tell us what you think.",
        },
        targets=[Area(kumi.district_id, kumi.pk)],
        due_date=today + dt.timedelta(days=5),
        questions=[
            QuestionDraft(QuestionKind.APPROVAL),
            QuestionDraft(QuestionKind.TEXT, {"ja": "ご意見", "en": "Comments"}),
        ],
    )
    return [(festival, "kucho"), (cleanup, "kumicho")]


def _reads_and_replies(circular: Circular, rng: random.Random) -> int:
    made = 0
    for household in services.households(circular, leaders.CITY_WIDE).select_related("head"):
        if household.head is None or rng.random() > READ_SHARE:
            continue
        Read.objects.create(circular=circular, household=household, resident=household.head)
        answers = {}
        for question in circular.questions.all():
            if question.kind == QuestionKind.ATTENDANCE:
                answers[str(question.pk)] = rng.choice(["attend", "attend", "absent"])
            elif question.kind == QuestionKind.APPROVAL:
                answers[str(question.pk)] = rng.choice(["for", "for", "against", "abstain"])
        if answers:
            Reply.objects.create(
                circular=circular, household=household, answers=answers, answered_by=household.head
            )
        made += 1
    return made


def seed() -> dict[str, int]:
    if Circular.objects.exists():
        return {}
    kumi = Kumi.objects.get(district=District.objects.get(code=DISTRICT), number=KUMI)
    kumicho, kucho = _appoint(kumi)
    rng = random.Random(SEED)  # noqa: S311 - made-up demo answers, not secrets
    posters = {"kumicho": kumicho, "kucho": kucho}
    reads = 0
    for draft, who in _drafts(kumi):
        user = posters[who]
        circular = services.post(draft, by=user, where=leaders.jurisdiction_of(user))
        reads += _reads_and_replies(circular, rng)
    return {"circulars": Circular.objects.count(), "circular household reads": reads}
