"""Back office (職員用) pages of bookings: a resource's day with holders, booking for a caller,
blocking a slot, cancelling with a notice, counter check-in and queue, and the reports.

Every page that shows holders' names writes the audit trail first; every page needs
``bookings.manage`` except the public "now serving" screen (``views_counter``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from musubi.citizen.bookings import (
    closures,
    counter,
    groups,
    lottery,
    permissions,
    registrations,
    services,
    slots,
)
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.models import (
    Booking,
    Channel,
    LotteryWindow,
    Resource,
    Status,
    UserGroup,
    UserRegistration,
)
from musubi.citizen.bookings.views import month_context, month_of
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record

PURPOSE = "施設・窓口予約の管理"


class OnBehalfForm(forms.Form):
    """A booking taken on the phone or at the counter (the slot comes from the page)."""

    holder_name = forms.CharField(label=gettext_lazy("予約者名"), max_length=120)
    holder_phone = forms.CharField(label=gettext_lazy("連絡先電話番号"), max_length=20)
    channel = forms.ChoiceField(
        label=gettext_lazy("受付経路"), choices=[Channel.choices[1], Channel.choices[2]]
    )
    party_size = forms.IntegerField(label=gettext_lazy("利用人数"), min_value=1, initial=1)
    exemption = forms.ChoiceField(label=gettext_lazy("減免"), required=False)
    group = forms.ModelChoiceField(
        label=gettext_lazy("利用団体（登録団体の代表者からの予約）"),
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label=gettext_lazy("なし（個人）"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, services.exemption_label(code)) for code in services.exemptions()]
        self.fields["exemption"].choices = [("", _("なし")), *choices]
        self.fields["group"].queryset = groups.approved()


class LotteryForm(forms.Form):
    """A lottery window: the month drawn, when entries open and close, days to confirm."""

    month = forms.DateField(
        label=gettext_lazy("対象月"), widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m"],
    )  # fmt: skip
    opens_at = forms.DateTimeField(
        label=gettext_lazy("申込開始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("申込締切"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    confirm_days = forms.IntegerField(
        label=gettext_lazy("当選者の確定期限（抽選から何日）"), min_value=1, max_value=60, initial=7
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("理由"), max_length=200)


class ClosureForm(forms.Form):
    """休館・一括取消: the days and the reason every affected holder will read."""

    first = forms.DateField(
        label=gettext_lazy("休館の始まりの日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=gettext_lazy("休館の終わりの日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("理由（予約者へのお知らせに載ります）"), max_length=120
    )


class ReviewForm(forms.Form):
    """承認 or 不承認 of a group or a 利用者登録; the reason is optional for an approval only
    (the rule is in ``review.decide``, so the API or a script cannot skip it)."""

    decision = forms.ChoiceField(
        label=gettext_lazy("審査結果"),
        choices=[("approve", gettext_lazy("承認する")), ("reject", gettext_lazy("不承認とする"))],
    )
    reason = forms.CharField(label=gettext_lazy("理由"), max_length=200, required=False)


def _day_param(request: HttpRequest) -> dt.date:
    raw = request.GET.get("date") or request.POST.get("date") or ""
    try:
        return dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise Http404(_("日付は YYYY-MM-DD の形で指定してください。")) from None


@staff_required(permissions.MANAGE)
def index(request: HttpRequest) -> HttpResponse:
    """Every resource, with links to its day and to the reports."""
    return render(
        request,
        "bookings/staff/index.html",
        {"resources": services.managed_resources(request.user)},
    )


@staff_required(permissions.MANAGE)
def day(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    return _day_page(request, resource, _day_param(request))


@dataclass(frozen=True)
class Refused:
    """An on-behalf booking that was refused: shown again at its slot with what was typed."""

    start: dt.datetime
    form: OnBehalfForm
    message: str


def _day_page(
    request: HttpRequest, resource: Resource, chosen: dt.date, refused: Refused | None = None
) -> HttpResponse:
    """One resource's day: each slot with its bookings (holders shown: audited). The on-behalf
    form is shown for one chosen slot (``?slot=n``, or the refused one), since a counter's day
    has hundreds of slots and a form in each made the page too heavy to use."""
    (shown,) = slots.days(resource, chosen, chosen)
    bookings = services.bookings_on(chosen).filter(resource=resource)
    record(
        request,
        action=Action.READ,
        subject=Subject("booking-day", f"{resource.code}/{chosen}"),
        what="予約者一覧",
        purpose=PURPOSE,
    )
    wanted = request.GET.get("slot", "")
    rows = []
    for number, slot in enumerate(shown.slots, 1):
        again = refused if refused and refused.start == slot.start else None
        form = None
        if again:
            form = again.form
        elif not refused and wanted == str(number):
            form = OnBehalfForm(auto_id=f"id_%s-{number}")
        taken = [b for b in bookings if b.start == slot.start]
        rows.append((number, slot, taken, form, again.message if again else ""))
    context = {
        "resource": resource,
        "day": shown,
        "rows": rows,
        "now": timezone.now(),
        "previous": chosen - dt.timedelta(days=1),
        "next": chosen + dt.timedelta(days=1),
    }
    return render(request, "bookings/staff/day.html", context, status=400 if refused else 200)


@staff_required(permissions.MANAGE)
def month(request: HttpRequest, pk: int) -> HttpResponse:
    """A resource's month for staff: seats booked of seats offered each day (no names)."""
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    context = {"resource": resource, **month_context(resource, month_of(request))}
    return render(request, "bookings/staff/month.html", context)


def _slot_start(request: HttpRequest) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        raise Http404(_("予約枠が指定されていません。")) from None
    return start if timezone.is_aware(start) else start.replace(tzinfo=slots.city_zone())


def _local_day(start: dt.datetime) -> dt.date:
    return timezone.localtime(start).date()


def _back_to_day(resource: Resource, start: dt.datetime) -> HttpResponse:
    local = _local_day(start).isoformat()
    return redirect(f"{reverse('bookings:staff_day', args=[resource.pk])}?date={local}")


@staff_required(permissions.MANAGE)
@require_POST
def book_for_caller(request: HttpRequest, pk: int) -> HttpResponse:
    """A refused booking shows the day again with the clerk's entries kept at that slot."""
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    start = _slot_start(request)
    row = request.POST.get("row", "")
    form = OnBehalfForm(request.POST, auto_id=f"id_%s-{row if row.isdigit() else 0}")
    if not form.is_valid():
        problem = _("予約者名・電話番号・人数・団体を確認してください。")
        return _day_page(request, resource, _local_day(start), Refused(start, form, problem))
    ask = services.Request(resource=resource, start=start, **form.cleaned_data)
    try:
        booking = services.book_for_caller(ask, staff=request.user)
    except BookingError as exc:
        return _day_page(request, resource, _local_day(start), Refused(start, form, exc.message))
    record(request, action=Action.CREATE, subject=booking, what="代理予約", purpose=PURPOSE)
    messages.success(request, _("予約 %(ref)s を受け付けました。") % {"ref": booking.reference})
    return _back_to_day(resource, start)


@staff_required(permissions.MANAGE)
@require_POST
def block(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    start = _slot_start(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("受付停止の理由を入力してください。"))
        return _back_to_day(resource, start)
    try:
        count = counter.block(resource, start, by=request.user, reason=form.cleaned_data["reason"])
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(count)s 席の受付を停止しました。") % {"count": count})
    return _back_to_day(resource, start)


def _managed_booking(request: HttpRequest, pk: int) -> Booking:
    """A booking of a resource the staff member's department manages (404 otherwise)."""
    managed = Booking.objects.filter(resource__in=services.managed_resources(request.user))
    return get_object_or_404(managed.select_related("resource", "user"), pk=pk)


@staff_required(permissions.MANAGE)
@require_POST
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    """無断不参加: a confirmed booking whose time came without the holder; the reports count it."""
    booking = _managed_booking(request, pk)
    try:
        counter.mark_no_show(booking)
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        record(request, action=Action.UPDATE, subject=booking, what="無断不参加", purpose=PURPOSE)
        messages.success(
            request, _("予約 %(ref)s を無断不参加として記録しました。") % {"ref": booking.reference}
        )
    return _back_to_day(booking.resource, booking.start)


@staff_required(permissions.MANAGE)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel for the city with a reason; the holder is told through the hub when they have
    an account."""
    booking = _managed_booking(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        sent = counter.cancel_with_notice(booking, by=request.user, reason=reason)
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        record(request, action=Action.UPDATE, subject=booking, what="予約取消", purpose=PURPOSE)
        messages.success(
            request,
            _("取り消し、通知を送りました。") if sent else _("取り消しました（通知先なし）。"),
        )
    return _back_to_day(booking.resource, booking.start)


@staff_required(permissions.MANAGE)
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    """What a scanned QR code opens: check the holder in (GET shows, POST records)."""
    try:
        booking = counter.booking_for_token(token)
    except (BookingError, Booking.DoesNotExist):
        raise Http404(_("この QR コードは読み取れません。")) from None
    if not services.managed_resources(request.user).filter(pk=booking.resource_id).exists():
        raise Http404(_("この QR コードは読み取れません。"))
    record(request, action=Action.READ, subject=booking, what="来庁受付", purpose=PURPOSE)
    error = ""
    if request.method == "POST":
        try:
            counter.check_in(booking)
        except BookingError as exc:
            error = exc.message
    context = {"booking": booking, "error": error}
    return render(request, "bookings/staff/check_in.html", context, status=422 if error else 200)


@staff_required(permissions.MANAGE)
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """The counter's queue: who is waiting since when; POST calls the next one."""
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    if request.method == "POST":
        called = counter.call_next(resource)
        if called is None:
            messages.info(request, _("待っている方はいません。"))
        return redirect("bookings:staff_queue", pk=resource.pk)
    record(
        request,
        action=Action.READ,
        subject=Subject("booking-queue", resource.code),
        what="窓口の待ち状況",
        purpose=PURPOSE,
    )
    context = {
        "resource": resource,
        "waiting": counter.waiting(resource),
        "serving": counter.now_serving(resource),
        "now": timezone.now(),
    }
    return render(request, "bookings/staff/queue.html", context)


@staff_required(permissions.MANAGE)
def reports(request: HttpRequest) -> HttpResponse:
    """Utilisation, no-shows, counter waits and public availability views for a period."""
    today = timezone.localdate()
    try:
        first = dt.date.fromisoformat(request.GET.get("from") or today.replace(day=1).isoformat())
        last = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        raise Http404(_("日付は YYYY-MM-DD の形で指定してください。")) from None
    if last < first or (last - first).days > 366:
        raise Http404(_("期間は1年以内で指定してください。"))
    context = {"rows": counter.figures(first, last), "first": first, "last": last}
    return render(request, "bookings/staff/reports.html", context)


@staff_required(permissions.MANAGE)
def lotteries(request: HttpRequest, pk: int) -> HttpResponse:
    """A resource's lotteries with their statistics; POST opens a new one."""
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    form = LotteryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lottery.create_window(resource, **form.cleaned_data)
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("抽選を作成しました。"))
            return redirect("bookings:staff_lotteries", pk=resource.pk)
    windows = [(w, lottery.statistics(w)) for w in resource.lotteries.all()]
    context = {"resource": resource, "form": form, "windows": windows}
    status = 422 if request.method == "POST" else 200
    return render(request, "bookings/staff/lotteries.html", context, status=status)


@staff_required(permissions.MANAGE)
@require_POST
def draw(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw a lottery now (the worker draws closed ones by itself)."""
    window = get_object_or_404(
        LotteryWindow.objects.filter(resource__in=services.managed_resources(request.user)), pk=pk
    )
    try:
        lottery.draw(window)
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        record(
            request, action=Action.UPDATE, subject=Subject("booking-lottery", str(window.pk)),
            what="抽選の実施", purpose=PURPOSE,
        )  # fmt: skip
        messages.success(request, _("抽選しました。結果は公開ページに載っています。"))
    return redirect("bookings:staff_lotteries", pk=window.resource_id)


@dataclass(frozen=True)
class Desk:
    """One staff review page (団体登録 or 利用者登録): what it lists, how it decides, and how
    its read and decisions are written to the audit trail."""

    template: str
    subject: str
    what: str
    decided: str
    model: type[UserGroup] | type[UserRegistration]
    listing: Callable[[], tuple[QuerySet, QuerySet]]
    decide: Callable[..., object]
    page: str
    done: Any


GROUP_DESK = Desk(
    template="bookings/staff/groups.html", subject="booking-groups", what="登録団体一覧",
    decided="団体登録の審査", model=UserGroup, listing=groups.for_staff, decide=groups.review,
    page="bookings:staff_groups", done=gettext_lazy("団体「%(name)s」を審査しました。"),
)  # fmt: skip
REGISTRATION_DESK = Desk(
    template="bookings/staff/registrations.html", subject="booking-registrations",
    what="利用者登録一覧", decided="利用者登録の審査", model=UserRegistration,
    listing=registrations.for_staff, decide=registrations.decide,
    page="bookings:staff_registrations",
    done=gettext_lazy("%(name)s さんの利用者登録を審査しました。"),
)  # fmt: skip


@staff_required(permissions.MANAGE)
def groups_to_review(request: HttpRequest) -> HttpResponse:
    """Registered groups: the pending ones with approve/reject, then those reviewed."""
    return _review_page(request, GROUP_DESK)


@staff_required(permissions.MANAGE)
@require_POST
def review_group(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, GROUP_DESK, pk)


@staff_required(permissions.MANAGE)
def registrations_to_review(request: HttpRequest) -> HttpResponse:
    """利用者登録: the pending ones with approve/reject, then those reviewed (or approved at
    once through the registry link)."""
    return _review_page(request, REGISTRATION_DESK)


@staff_required(permissions.MANAGE)
@require_POST
def review_registration(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, REGISTRATION_DESK, pk)


def _review_page(
    request: HttpRequest, desk: Desk, form: ReviewForm | None = None, failed: int = 0
) -> HttpResponse:
    """The review page, with a refused decision's form (kept, status 422) when there is one;
    applicants' names and phones are shown, so the read is audited."""
    record(
        request, action=Action.READ, subject=Subject(desk.subject, "all"), what=desk.what,
        purpose=PURPOSE,
    )  # fmt: skip
    pending, reviewed = desk.listing()
    context = {"pending": pending, "reviewed": reviewed, "form": form, "failed": failed}
    return render(request, desk.template, context, status=422 if form else 200)


def _decide(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """Approve or reject one application; a refusal (no reason for a rejection, reviewed
    already) shows the page again with what the clerk typed."""
    item = get_object_or_404(desk.model, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            desk.decide(item, by=request.user, approve=approve, reason=form.cleaned_data["reason"])
        except BookingError as exc:
            form.add_error("reason", exc.message)
    if not form.is_valid():
        return _review_page(request, desk, form=form, failed=item.pk)
    record(request, action=Action.UPDATE, subject=item, what=desk.decided, purpose=PURPOSE)
    messages.success(request, str(desk.done) % {"name": str(item)})
    return redirect(desk.page)


@staff_required(permissions.MANAGE)
@require_http_methods(["GET", "POST"])
def close_days(request: HttpRequest, pk: int) -> HttpResponse:
    """休館・一括取消 in three steps: the form, who is affected (audited), then the change."""
    resource = get_object_or_404(services.managed_resources(request.user), pk=pk)
    day = _day_param(request)
    form = ClosureForm(request.POST or None, initial={"first": day, "last": day})
    context: dict[str, Any] = {"resource": resource, "form": form}
    if not form.is_valid():
        return render(request, CLOSE_PAGE, context, status=400 if form.is_bound else 200)
    closure = closures.Closure(resource, **form.cleaned_data)
    try:
        if request.POST.get("confirm") != "1":
            return _closure_preview(request, closure, context)
        done = closures.close(closure, by=request.user)
    except BookingError as exc:
        form.add_error(None, exc.message)
        return render(request, CLOSE_PAGE, context, status=400)
    what = f"休館 {closure.first}〜{closure.last}: 予約 {done.cancelled} 件を取消"
    record(request, action=Action.UPDATE, subject=resource, what=what, purpose=PURPOSE)
    return render(request, CLOSE_PAGE, {**context, "done": done})


CLOSE_PAGE = "bookings/staff/close.html"


def _closure_preview(
    request: HttpRequest, closure: closures.Closure, context: dict[str, Any]
) -> HttpResponse:
    closures.check(closure)
    record(
        request,
        action=Action.READ,
        subject=Subject("booking-closure", f"{closure.resource.code}/{closure.first}"),
        what="休館で取り消す予約の一覧",
        purpose=PURPOSE,
    )
    found = list(closures.affected(closure))
    context |= {
        "preview": True,
        "bookings": [b for b in found if b.status != Status.BLOCKED],
        "blocks": sum(b.status == Status.BLOCKED for b in found),
        "waiting": closures.waiting(closure).count(),
    }
    return render(request, CLOSE_PAGE, context)
