"""Public availability pages (no login) and a resident's booking of a slot.

Every page works without JavaScript: the month is a table whose cells say in words how
many places are left, a slot is chosen by a link, booking is a plain form post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musubi.citizen.bookings import (
    billing,
    counter,
    groups,
    icalfeed,
    lottery,
    registrations,
    services,
    slots,
    waitlist,
)
from musubi.citizen.bookings.errors import BookingError, NotEligible
from musubi.citizen.bookings.forms import BookingForm, GroupForm, RegistrationForm
from musubi.citizen.bookings.models import (
    Booking,
    Channel,
    Kind,
    LotteryWindow,
    Resource,
    ReviewStatus,
    UserGroup,
)
from musubi.citizen.bookings.pdf import permit_pdf
from musubi.platform.payments.errors import PaymentError


def _resource(pk: int) -> Resource:
    return get_object_or_404(services.public_resources(), pk=pk)


def resources(request: HttpRequest) -> HttpResponse:
    """Every bookable resource, grouped by kind."""
    return render(request, "bookings/resources.html", {"resources": services.public_resources()})


def month_of(request: HttpRequest) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        return dt.date.fromisoformat(f"{raw}-01") if raw else timezone.localdate().replace(day=1)
    except ValueError:
        raise Http404(_("月は YYYY-MM の形で指定してください。")) from None


def month(request: HttpRequest, pk: int) -> HttpResponse:
    """One month of a resource as a calendar table, the free places written in each cell."""
    resource = _resource(pk)
    first = month_of(request)
    services.count_view(resource, timezone.localdate())
    context = {"resource": resource, **month_context(resource, first)}
    return render(request, "bookings/month.html", context)


def month_context(resource: Resource, first: dt.date) -> dict:
    """What a month calendar (public or staff) shows: the weeks and the months around."""
    return {
        "first": first,
        "weeks": slots.month_grid(resource, first),
        "previous": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
        "next": (first + dt.timedelta(days=32)).strftime("%Y-%m"),
    }


def day(request: HttpRequest, pk: int, date: str) -> HttpResponse:
    """The slots of one day, each with the places left and a link to book it."""
    resource = _resource(pk)
    try:
        chosen = dt.date.fromisoformat(date)
    except ValueError:
        raise Http404(_("日付は YYYY-MM-DD の形で指定してください。")) from None
    (shown,) = slots.days(resource, chosen, chosen)
    services.count_view(resource, timezone.localdate())
    window = LotteryWindow.objects.filter(
        resource=resource, month=chosen.replace(day=1), drawn_at__isnull=True
    ).first()
    context = {
        "resource": resource,
        "day": shown,
        "holiday": slots.holiday_name(chosen),
        "now": timezone.now(),
        "lottery": window,
        "lottery_open": bool(window and window.opens_at <= timezone.now() < window.closes_at),
        "my_groups": _approved_groups_of(request),
    }
    return render(request, "bookings/day.html", context)


def _approved_groups_of(request: HttpRequest) -> list[UserGroup]:
    """The groups a signed-in visitor may enter a lottery or a waiting list for."""
    if not request.user.is_authenticated:
        return []
    return list(groups.groups_of(request.user).filter(status=ReviewStatus.APPROVED))


def _group_of(request: HttpRequest) -> UserGroup | None:
    """The group chosen in a lottery or waiting-list form (none: for oneself); whether the
    user may use it is the service's rule, so a forged id is refused like any other."""
    raw = request.POST.get("group", "")
    if not raw:
        return None
    found = UserGroup.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if found is None:
        raise NotEligible(_("代表者として登録した団体だけを選べます。"))
    return found


def ical(request: HttpRequest, pk: int) -> HttpResponse:
    """The resource's availability feed (RFC 5545) for calendar apps."""
    resource = _resource(pk)
    response = HttpResponse(icalfeed.feed(resource), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{resource.code}.ics"'
    return response


def _start_of(request: HttpRequest) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(request.GET.get("start") or request.POST.get("start"))
    except (TypeError, ValueError):
        raise Http404(_("予約枠が指定されていません。")) from None
    if timezone.is_naive(start):
        start = start.replace(tzinfo=slots.city_zone())
    return start


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the chosen slot, say the fee, then book it (a POST of the same page)."""
    resource = _resource(pk)
    start = _start_of(request)
    form = BookingForm(request.POST or None, resource=resource, user=request.user)
    error = link = ""
    if request.method == "POST" and form.is_valid():
        ask = services.Request(
            resource=resource, start=start, channel=Channel.WEB, **form.cleaned_data
        )
        try:
            booking = services.book(ask, user=request.user)
        except BookingError as exc:
            error, link = exc.message, exc.link
        else:
            return redirect("bookings:booking", pk=booking.pk)
    fee = _fee_preview(resource, request.user, start)
    context = {
        "resource": resource, "start": start, "form": form, "error": error, "link": link,
        "fee": fee,
    }  # fmt: skip
    return render(request, "bookings/review.html", context, status=422 if error else 200)


def _fee_preview(resource: Resource, user, start: dt.datetime) -> int | None:
    """The fee the user would pay, or None when a rule already refuses them."""
    try:
        is_resident = services.check_eligibility(
            resource, user, start.astimezone(slots.city_zone()).date()
        )
    except BookingError:
        return None
    return services.fee_for(resource, is_resident, "")[1]


@login_required
def my_groups(request: HttpRequest) -> HttpResponse:
    """団体登録: register a group as its representative and see each group's review."""
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        groups.register(request.user, **form.cleaned_data)
        return redirect("bookings:groups")
    context = {"form": form, "groups": groups.groups_of(request.user)}
    status = 422 if request.method == "POST" else 200
    return render(request, "bookings/groups.html", context, status=status)


@login_required
def registration(request: HttpRequest) -> HttpResponse:
    """利用者登録: apply (prefilled from the registry when the account is linked), see the
    status and the staff's reason, correct and apply again after a rejection."""
    found = registrations.registration_of(request.user)
    initial = registrations.prefill(request.user) if found is None else {}
    form = RegistrationForm(request.POST or None, instance=found, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            made = registrations.apply(request.user, **form.cleaned_data)
        except BookingError as exc:
            error = exc.message
        else:
            approved = made.status == ReviewStatus.APPROVED
            done = (
                _("利用者登録が承認されました。") if approved else _("利用者登録を申請しました。")
            )
            messages.success(request, done)
            return redirect("bookings:registration")
    context = {
        "form": form, "registration": found, "error": error, "prefilled": bool(initial),
        "verified": registrations.verified_by_registry(request.user),
    }  # fmt: skip
    status = 422 if request.method == "POST" else 200
    return render(request, "bookings/registration.html", context, status=status)


@login_required
def withdraw_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """取り下げ of a lottery entry before entries close: GET asks to confirm, POST does it."""
    entry = get_object_or_404(lottery.my_entries(request.user), pk=pk)
    confirm = {
        "title": _("抽選の申込の取り下げ"), "button": _("申込を取り下げる"),
        "what": entry.window.resource.name, "start": entry.start, "group": entry.group,
        "note": _("取り下げた申込は元に戻せません。申込期間中なら、もう一度申し込めます。"),
        "done": _("抽選の申込を取り下げました。"),
    }  # fmt: skip
    return _confirmed_step(request, confirm, lambda: lottery.withdraw(entry))


@login_required
def leave_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    """Leave a waiting list: GET asks to confirm, POST does it (a seat held for this place
    is given back to the next in line at once)."""
    entry = get_object_or_404(waitlist.my_entries(request.user), pk=pk)
    confirm = {
        "title": _("キャンセル待ちの取り下げ"), "button": _("キャンセル待ちをやめる"),
        "what": entry.resource.name, "start": entry.start, "group": entry.group,
        "note": _("順番は元に戻せません。ご案内中の枠があれば、次の方にご案内します。"),
        "done": _("キャンセル待ちをやめました。"),
    }  # fmt: skip
    return _confirmed_step(request, confirm, lambda: waitlist.leave(entry, by=request.user))


def _confirmed_step(
    request: HttpRequest, confirm: dict[str, Any], act: Callable[[], object]
) -> HttpResponse:
    """A change the resident confirms first: GET shows what it does, POST does it and goes
    back to 予約の確認; a refusal (entries closed, already over) is shown on the same page."""
    error = ""
    if request.method == "POST":
        try:
            act()
        except BookingError as exc:
            error = exc.message
        else:
            messages.success(request, confirm["done"])
            return redirect("bookings:mine")
    context = {**confirm, "error": error}
    return render(request, "bookings/confirm.html", context, status=422 if error else 200)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    context = {
        "bookings": services.my_bookings(request.user),
        "waiting": waitlist.my_entries(request.user),
        "entries": lottery.my_entries(request.user),
        "now": timezone.now(),
    }
    return render(request, "bookings/mine.html", context)


def _my_booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(services.my_bookings(request.user), pk=pk)


def _check_in_qr(booking: Booking) -> str:
    """The confirmation's QR code (SVG): the check-in URL staff open by scanning it."""
    path = reverse("bookings:staff_check_in", args=[counter.check_in_token(booking)])
    return segno.make(settings.SITE_URL + path, error="m").svg_inline(
        scale=4, title=_("受付用 QR コード")
    )


def _booking_page(request: HttpRequest, chosen: Booking, error: str = "") -> HttpResponse:
    shows_qr = chosen.resource.kind in (Kind.COUNTER, Kind.CHECKUP)  # checked in on the day
    qr = _check_in_qr(chosen) if shows_qr else ""
    context = {
        "booking": chosen,
        "qr": qr,
        "error": error,
        "refund_rules": billing.refund_rules() if chosen.fee_yen else (),
    }
    return render(request, "bookings/booking.html", context, status=422 if error else 200)


@login_required
def booking(request: HttpRequest, pk: int) -> HttpResponse:
    return _booking_page(request, _my_booking(request, pk))


@login_required
@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """ "支払う": on to the payment provider's page for the booking's fee."""
    chosen = _my_booking(request, pk)
    try:
        return redirect(billing.start_paying(chosen))
    except (BookingError, PaymentError) as exc:
        return _booking_page(request, chosen, exc.message)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a seat held for a lottery win or a waiting-list offer (free of charge)."""
    chosen = _my_booking(request, pk)
    try:
        services.confirm_hold(chosen)
    except BookingError as exc:
        return _booking_page(request, chosen, exc.message)
    return redirect("bookings:booking", pk=chosen.pk)


@login_required
@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an appointment to another slot in one step (the old one is kept if that fails)."""
    chosen = _my_booking(request, pk)
    try:
        moved = services.reschedule(chosen, _start_of(request), by=request.user)
    except BookingError as exc:
        return _booking_page(request, chosen, exc.message)
    return redirect("bookings:booking", pk=moved.pk)


@login_required
@require_POST
def join_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _resource(pk)
    start = _start_of(request)
    try:
        waitlist.join(resource, start, request.user, group=_group_of(request))
    except BookingError as exc:
        return _refused(request, exc)
    return redirect("bookings:mine")


@login_required
@require_POST
def enter_lottery(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(LotteryWindow.objects.select_related("resource"), pk=pk)
    try:
        lottery.enter(window, request.user, _start_of(request), group=_group_of(request))
    except BookingError as exc:
        return _refused(request, exc)
    return redirect("bookings:mine")


def _refused(request: HttpRequest, exc: BookingError) -> HttpResponse:
    """An entry or a place refused: the reason, and a link to what helps when there is one."""
    context = {"error": exc.message, "link": exc.link}
    return render(request, "bookings/message.html", context, status=422)


def lottery_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The public record of a lottery: seed, entries by number, winners, statistics."""
    window = get_object_or_404(LotteryWindow.objects.select_related("resource"), pk=pk)
    context = {"window": window, "results": lottery.results(window)}
    return render(request, "bookings/lottery.html", context)


def lottery_json(request: HttpRequest, pk: int) -> JsonResponse:
    window = get_object_or_404(LotteryWindow.objects.select_related("resource"), pk=pk)
    return JsonResponse(lottery.results(window), json_dumps_params={"ensure_ascii": False})


def serving(request: HttpRequest, pk: int) -> HttpResponse:
    """The public "now serving" screen by the counter: booking numbers only, no names.

    With ``?auto=1`` (the display by the counter) it reloads itself every 15 seconds with a
    meta refresh, no JavaScript; the reload is opt-in and can be stopped (WCAG 2.2.1).
    """
    resource = _resource(pk)
    context = {
        "auto": request.GET.get("auto") == "1",
        "resource": resource,
        "serving": counter.now_serving(resource),
        "waiting": counter.waiting(resource).count(),
    }
    return render(request, "bookings/serving.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _my_booking(request, pk)
    try:
        services.cancel(chosen, by=request.user, reason=_("利用者による取消"))
    except (BookingError, PaymentError) as exc:
        return _booking_page(request, chosen, exc.message)
    return redirect("bookings:booking", pk=chosen.pk)


@login_required
def permit(request: HttpRequest, pk: int) -> HttpResponse:
    """利用許可書: only for a confirmed (paid or free) booking."""
    chosen = _my_booking(request, pk)
    if not services.permit_ready(chosen):
        raise Http404(_("利用許可書は予約が確定してから発行されます。"))
    response = HttpResponse(permit_pdf(chosen), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="permit-{chosen.reference}.pdf"'
    return response
