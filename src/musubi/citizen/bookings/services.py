"""Booking rules: the one write path for bookings (book, cancel, pay, expire, block).

Rules are checked in Python so the answer can say what is wrong; the seat itself is taken
by an INSERT that the partial unique index (resource, start, seat) lets through at most once,
so two requests racing for the last seat can never both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import billing, groups, registrations, slots
from musubi.citizen.bookings.errors import (
    BadParty,
    NotAllowed,
    NotBookable,
    NotEligible,
    QuotaExceeded,
    SlotTaken,
)
from musubi.citizen.bookings.models import (
    HOLDING,
    AvailabilityView,
    Booking,
    Channel,
    FeeCategory,
    GroupQuotaUse,
    Kind,
    LotteryWindow,
    MonthlyUse,
    QuotaUse,
    Resource,
    Status,
    UserGroup,
)
from musubi.platform.accounts import services as accounts
from musubi.platform.events.services import publish
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Resident
from musubi.platform.residents.models import Status as ResidentStatus

UNKNOWN: Any = object()  # "not looked up yet", distinct from "no resident linked" (None)
EXEMPTIONS_FILE = Path(__file__).resolve().parent / "data" / "exemptions.json"


@cache
def exemptions() -> dict[str, dict[str, Any]]:
    """Fee exemptions (減免) by code: ``{"percent": 100, "ja": …, "en": …}``."""
    data = json.loads(EXEMPTIONS_FILE.read_text(encoding="utf-8"))
    return {code: entry for code, entry in data.items() if not code.startswith("_")}


def exemption_label(code: str) -> str:
    entry = exemptions().get(code)
    if not entry:
        return ""
    return entry["en"] if get_language() == "en" else entry["ja"]


@dataclass(frozen=True)
class Request:
    """What someone asks for: a slot of a resource, for a party, through a channel."""

    resource: Resource
    start: dt.datetime
    party_size: int = 1
    channel: str = Channel.WEB
    purpose: str = ""
    holder_name: str = ""
    holder_phone: str = ""
    exemption: str = ""
    group: UserGroup | None = None  # booking for a registered group the user represents
    for_checkup: bool = False  # only ``checkups.book``, which checked the application


# --- rules -----------------------------------------------------------------------------------


def check_time(resource: Resource, start: dt.datetime, now: dt.datetime) -> slots.Slot:
    """The slot at ``start`` if it can be booked now; otherwise say why not."""
    if start <= now:
        raise NotBookable(_("過去の日時は予約できません。"))
    local_day = start.astimezone(slots.city_zone()).date()
    reason = slots.closed_reason(resource, local_day)
    if reason == "holiday":
        raise NotBookable(_("祝日（%(name)s）は休館です。"), name=slots.holiday_name(local_day))
    if reason:
        raise NotBookable(_("%(date)s は休館日です。"), date=local_day.isoformat())
    slot = slots.slot_on_open_day(resource, start)
    if slot is None:
        raise NotBookable(_("開館時間外か、予約枠の区切りではない時刻です。"))
    if start - now < dt.timedelta(hours=resource.min_notice_hours):
        raise NotBookable(
            _("予約は開始の %(hours)s 時間前までです。"), hours=resource.min_notice_hours
        )
    if start - now > dt.timedelta(days=resource.max_advance_days):
        raise NotBookable(
            _("予約できるのは %(days)s 日先までです。"), days=resource.max_advance_days
        )
    check_lottery(resource, start)
    return slot


def check_lottery(resource: Resource, start: dt.datetime) -> None:
    """Slots of a month under a lottery not yet drawn go to the lottery, not first come."""
    month = start.astimezone(slots.city_zone()).date().replace(day=1)
    window = LotteryWindow.objects.filter(
        resource=resource, month=month, drawn_at__isnull=True
    ).first()
    if window is not None:
        raise NotBookable(
            _("この月の枠は抽選で受け付けます（申込締切 %(closes)s）。"),
            closes=window.closes_at.astimezone(slots.city_zone()).strftime("%Y-%m-%d %H:%M"),
        )


def age_on(birthdate: dt.date, day: dt.date) -> int:
    """Age in full years on ``day`` (a 29 February birthday counts from 1 March)."""
    return day.year - birthdate.year - ((day.month, day.day) < (birthdate.month, birthdate.day))


def check_eligibility(
    resource: Resource, user: Any, on: dt.date, resident: Resident | None = UNKNOWN
) -> bool:
    """Whether the booker may use ``resource``; returns True for a 市内 (registered) resident.

    Age and sex limits and 市民のみ need the account linked to the registry, since those
    facts come from the registry, never from what the applicant types.
    """
    if resident is UNKNOWN:
        resident = residents.resident_for(user)
    is_resident = resident is not None and resident.status == ResidentStatus.ACTIVE
    needs_registry = resource.residents_only or resource.min_age or resource.max_age
    if (needs_registry or resource.sex) and not is_resident:
        raise NotEligible(_("この予約は市の住民記録と連携したアカウントの市民だけが申し込めます。"))
    if is_resident:
        age = age_on(resident.birthdate, on)
        if resource.min_age is not None and age < resource.min_age:
            raise NotEligible(_("対象は %(age)s 歳以上の方です。"), age=resource.min_age)
        if resource.max_age is not None and age > resource.max_age:
            raise NotEligible(_("対象は %(age)s 歳以下の方です。"), age=resource.max_age)
        if resource.sex and resident.sex != resource.sex:
            raise NotEligible(_("この予約の対象ではありません（性別）。"))
    return is_resident


def check_quota(
    resource: Resource, user: Any, start: dt.datetime, group: UserGroup | None = None
) -> None:
    """At most ``monthly_quota`` holding bookings of this resource per user and month; a
    booking for a group counts against the group's ``monthly_group_quota`` instead."""
    if group is not None:
        quota, holder = resource.monthly_group_quota, {"group": group}
    else:
        quota, holder = resource.monthly_quota, {"user": user, "group": None}
    if not quota or user is None:
        return
    local = start.astimezone(slots.city_zone())
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    held = Booking.objects.filter(
        resource=resource,
        status__in=HOLDING,
        start__gte=month_start,
        start__lt=next_month,
        **holder,
    ).count()
    if held >= quota:
        raise _quota_exceeded(quota, for_group=group is not None)


def _quota_exceeded(quota: int, *, for_group: bool) -> QuotaExceeded:
    if for_group:
        return QuotaExceeded(
            _("この施設の団体での予約は1団体1か月に %(quota)s 件までです。"), quota=quota
        )
    return QuotaExceeded(_("この施設の予約は1か月に %(quota)s 件までです。"), quota=quota)


def fee_for(resource: Resource, is_resident: bool, exemption: str) -> tuple[str, int]:
    """(料金区分, 使用料 in yen) after the 市内/市外 rate and any exemption."""
    if not resource.has_fee:
        return FeeCategory.NONE, 0
    category = FeeCategory.RESIDENT if is_resident else FeeCategory.NONRESIDENT
    base = resource.fee_resident_yen if is_resident else resource.fee_nonresident_yen
    percent = exemptions()[exemption]["percent"] if exemption else 0
    return category, base * (100 - percent) // 100


def _check_request(request: Request) -> None:
    if request.resource.kind == Kind.CHECKUP and not request.for_checkup:
        raise NotAllowed(_("検診の会場は、検診の申込から予約してください。"))
    if not 1 <= request.party_size <= request.resource.max_party:
        raise BadParty(
            _("利用人数は 1〜%(max)s 人で入力してください。"), max=request.resource.max_party
        )
    if request.exemption and request.exemption not in exemptions():
        raise NotAllowed(_("減免の区分が正しくありません。"))


# --- the write path --------------------------------------------------------------------------


def book(request: Request, *, user: Any = None, staff: Any = None) -> Booking:
    """Book one seat of a slot for ``user`` (a resident on the web) or, by ``staff``, for a
    caller; provisional with a payment deadline when a fee is due, confirmed otherwise."""
    resource, now = request.resource, timezone.now()
    _check_request(request)
    slot = check_time(resource, request.start, now)
    resident = residents.resident_for(user)
    day = slot.start.astimezone(slots.city_zone()).date()
    is_resident = check_eligibility(resource, user, day, resident)
    groups.check_group(resource, user, request.group)
    registrations.check_registered(resource, user, request.group)
    check_quota(resource, user, request.start, request.group)
    category, fee = fee_for(resource, _resident_rate(is_resident, request.group), request.exemption)
    booking = Booking(
        resource=resource,
        start=slot.start,
        end=slot.end,
        party_size=request.party_size,
        user=user,
        holder_name=request.holder_name or _display_name(user, resident),
        holder_phone=request.holder_phone,
        purpose=request.purpose,
        group=request.group,
        channel=request.channel,
        fee_category=category,
        exemption=request.exemption,
        fee_yen=fee,
        created_by=staff or user,
        status=Status.PROVISIONAL if fee else Status.CONFIRMED,
        payment_due_by=min(now + dt.timedelta(days=resource.payment_days), slot.start)
        if fee
        else None,
    )
    _take_a_seat(booking, pay_online=user is not None)
    publish("bookings.booked", booking_id=booking.pk, status=booking.status)
    return booking


def book_for_caller(request: Request, *, staff: Any) -> Booking:
    """Book for someone on the phone or at the counter. A caller booking for a registered
    group holds it as the group's representative, so every group rule applies as online (an
    approved group, its quota, its rate) and the booking is in the representative's list;
    any other caller holds it without an account (paid at the counter)."""
    user = request.group.representative if request.group else None
    return book(request, user=user, staff=staff)


def hold(
    resource: Resource, start: dt.datetime, user: Any, *, party_size: int, origin: str,
    until: dt.datetime, group: UserGroup | None = None,
) -> Booking:  # fmt: skip
    """Hold a seat for a lottery winner or for the first in a waiting list until ``until``.

    The hold is a provisional booking: paying its fee (or, when free, confirming it) makes it
    a booking; left alone it lapses like any unpaid booking and the seat moves on. A hold for
    a ``group`` counts against the group's monthly quota from now, like any group booking,
    so a confirmed win is always counted and a win beyond the quota is not held at all.
    """
    slot = slots.slot_on_open_day(resource, start)
    if slot is None:
        raise NotBookable(_("開館時間外か、予約枠の区切りではない時刻です。"))
    groups.check_group(resource, user, group)
    registrations.check_registered(resource, user, group)
    resident = residents.resident_for(user)
    day = slot.start.astimezone(slots.city_zone()).date()
    is_resident = check_eligibility(resource, user, day, resident)
    category, fee = fee_for(resource, _resident_rate(is_resident, group), "")
    booking = Booking(
        resource=resource,
        start=slot.start,
        end=slot.end,
        party_size=party_size,
        user=user,
        group=group,
        holder_name=_display_name(user, resident),
        channel=Channel.WEB,
        origin=origin,
        fee_category=category,
        fee_yen=fee,
        created_by=user,
        status=Status.PROVISIONAL,
        payment_due_by=min(until, slot.start),
    )
    _take_a_seat(booking, pay_online=True)
    publish("bookings.booked", booking_id=booking.pk, status=booking.status)
    return booking


def confirm_hold(booking: Booking) -> Booking:
    """The winner (or the person offered a seat) takes a held free booking; a held booking
    with a fee is confirmed by paying it instead."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Status.PROVISIONAL or booking.payment_due_by <= timezone.now():
            raise NotAllowed(_("この予約は確定できる状態ではありません。"))
        if booking.fee_yen:
            raise NotAllowed(_("使用料を支払うと予約が確定します。"))
        booking.status = Status.CONFIRMED
        booking.save(update_fields=["status"])
    publish("bookings.confirmed", booking_id=booking.pk)
    return booking


def reschedule(booking: Booking, new_start: dt.datetime, *, by: Any) -> Booking:
    """Move a free booking (a counter appointment) to another slot in one step.

    The old seat is given up and the new one taken in one transaction: if the new slot is
    taken (or any rule refuses it) everything rolls back and the old booking stays as it was.
    """
    now = timezone.now()
    if booking.fee_yen:
        raise NotAllowed(
            _("使用料のある予約は日時を変更できません。取り消して予約し直してください。")
        )
    if booking.status != Status.CONFIRMED or booking.start <= now:
        raise NotAllowed(_("この予約は日時を変更できません。"))
    slot = check_time(booking.resource, new_start, now)
    if slot.start == booking.start:
        raise NotAllowed(_("今の予約と同じ日時です。"))
    with transaction.atomic():
        old = Booking.objects.select_for_update().get(pk=booking.pk, status=Status.CONFIRMED)
        old.status, old.cancelled_at = Status.CANCELLED, now
        old.cancel_reason = str(_("日時の変更"))
        old.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        _count_quota(old, -1)
        check_quota(old.resource, old.user, slot.start, old.group)
        moved = Booking(
            **{field: getattr(old, field) for field in MOVED_FIELDS},
            start=slot.start, end=slot.end, status=Status.CONFIRMED, created_by=by,
        )  # fmt: skip
        _take_a_seat(moved)
        publish("bookings.cancelled", booking_id=old.pk, by=getattr(by, "pk", None))
        publish("bookings.booked", booking_id=moved.pk, status=moved.status)
    return moved


MOVED_FIELDS = (
    "resource", "party_size", "user", "group", "holder_name", "holder_phone", "purpose", "channel",
    "origin", "fee_category", "exemption", "fee_yen",
)  # fmt: skip


def _resident_rate(is_resident: bool, group: UserGroup | None) -> bool:
    """The 市内 rate: for a resident, or for a group whose members mostly live in the city."""
    return is_resident or groups.pays_resident_rate(group)


def _display_name(user: Any, resident: Resident | None) -> str:
    if user is None:
        return ""
    return str(resident) if resident else user.get_full_name() or user.email


def _take_a_seat(booking: Booking, *, pay_online: bool = False) -> None:
    """Insert the booking at the first free seat; the unique index decides who gets it.

    Seats seen held are not tried (a read, so a full slot costs no write lock); a seat
    that looked free but was taken meanwhile fails on the index and the next one is tried.
    With ``pay_online`` a fee's payment is opened in the seat's own transaction, so a payment
    that cannot be opened leaves no seat behind and a retry starts clean.
    """
    release_expired(booking.resource, booking.start)
    _open_quota_counter(booking)
    held = set(
        Booking.objects.filter(
            resource=booking.resource, start=booking.start, status__in=HOLDING
        ).values_list("seat", flat=True)
    )
    for seat in range(1, booking.resource.capacity + 1):
        if seat in held:
            continue
        booking.seat = seat
        try:
            with transaction.atomic():
                _count_quota(booking, +1)
                booking.save(force_insert=True)
                if pay_online and booking.fee_yen and billing.online_provider():
                    billing.payment_for(booking)
            return
        except IntegrityError:
            booking.pk = None
    raise SlotTaken(_("この枠はすでに予約されています。別の枠を選んでください。"))


def _quota_month(booking: Booking) -> dt.date:
    return booking.start.astimezone(slots.city_zone()).date().replace(day=1)


def _quota_counter(booking: Booking) -> tuple[type[MonthlyUse], dict, int]:
    """The counter a booking counts against: its group's when booked for a group, else its
    holder's; a limit of 0 means none applies."""
    if booking.group_id is not None:
        return GroupQuotaUse, {"group_id": booking.group_id}, booking.resource.monthly_group_quota
    quota = booking.resource.monthly_quota if booking.user_id is not None else 0
    return QuotaUse, {"user_id": booking.user_id}, quota


def _open_quota_counter(booking: Booking) -> None:
    """Make the booking's counter row when missing, before the seat's transaction: two first
    bookings of a month racing to create it must not make one of them fail as if its seat
    were taken (the loser of the insert then reads the winner's committed row)."""
    model, holder, quota = _quota_counter(booking)
    if quota:
        key = {**holder, "resource": booking.resource, "month": _quota_month(booking)}
        model.objects.get_or_create(**key, defaults={"limit": quota})


def _count_quota(booking: Booking, delta: int) -> None:
    """Count a booking in (+1) or out (-1) of its holder's (or group's) monthly quota in the
    database (the row made by ``_open_quota_counter``); a count beyond the limit fails the
    row's check constraint: ``QuotaExceeded``."""
    model, holder, quota = _quota_counter(booking)
    if not quota:
        return
    key = {**holder, "resource": booking.resource, "month": _quota_month(booking)}
    row = model.objects.filter(**key)
    if delta < 0:
        row.filter(used__gt=0).update(used=F("used") - 1)
        return
    try:
        with transaction.atomic():
            row.update(used=F("used") + 1, limit=quota)
    except IntegrityError:
        raise _quota_exceeded(quota, for_group=booking.group_id is not None) from None


def release_expired(resource: Resource, start: dt.datetime) -> int:
    """Cancel unpaid provisional bookings of one slot whose deadline has passed, so the
    seat they held is free for the request now asking for it."""
    return _expire(Booking.objects.filter(resource=resource, start=start))


def expire_unpaid(now: dt.datetime | None = None) -> int:
    """Cancel every provisional booking whose payment deadline has passed (the worker's job)."""
    return _expire(Booking.objects.all(), now)


def expire_unpaid_booking(booking_id: int) -> int:
    """Cancel one booking if it is still provisional past its deadline (1) or not (0)."""
    return _expire(Booking.objects.filter(pk=booking_id))


def _expire(bookings: QuerySet[Booking], now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    due = bookings.filter(status=Status.PROVISIONAL, payment_due_by__lt=now)
    expired = list(due.select_related("resource"))
    count = 0  # none due is the usual case: a read only, no write lock taken
    for booking in expired:
        with transaction.atomic():
            moved = Booking.objects.filter(pk=booking.pk, status=Status.PROVISIONAL).update(
                status=Status.CANCELLED,
                cancelled_at=now,
                cancel_reason=str(_("支払期限を過ぎたため自動取消")),
            )
            if moved:
                _count_quota(booking, -1)
        if moved:
            count += 1
            publish("bookings.expired", booking_id=booking.pk)
    return count


def mark_paid(booking: Booking, *, paid_at: dt.datetime | None = None) -> Booking:
    """The payments seam: a provisional booking whose fee was paid becomes confirmed.

    Called by the payments app's "payment succeeded" event. Idempotent for a booking
    already paid; refused for one that expired or was cancelled meanwhile (refund case).
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.paid_at:
            return booking
        if booking.status != Status.PROVISIONAL:
            raise NotAllowed(_("この予約は支払を受け付けられる状態ではありません。"))
        booking.status = Status.CONFIRMED
        booking.paid_at = paid_at or timezone.now()
        booking.save(update_fields=["status", "paid_at"])
    publish("bookings.paid", booking_id=booking.pk, fee_yen=booking.fee_yen)
    return booking


def cancel(booking: Booking, *, by: Any, reason: str = "", by_city: bool = False) -> Booking:
    """Cancel a booking that has not started; its seat is free again at once.

    A paid fee is refunded in the same transaction, by the rule for the holder's own
    cancellation or in full when the city (``by_city``) cancels.
    """
    if booking.status not in (Status.PROVISIONAL, Status.CONFIRMED, Status.BLOCKED):
        raise NotAllowed(_("この予約は取り消せません。"))
    if booking.start <= timezone.now():
        raise NotAllowed(_("開始時刻を過ぎた予約は取り消せません。"))
    booking.status = Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancel_reason = reason[:200]
    with transaction.atomic():
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        _count_quota(booking, -1)
        billing.refund_on_cancel(booking, by_city=by_city, now=booking.cancelled_at)
    publish("bookings.cancelled", booking_id=booking.pk, by=getattr(by, "pk", None))
    return booking


def permit_ready(booking: Booking) -> bool:
    """A 利用許可書 is issued once a room booking is confirmed: paid, or free of charge."""
    return booking.status in (Status.CONFIRMED, Status.CHECKED_IN)


def my_bookings(user: Any) -> QuerySet[Booking]:
    return Booking.objects.filter(user=user).select_related("resource").order_by("-start")


def bookings_on(day: dt.date) -> QuerySet[Booking]:
    """Every booking (and block) starting on ``day`` in the city's zone, for the staff."""
    zone = slots.city_zone()
    since = dt.datetime.combine(day, dt.time(0), zone)
    return Booking.objects.filter(
        start__gte=since, start__lt=since + dt.timedelta(days=1)
    ).select_related("resource", "group")


def managed_resources(user: Any) -> QuerySet[Resource]:
    """The resources of the departments whose role grants ``user`` bookings.manage: staff
    see and change only their own department's bookings (least privilege)."""
    departments = accounts.departments_granting(user, "bookings.manage")
    return Resource.objects.filter(department__in=departments).select_related("department")


def public_resources() -> QuerySet[Resource]:
    """What anyone may book directly: check-up sites are booked from an application."""
    return (
        Resource.objects.filter(active=True).exclude(kind=Kind.CHECKUP).select_related("department")
    )


def facility_name(resource: Resource) -> str:
    """The facility a room belongs to: its name before the room (``中央公民館 第1会議室`` →
    ``中央公民館``), the demo's （デモ） label dropped."""
    return resource.name_ja.replace("（デモ）", "").replace("\u3000", " ").split(" ")[0]


def public_facilities() -> list[dict[str, Any]]:
    """One entry per bookable facility with a position (dataset 01 公共施設一覧): rooms of the
    same facility are one row, with the kinds of room it offers."""
    found: dict[str, dict[str, Any]] = {}
    rooms = public_resources().filter(
        kind=Kind.ROOM, latitude__isnull=False, longitude__isnull=False
    )
    for room in rooms.order_by("code"):
        name = facility_name(room)
        entry = found.setdefault(
            name,
            {
                "code": room.code, "name": name, "address": room.address,
                "latitude": room.latitude, "longitude": room.longitude, "rooms": [],
            },
        )  # fmt: skip
        entry["rooms"].append(room.name_ja.replace("（デモ）", "").removeprefix(name).strip())
    return list(found.values())


def count_view(resource: Resource, day: dt.date) -> None:
    """One more public look at ``resource``'s availability for ``day`` (an atomic upsert)."""
    updated = AvailabilityView.objects.filter(resource=resource, date=day).update(
        count=F("count") + 1
    )
    if updated:
        return
    try:
        with transaction.atomic():
            AvailabilityView.objects.create(resource=resource, date=day, count=1)
    except IntegrityError:
        AvailabilityView.objects.filter(resource=resource, date=day).update(count=F("count") + 1)
