"""Messages to residents about lotteries and waiting lists, in each person's language,
through the notification hub (``notify.send_to_user``: email after commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from musubi.citizen.bookings import slots
from musubi.citizen.bookings.models import Booking, Resource
from musubi.platform.notify import services as notify

SOURCE = "bookings"


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
