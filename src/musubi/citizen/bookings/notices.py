"""Messages to residents through the notification hub, in each person's language: lottery
and waiting-list news and the day-before reminder (``notify.send_to_user``: email after
commit), and, through templates on each person's own channel (``notify.compose``: paper for a
household with none), the yearly check-up notice to every eligible resident and the
day-before reminder of a check-up booked for a resident without an account."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from musubi.citizen.bookings import checkups, slots
from musubi.citizen.bookings.checkup_models import Notice, Programme
from musubi.citizen.bookings.models import (
    Booking,
    Resource,
    ReviewStatus,
    Status,
    UserGroup,
    UserRegistration,
    WaitlistEntry,
)
from musubi.platform.notify import services as notify
from musubi.platform.notify.models import Message, Template

SOURCE = "bookings"
CHECKUP_NOTICE = "bookings-checkup-notice"
CHECKUP_REMINDER = "bookings-checkup-reminder"
TEMPLATES_FILE = Path(__file__).resolve().parent / "data" / "notice_templates.json"


def _local(when: dt.datetime) -> str:
    return when.astimezone(slots.city_zone()).strftime("%Y-%m-%d %H:%M")


def _send(user: Any, subject: str, body: str, path: str) -> None:
    language = getattr(user, "preferred_language", "ja") or "ja"
    notify.send_to_user(
        user, subject, body, language=language, source=SOURCE, url=settings.SITE_URL + path
    )


def _language_of(user: Any) -> str:
    return getattr(user, "preferred_language", "ja") or "ja"


def held_for(booking: Booking, *, won: bool) -> None:
    """A lottery win or a waiting-list offer: the seat is held until the deadline."""
    with translation.override(_language_of(booking.user)):
        subject = _("抽選に当選しました") if won else _("キャンセル待ちの枠が空きました")
        body = _(
            "%(resource)s %(start)s の枠をお取りしています。%(due)s までに確定してください"
            "（使用料がある場合は支払うと確定します）。期限を過ぎると次の方にご案内します。"
        ) % {
            "resource": booking.resource.name,
            "start": _local(booking.start),
            "due": _local(booking.payment_due_by),
        }
        _send(booking.user, subject, body, reverse("bookings:booking", args=[booking.pk]))


def lost(user: Any, resource: Resource, start: dt.datetime) -> None:
    with translation.override(_language_of(user)):
        body = _(
            "%(resource)s %(start)s の抽選は落選でした。当選者が期限までに確定しなかった枠は、"
            "先着順で予約できるようになり、改めてお知らせします。"
        ) % {"resource": resource.name, "start": _local(start)}
        _send(user, _("抽選の結果のお知らせ"), body, reverse("bookings:resources"))


def released(user: Any, resource: Resource, start: dt.datetime) -> None:
    """A lottery slot whose winner did not confirm is open to first come, first served."""
    with translation.override(_language_of(user)):
        body = _(
            "%(resource)s %(start)s の枠は、当選者が確定しなかったため先着順で予約できます。"
        ) % {"resource": resource.name, "start": _local(start)}
        day = start.astimezone(slots.city_zone()).date().isoformat()
        path = reverse("bookings:day", args=[resource.pk, day])
        _send(user, _("抽選の枠が空きました"), body, path)


def review_decided(model: str, pk: int) -> None:
    """Tell the applicant staff's decision on their group or 利用者登録, with the reason,
    linking to the page where they see it (and may correct and apply again)."""
    if model == UserGroup._meta.model_name:
        item = UserGroup.objects.select_related("representative").get(pk=pk)
    else:
        item = UserRegistration.objects.select_related("user").get(pk=pk)
    is_group = isinstance(item, UserGroup)
    with translation.override(_language_of(item.applicant)):
        subject = _("団体登録の審査結果") if is_group else _("利用者登録の審査結果")
        path = reverse("bookings:groups" if is_group else "bookings:registration")
        _send(item.applicant, subject, _decision_text(item), path)


def _decision_text(item: UserGroup | UserRegistration) -> str:
    approved = item.status == ReviewStatus.APPROVED
    if isinstance(item, UserGroup) and approved:
        return _("団体「%(name)s」の登録が承認されました。団体として予約できます。") % {
            "name": item.name
        }
    if isinstance(item, UserGroup):
        return _("団体「%(name)s」の登録は承認されませんでした（理由：%(reason)s）。") % {
            "name": item.name,
            "reason": item.review_reason,
        }
    if approved:
        return _("利用者登録が承認されました。利用者登録が必要な施設も予約できます。")
    return _(
        "利用者登録は承認されませんでした（理由：%(reason)s）。内容を直して申請し直せます。"
    ) % {"reason": item.review_reason}


def cancelled_by_city(booking: Booking, reason: str) -> bool:
    """A booking the city cancelled (a closure, a hall needed for an election): why, and that
    a fee paid is returned in full. False when there is no account to tell (phone them)."""
    if booking.user is None:
        return False
    with translation.override(_language_of(booking.user)):
        body = _(
            "%(resource)s %(start)s のご予約（予約番号 %(ref)s）は、市の都合により取り消しました。"
            "\n理由：%(reason)s\n使用料をお支払いいただいている場合は、全額お返しします。"
            "ご迷惑をおかけします。"
        ) % {
            "resource": booking.resource.name,
            "start": _local(booking.start),
            "ref": booking.reference,
            "reason": reason,
        }
        subject = _("ご予約取消のお知らせ（%(ref)s）") % {"ref": booking.reference}
        _send(booking.user, subject, body, reverse("bookings:booking", args=[booking.pk]))
    return True


def waiting_ended(entry: WaitlistEntry, reason: str) -> None:
    """A place in line for a slot that will not be held (the resource is closed that day)."""
    with translation.override(_language_of(entry.user)):
        body = _(
            "%(resource)s %(start)s のキャンセル待ちは、その日が休館となったため終了しました。"
            "\n理由：%(reason)s"
        ) % {"resource": entry.resource.name, "start": _local(entry.start), "reason": reason}
        _send(entry.user, _("キャンセル待ち終了のお知らせ"), body, reverse("bookings:resources"))


def reminded(booking: Booking) -> None:
    """The day before: where and when, and how to cancel or (a counter) change the time."""
    with translation.override(_language_of(booking.user)):
        body = _(
            "明日 %(start)s に %(resource)s の予約があります（予約番号 %(ref)s）。"
            "都合が悪くなったときは次のページから取り消してください。"
        ) % {
            "resource": booking.resource.name,
            "start": _local(booking.start),
            "ref": booking.reference,
        }
        path = reverse("bookings:booking", args=[booking.pk])
        _send(booking.user, _("明日の予約のお知らせ"), body, path)


def remind_due(now: dt.datetime | None = None) -> int:
    """Remind the holders of tomorrow's confirmed bookings (Tokyo day) once each: the row is
    claimed by setting ``reminded_at`` in the same transaction as the message is queued. A
    booking without an account is reminded only when it is a resident's check-up."""
    now = now or timezone.now()
    tomorrow = now.astimezone(slots.city_zone()).date() + dt.timedelta(days=1)
    since = dt.datetime.combine(tomorrow, dt.time(0), slots.city_zone())
    reachable = Q(user__isnull=False) | Q(checkup_application__isnull=False)
    due = Booking.objects.filter(
        reachable, status=Status.CONFIRMED, reminded_at__isnull=True,
        start__gte=since, start__lt=since + dt.timedelta(days=1),
    ).select_related("resource", "user", "checkup_application__checkup")  # fmt: skip
    count = 0
    for booking in due:
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                if booking.user:
                    reminded(booking)
                else:
                    _remind_checkup_resident(booking)
                count += 1
    return count


def _remind_checkup_resident(booking: Booking) -> Message:
    """A check-up taken by phone or at the counter: the resident's own channels, not an
    account's email (the applicant may have none)."""
    application = booking.checkup_application
    values = {
        "start": _local(booking.start),
        "site": booking.resource.name_ja,
        "checkup": application.checkup.name_ja,
        "reference": booking.reference,
    }
    return notify.compose(
        template=_template(CHECKUP_REMINDER), values=values,
        audience={"kind": "residents", "residents": [application.resident.number]},
        created_by=None, publish_onsite=False, department=booking.resource.department,
        source=SOURCE,
    )  # fmt: skip


@cache
def _template_specs() -> dict[str, Any]:
    return json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))


def _template(code: str) -> Template:
    """One of our templates in the hub, made from our data file the first time."""
    found = Template.objects.filter(code=code).first()
    if found:
        return found
    spec = _template_specs()[code]
    return notify.save_template(
        Template(
            code=code, name=spec["name"], subjects=spec["subjects"],
            bodies=spec["bodies"], placeholders=spec["placeholders"],
        )
    )  # fmt: skip


def _notice_values(programme: Programme) -> dict[str, str]:
    return {
        "reiwa": str(programme.fiscal_year - 2018),
        "fiscal_year": str(programme.fiscal_year),
        "apply_from": programme.apply_from.isoformat(),
        "apply_until": programme.apply_until.isoformat(),
        "book_from": programme.book_from.isoformat(),
        "url": settings.SITE_URL.rstrip("/") + reverse("bookings:checkups"),
    }


def send_checkup_notice(programme: Programme, *, by: Any = None) -> Message | None:
    """Send the programme's notice to every eligible resident not sent it yet (None when
    there is no one new). Claiming the programme row first serialises two runs, so a second
    run (the clock and a member of staff, two workers) finds everyone already noticed."""
    with transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(noticed_at=timezone.now())
        already = set(
            Notice.objects.filter(programme=programme).values_list("resident_id", flat=True)
        )
        new = [p for p in checkups.eligible_residents(programme) if p.pk not in already]
        if not new:
            return None
        message = notify.compose(
            template=_template(CHECKUP_NOTICE), values=_notice_values(programme),
            audience={"kind": "residents", "residents": [p.number for p in new]},
            created_by=by, publish_onsite=False, department=programme.department, source=SOURCE,
        )  # fmt: skip
        Notice.objects.bulk_create(
            Notice(programme=programme, resident=p, message_id=message.pk) for p in new
        )
    return message


def send_due_checkup_notices(today: dt.date | None = None) -> int:
    """The worker's clock: programmes whose notice date has come and that were never sent."""
    today = today or timezone.localdate()
    due = Programme.objects.filter(
        noticed_at__isnull=True, notice_on__lte=today, apply_until__gte=today
    )
    return sum(send_checkup_notice(programme) is not None for programme in due)
