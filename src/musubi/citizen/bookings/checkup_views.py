"""Pages of health check-ups (検診): the resident's programme page (what I may have and why
not, apply, book a session) and the staff pages (applications, figures, applying for a caller,
sending the notice). Views only parse input, call ``checkups``/``notices`` and render."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from musubi.citizen.bookings import checkup_figures, checkups, notices, permissions, slots
from musubi.citizen.bookings.checkup_models import Application, Programme
from musubi.citizen.bookings.errors import BookingError, NotAllowed, NotEligible
from musubi.citizen.bookings.models import HOLDING, Booking, Channel, Resource
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.residents import services as residents

PURPOSE = "検診の申込・予約の管理"


def _ask_from(post, channel: str, exemption: str = "") -> checkups.Ask:
    return checkups.Ask(
        codes=tuple(post.getlist("checkup")),
        channel=channel,
        declared_insurance=post.get("declared_insurance") == "on",
        exemption=exemption,
    )


def _programme_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    programme = checkups.current_programme()
    resident = residents.resident_for(request.user)
    context = {
        "programme": programme,
        "resident": resident,
        "error": error,
        "chosen": request.POST.getlist("checkup"),
        "declared": request.POST.get("declared_insurance") == "on",
    }
    if programme:
        applied = checkups.applications_of(resident, programme)
        context |= {
            "phase": checkups.phase(programme),
            "phase_label": checkups.PHASES[checkups.phase(programme)],
            "types": programme.types.all(),
            "verdicts": checkups.verdicts(programme, resident) if resident else [],
            "applications": applied,
            "applied_codes": {a.checkup.code for a in applied},
        }
    return render(request, "bookings/checkups.html", context, status=status)


def programme(request: HttpRequest) -> HttpResponse:
    """This year's check-ups; signed in and linked to the register, what I may have and why not."""
    return _programme_page(request)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """Apply online for the ticked check-ups (all or none); a refusal keeps the ticks."""
    chosen = checkups.current_programme()
    if chosen is None:
        raise Http404(_("検診の案内はまだありません。"))
    resident = residents.resident_for(request.user)
    try:
        checkups.apply(chosen, resident, _ask_from(request.POST, Channel.WEB), user=request.user)
    except BookingError as exc:
        return _programme_page(request, exc.message, status=422)
    messages.success(request, _("申込を受け付けました。"))
    return redirect("bookings:checkups")


def _my_application(request: HttpRequest, pk: int) -> Application:
    resident = residents.resident_for(request.user)
    return get_object_or_404(
        Application.objects.select_related("checkup__programme"), pk=pk, resident=resident
    )


def _start_and_site(request: HttpRequest, application: Application) -> tuple[Resource, dt.datetime]:
    try:
        site = application.checkup.sites.get(pk=int(request.POST.get("site", "")))
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
    except (ValueError, Resource.DoesNotExist):
        raise NotAllowed(_("会場と日時を選んでください。")) from None
    return site, start if start.tzinfo else start.replace(tzinfo=slots.city_zone())


@login_required
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """The free sessions of the check-up's sites; choosing one books it, or, when a session is
    already booked, moves the booking there (the old one is kept if the new one is refused)."""
    application = _my_application(request, pk)
    held = checkups.held_booking(application)
    error = ""
    if request.method == "POST":
        try:
            site, start = _start_and_site(request, application)
            if held:
                made = checkups.move(application, site, start, by=request.user, channel=Channel.WEB)
            else:
                made = checkups.book(application, site, start, user=request.user)
        except BookingError as exc:
            error = exc.message
        else:
            return redirect("bookings:booking", pk=made.pk)
    context = {
        "application": application,
        "held": held,
        "sites": checkups.sessions(application),
        "phase": checkups.phase(application.checkup.programme),
        "error": error,
    }
    return render(request, "bookings/checkup_book.html", context, status=422 if error else 200)


# --- staff ----------------------------------------------------------------------------------


class OnBehalfForm(forms.Form):
    """An application taken on the phone or at the counter for a resident (宛名番号)."""

    number = forms.CharField(label=gettext_lazy("宛名番号"), max_length=12)
    channel = forms.ChoiceField(
        label=gettext_lazy("受付経路"), choices=[Channel.choices[1], Channel.choices[2]]
    )
    exemption = forms.ChoiceField(label=gettext_lazy("自己負担の免除"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, checkups.exemption_label(code)) for code in checkups.exemptions()]
        self.fields["exemption"].choices = [("", _("なし")), *choices]


def _programmes(request: HttpRequest):
    departments = accounts.departments_granting(request.user, permissions.CHECKUPS)
    return Programme.objects.filter(department__in=departments)


@staff_required(permissions.CHECKUPS)
def staff_index(request: HttpRequest) -> HttpResponse:
    """Each programme with its phase and the share of applications made online (⑧ KPI)."""
    rows = [
        (p, checkups.PHASES[checkups.phase(p)], checkup_figures.figures(p))
        for p in _programmes(request)
    ]
    return render(request, "bookings/staff/checkups.html", {"rows": rows})


def _staff_page(request: HttpRequest, chosen: Programme, form: OnBehalfForm, status: int = 200):
    record(
        request,
        action=Action.READ,
        subject=Subject("checkup-programme", str(chosen.fiscal_year)),
        what="検診の申込者一覧",
        purpose=PURPOSE,
    )
    context = {
        "programme": chosen,
        "phase_label": checkups.PHASES[checkups.phase(chosen)],
        "figures": checkup_figures.figures(chosen),
        "applications": Application.objects.filter(checkup__programme=chosen).select_related(
            "checkup", "resident", "booking__resource"
        ),
        "form": form,
        "types": chosen.types.all(),
        "chosen": request.POST.getlist("checkup"),
        "noticed": chosen.notices.count(),
    }
    return render(request, "bookings/staff/checkup_programme.html", context, status=status)


@staff_required(permissions.CHECKUPS)
def staff_programme(request: HttpRequest, pk: int) -> HttpResponse:
    """Applications (names shown: audited), figures, the on-behalf form, the notice button."""
    chosen = get_object_or_404(_programmes(request), pk=pk)
    form = OnBehalfForm(request.POST or None)
    if request.method != "POST":
        return _staff_page(request, chosen, form)
    if form.is_valid():
        person = residents.living_residents().filter(number=form.cleaned_data["number"]).first()
        ask = _ask_from(request.POST, form.cleaned_data["channel"], form.cleaned_data["exemption"])
        try:
            if person is None:
                raise NotEligible(_("この宛名番号の住民は見つかりません。"))
            checkups.apply(chosen, person, ask, staff=request.user)
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("代理で申し込みました。"))
            return redirect("bookings:staff_checkup", pk=chosen.pk)
    return _staff_page(request, chosen, form, status=422)


@staff_required(permissions.CHECKUPS)
@require_POST
def staff_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the programme's notice now to every eligible resident not yet sent it."""
    chosen = get_object_or_404(_programmes(request), pk=pk)
    sent = notices.send_checkup_notice(chosen, by=request.user)
    if sent is None:
        messages.info(request, _("新たに案内する対象者はいません（送信済みです）。"))
    else:
        messages.success(request, _("対象者に案内を送りました。"))
    return redirect("bookings:staff_checkup", pk=chosen.pk)


CALLER_CHANNELS = [Channel.choices[1], Channel.choices[2]]


def _caller_channel(post) -> str:
    channel = post.get("channel", "")
    if channel not in (Channel.PHONE, Channel.COUNTER):
        raise NotAllowed(_("受付経路は電話か窓口を選んでください。"))
    return channel


@staff_required(permissions.CHECKUPS)
def staff_book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book, or move, the session of an applicant who phoned or came to the counter."""
    applications = Application.objects.filter(checkup__programme__in=_programmes(request))
    application = get_object_or_404(
        applications.select_related("checkup__programme", "resident", "booking__resource"), pk=pk
    )
    record(request, action=Action.READ, subject=application.resident, what="検診の予約（代理）",
           purpose=PURPOSE)  # fmt: skip
    error = ""
    if request.method == "POST":
        try:
            site, start = _start_and_site(request, application)
            channel = _caller_channel(request.POST)
            made = checkups.book_for_caller(
                application, site, start, staff=request.user, channel=channel
            )
        except BookingError as exc:
            error = exc.message
        else:
            record(request, action=Action.CREATE, subject=made, what="検診の代理予約",
                   purpose=PURPOSE)  # fmt: skip
            messages.success(request, _("検診の予約を受け付けました（予約番号 %(ref)s）。")
                             % {"ref": made.reference})  # fmt: skip
            return redirect("bookings:staff_checkup", pk=application.checkup.programme_id)
    context = {
        "application": application,
        "held": Booking.objects.filter(pk=application.booking_id, status__in=HOLDING).first(),
        "sites": checkups.sessions(application),
        "channels": CALLER_CHANNELS,
        "channel": request.POST.get("channel", Channel.PHONE),
        "error": error,
    }
    return render(
        request, "bookings/staff/checkup_book.html", context, status=422 if error else 200
    )
