"""Health check-ups (検診): who may have which check-up, applying for it, booking a session.

The strategy's flow (行政DX ⑧) is a December notice, a January application (申込) and
bookings from April. Here each programme carries its own dates, and the phase is computed from
them, so a city that changes the flow edits a programme, not code. Eligibility (age on the
reference date, sex, interval) is read from the resident register, never from what is typed.
A session is a slot of a check-up site (``Resource`` of kind CHECKUP), booked through
``services.book``: the slot engine's unique index is what keeps a session from overbooking.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import services, slots
from musubi.citizen.bookings.checkup_models import Application, CheckupType, Programme
from musubi.citizen.bookings.errors import NotAllowed, NotBookable, NotEligible
from musubi.citizen.bookings.models import HOLDING, Booking, Channel, Resource, Status
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Resident
from musubi.platform.residents.models import Status as ResidentStatus

DATA = Path(__file__).resolve().parent / "data"
KOKUHO = "kokuho"


@cache
def guideline_types() -> list[dict[str, Any]]:
    """The check-up types of the national guidelines (``data/checkup_types.yaml``)."""
    return yaml.safe_load((DATA / "checkup_types.yaml").read_text(encoding="utf-8"))


@cache
def exemptions() -> dict[str, dict[str, Any]]:
    """Exemptions from a check-up's charge by code (``data/checkup_exemptions.json``)."""
    data = json.loads((DATA / "checkup_exemptions.json").read_text(encoding="utf-8"))
    return {code: entry for code, entry in data.items() if not code.startswith("_")}


def exemption_label(code: str) -> str:
    entry = exemptions().get(code)
    return (entry["en"] if get_language() == "en" else entry["ja"]) if entry else ""


# --- programmes and their phases ------------------------------------------------------------


def _last_of_february(year: int) -> dt.date:
    return dt.date(year, 3, 1) - dt.timedelta(days=1)


def default_dates(fiscal_year: int) -> dict[str, dt.date]:
    """The strategy's flow for 年度 ``fiscal_year``: notice 1 December, applications in
    January, bookings from April to February; ages counted on 31 March (年度末)."""
    return {
        "notice_on": dt.date(fiscal_year - 1, 12, 1),
        "apply_from": dt.date(fiscal_year, 1, 1),
        "apply_until": dt.date(fiscal_year, 1, 31),
        "book_from": dt.date(fiscal_year, 4, 1),
        "book_until": _last_of_february(fiscal_year + 1),
        "reference_date": dt.date(fiscal_year + 1, 3, 31),
    }


def create_programme(
    fiscal_year: int, department: Any, *, fees: dict[str, int], **dates: dt.date
) -> Programme:
    """A programme with one type per code in ``fees`` (its charge in yen), the eligibility
    copied from the guidelines and any of the default dates replaced by ``dates``."""
    known = {entry["code"]: entry for entry in guideline_types()}
    unknown = sorted(set(fees) - set(known))
    if unknown:
        raise NotAllowed(_("検診の種類が正しくありません：%(codes)s"), codes=", ".join(unknown))
    chosen = {**default_dates(fiscal_year), **dates}
    if not chosen["notice_on"] <= chosen["apply_from"] <= chosen["apply_until"]:
        raise NotAllowed(_("案内日・申込開始日・申込締切日の順になるように入力してください。"))
    if not chosen["apply_until"] < chosen["book_from"] <= chosen["book_until"]:
        raise NotAllowed(_("予約の受付は申込の締切の後に始まるように入力してください。"))
    with transaction.atomic():
        programme = Programme.objects.create(
            fiscal_year=fiscal_year, department=department, **chosen
        )
        for code, fee in fees.items():
            CheckupType.objects.create(programme=programme, fee_yen=fee, **known[code])
    return programme


PHASES = {
    "before": _("案内前"),
    "notice": _("案内中（申込の受付前）"),
    "applying": _("申込の受付中"),
    "waiting": _("予約の受付前"),
    "booking": _("予約の受付中"),
    "closed": _("終了"),
}


def phase(programme: Programme, today: dt.date | None = None) -> str:
    """Where the programme stands on ``today``: one of ``PHASES``."""
    today = today or timezone.localdate()
    if today < programme.notice_on:
        return "before"
    if today < programme.apply_from:
        return "notice"
    if today <= programme.apply_until:
        return "applying"
    if today < programme.book_from:
        return "waiting"
    return "booking" if today <= programme.book_until else "closed"


def current_programme(today: dt.date | None = None) -> Programme | None:
    """The newest programme already announced (its notice date reached), if any."""
    today = today or timezone.localdate()
    return Programme.objects.filter(notice_on__lte=today).order_by("-fiscal_year").first()


# --- eligibility ----------------------------------------------------------------------------


@dataclass
class Verdict:
    """Whether one resident may have one check-up, and the reasons when not."""

    checkup: CheckupType
    reasons: list[Any] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def examined_in(fiscal_year: int, resident_ids: list[int] | None = None) -> dict[int, set[str]]:
    """Resident id → codes of the check-ups they had (checked in) in ``fiscal_year``."""
    rows = Application.objects.filter(
        checkup__programme__fiscal_year=fiscal_year, booking__status=Status.CHECKED_IN
    )
    if resident_ids is not None:
        rows = rows.filter(resident_id__in=resident_ids)
    found: dict[int, set[str]] = {}
    for resident_id, code in rows.values_list("resident_id", "checkup__code"):
        found.setdefault(resident_id, set()).add(code)
    return found


def reasons_against(
    checkup: CheckupType, resident: Resident, examined_last_year: set[str]
) -> list[Any]:
    """Why ``resident`` may not have ``checkup`` (empty when they may): age on the programme's
    reference date, sex, and a 2-yearly check-up already had in the previous year."""
    reference = checkup.programme.reference_date
    age = services.age_on(resident.birthdate, reference)
    reasons: list[Any] = []
    params = {"date": reference.isoformat(), "yours": age}
    if checkup.min_age is not None and age < checkup.min_age:
        reasons.append(
            _("%(date)s 時点で %(age)s 歳以上の方が対象です（%(yours)s 歳）。")
            % {**params, "age": checkup.min_age}
        )
    if checkup.max_age is not None and age > checkup.max_age:
        reasons.append(
            _("%(date)s 時点で %(age)s 歳以下の方が対象です（%(yours)s 歳）。")
            % {**params, "age": checkup.max_age}
        )
    if checkup.sex and resident.sex != checkup.sex:
        reasons.append(_("女性が対象です。") if checkup.sex == "2" else _("男性が対象です。"))
    if checkup.interval_years > 1 and checkup.code in examined_last_year:
        reasons.append(
            _("%(years)s 年に1回の検診で、前年度に受診しています。")
            % {"years": checkup.interval_years}
        )
    return reasons


def verdicts(programme: Programme, resident: Resident) -> list[Verdict]:
    """Every check-up of the programme with whether ``resident`` may have it, and why not."""
    examined = examined_in(programme.fiscal_year - 1, [resident.pk]).get(resident.pk, set())
    return [
        Verdict(checkup, reasons_against(checkup, resident, examined))
        for checkup in programme.types.all()
    ]


def eligible_residents(programme: Programme) -> list[Resident]:
    """Living residents eligible for at least one check-up of the programme (the notice's
    audience). Insurance cannot be checked here, so 国保-only check-ups count as eligible."""
    checkups = list(programme.types.all())
    youngest = min((c.min_age or 0 for c in checkups), default=0)
    oldest_birthdate = programme.reference_date.replace(
        year=programme.reference_date.year - youngest
    )
    people = list(residents.living_residents().filter(birthdate__lte=oldest_birthdate))
    examined = examined_in(programme.fiscal_year - 1, [p.pk for p in people])
    return [
        person
        for person in people
        if any(not reasons_against(c, person, examined.get(person.pk, set())) for c in checkups)
    ]


# --- applying -------------------------------------------------------------------------------


def _local(day: dt.date) -> str:
    return day.isoformat()


def check_applying(programme: Programme, today: dt.date) -> None:
    if phase(programme, today) != "applying":
        raise NotBookable(
            _("申込の受付期間は %(start)s から %(end)s までです。"),
            start=_local(programme.apply_from),
            end=_local(programme.apply_until),
        )


def charge(checkup: CheckupType, exemption: str) -> int:
    """The resident's own charge for ``checkup`` in yen after an exemption (免除)."""
    if exemption and exemption not in exemptions():
        raise NotAllowed(_("減免の区分が正しくありません。"))
    percent = exemptions()[exemption]["percent"] if exemption else 0
    return checkup.fee_yen * (100 - percent) // 100


def _check_one(checkup: CheckupType, resident: Resident, declared_insurance: bool) -> None:
    reasons = reasons_against(checkup, resident, _examined_last_year(checkup, resident))
    if reasons:
        raise NotEligible(_("%(checkup)s：%(reason)s"), checkup=checkup.name, reason=reasons[0])
    if checkup.insurance == KOKUHO and not declared_insurance:
        raise NotEligible(
            _(
                "%(checkup)s は国民健康保険に加入している方が対象です。"
                "加入していれば申告欄に印を付けてください。"
            ),
            checkup=checkup.name,
        )


def _examined_last_year(checkup: CheckupType, resident: Resident) -> set[str]:
    year = checkup.programme.fiscal_year - 1
    return examined_in(year, [resident.pk]).get(resident.pk, set())


@dataclass(frozen=True)
class Ask:
    """An application: which check-ups (codes), through which channel, with which exemption."""

    codes: tuple[str, ...]
    channel: str = Channel.WEB
    declared_insurance: bool = False
    exemption: str = ""


def apply(
    programme: Programme, resident: Resident | None, ask: Ask, *, user: Any = None,
    staff: Any = None,
) -> list[Application]:  # fmt: skip
    """Apply ``resident`` for the check-ups in ``ask``: all of them, or (on any refusal)
    none. Online by the resident's own account, or by ``staff`` for a caller or visitor."""
    check_applying(programme, timezone.localdate())
    if resident is None or resident.status != ResidentStatus.ACTIVE:
        raise NotEligible(_("検診の申込は市の住民記録と連携したアカウントの市民だけができます。"))
    chosen = list(programme.types.filter(code__in=ask.codes))
    if not ask.codes or len(chosen) != len(set(ask.codes)):
        raise NotAllowed(_("申し込む検診を選んでください。"))
    for checkup in chosen:
        _check_one(checkup, resident, ask.declared_insurance)
    try:
        with transaction.atomic():
            return [
                Application.objects.create(
                    checkup=checkup,
                    resident=resident,
                    user=user,
                    channel=ask.channel,
                    exemption=ask.exemption,
                    fee_yen=charge(checkup, ask.exemption),
                    declared_insurance=ask.declared_insurance,
                    created_by=staff or user,
                )
                for checkup in chosen
            ]
    except IntegrityError:
        raise NotAllowed(_("すでに申し込んだ検診が含まれています。")) from None


def applications_of(resident: Resident | None, programme: Programme) -> QuerySet[Application]:
    return Application.objects.filter(
        resident=resident, checkup__programme=programme
    ).select_related("checkup", "booking__resource")


# --- booking a session ----------------------------------------------------------------------


def check_booking_window(programme: Programme, day: dt.date) -> None:
    """Sessions are booked in the booking window, for a day inside it."""
    today = timezone.localdate()
    if (
        phase(programme, today) != "booking"
        or not programme.book_from <= day <= programme.book_until
    ):
        raise NotBookable(
            _("検診の予約は %(start)s から %(end)s までの日について受け付けます。"),
            start=_local(programme.book_from),
            end=_local(programme.book_until),
        )


def book(
    application: Application, site: Resource, start: dt.datetime, *, user: Any = None,
    staff: Any = None, channel: str = Channel.WEB,
) -> Booking:  # fmt: skip
    """Book a session of ``site`` for an application: one booking per application, taken
    through the slot engine (so two people can never get the same last place)."""
    checkup = application.checkup
    check_booking_window(checkup.programme, start.astimezone(slots.city_zone()).date())
    if not checkup.sites.filter(pk=site.pk).exists():
        raise NotAllowed(_("この会場ではこの検診を受けられません。"))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        held = held_booking(locked)
        if held:
            raise NotAllowed(
                _("この検診はすでに予約しています（予約番号 %(ref)s）。"), ref=held.reference
            )
        ask = services.Request(
            resource=site, start=start, channel=channel, purpose=checkup.name_ja,
            holder_name=str(locked.resident), for_checkup=True,
        )  # fmt: skip
        locked.booking = services.book(ask, user=user, staff=staff)
        locked.save(update_fields=["booking"])
    return locked.booking


def held_booking(application: Application) -> Booking | None:
    """The application's session while it still holds a place (not cancelled or lapsed)."""
    return Booking.objects.filter(pk=application.booking_id, status__in=HOLDING).first()


def move(
    application: Application, site: Resource, start: dt.datetime, *, by: Any,
    staff: Any = None, channel: str = Channel.PHONE,
) -> Booking:  # fmt: skip
    """Move an application's session to another time or site in one step, by the applicant
    online or by ``staff`` for one who phoned: the old session is given up only if the new one
    is taken, else nothing changes."""
    held = held_booking(application)
    if held is None:
        raise NotAllowed(_("この申込にはまだ予約がありません。"))
    if held.resource_id == site.pk and held.start == start:
        raise NotAllowed(_("今の予約と同じ日時です。"))
    with transaction.atomic():
        services.cancel(held, by=by, reason=str(_("日時の変更")))
        return book(application, site, start, user=held.user, staff=staff, channel=channel)


def book_for_caller(
    application: Application, site: Resource, start: dt.datetime, *, staff: Any, channel: str
) -> Booking:
    """Staff book the session of an applicant who phoned or came in, or move the one they
    have; the booking stays the applicant's own (their account, if they applied online)."""
    if held_booking(application):
        return move(application, site, start, by=staff, staff=staff, channel=channel)
    return book(application, site, start, user=application.user, staff=staff, channel=channel)


def sessions(application: Application, days: int = 14) -> list[tuple[Resource, list[slots.Day]]]:
    """The next ``days`` days with free sessions at each site of the application's check-up,
    from tomorrow (or the start of bookings) to the end of the booking window."""
    programme = application.checkup.programme
    first = max(timezone.localdate() + dt.timedelta(days=1), programme.book_from)
    last = min(first + dt.timedelta(days=days - 1), programme.book_until)
    return [
        (site, [day for day in slots.days(site, first, last) if day.free])
        for site in application.checkup.sites.filter(active=True)
    ]
