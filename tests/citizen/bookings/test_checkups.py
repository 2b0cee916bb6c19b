"""Health check-ups (検診): eligibility on the reference date, the programme's windows, apply
then book through the slot engine, the notice to eligible residents, staff on behalf, the KPI."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from musubi.citizen.bookings import checkup_figures, checkups, counter, notices, services
from musubi.citizen.bookings.checkup_models import Application, Notice
from musubi.citizen.bookings.errors import NotAllowed, NotBookable, NotEligible, SlotTaken
from musubi.citizen.bookings.models import Booking, Channel, Status
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify import services as notify
from musubi.platform.notify.models import Delivery, Message

from .conftest import IN_APRIL, IN_JANUARY, TOKYO, TUESDAY_SESSION, account_for, at, person

pytestmark = pytest.mark.django_db


def verdict(programme, resident, code: str) -> list[str]:
    found = {v.checkup.code: v for v in checkups.verdicts(programme, resident)}
    return [str(r) for r in found[code].reasons]


# --- eligibility ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "sex", "code", "eligible"),
    [
        (dt.date(1988, 3, 31), "1", "daicho", True),  # 40 on 2028-03-31
        (dt.date(1988, 4, 1), "1", "daicho", False),  # 39 on 2028-03-31
        (dt.date(1953, 4, 1), "1", "tokutei", True),  # 74 on 2028-03-31
        (dt.date(1953, 3, 31), "1", "tokutei", False),  # 75 on 2028-03-31
        (dt.date(1978, 3, 31), "1", "igan", True),  # 50
        (dt.date(1978, 4, 1), "1", "igan", False),  # 49
        (dt.date(2008, 3, 31), "2", "shikyukei", True),  # 20
        (dt.date(2008, 4, 1), "2", "shikyukei", False),  # 19
        (dt.date(1980, 5, 5), "1", "nyugan", False),  # a man
        (dt.date(1980, 5, 5), "2", "nyugan", True),
    ],
)
def test_eligibility_by_age_on_the_reference_date_and_sex(
    programme, register_resident, born, sex, code, eligible
):
    resident = person(register_resident, born, sex)
    assert (verdict(programme, resident, code) == []) is eligible


def test_reasons_say_the_age_the_date_and_the_sex(programme, register_resident):
    young_man = person(register_resident, dt.date(1990, 6, 1), "1")
    assert verdict(programme, young_man, "daicho") == [
        "2028-03-31 時点で 40 歳以上の方が対象です（37 歳）。"
    ]
    assert verdict(programme, young_man, "nyugan")[-1] == "女性が対象です。"
    old = person(register_resident, dt.date(1950, 1, 1), "2", n=2)
    assert verdict(programme, old, "tokutei") == [
        "2028-03-31 時点で 74 歳以下の方が対象です（78 歳）。"
    ]


def test_a_two_yearly_check_up_had_last_year_is_refused_a_yearly_one_is_not(
    programme, health, site, register_resident
):
    woman = person(register_resident, dt.date(1970, 5, 5), "2")
    last_year = checkups.create_programme(2026, health, fees={"nyugan": 1500, "daicho": 500})
    for checkup in last_year.types.all():
        examined = Booking.objects.create(
            resource=site, start=at(dt.date(2026, 6, 1), 9), end=at(dt.date(2026, 6, 1), 9, 30),
            seat=checkup.pk, status=Status.CHECKED_IN, channel=Channel.WEB,
        )  # fmt: skip
        Application.objects.create(
            checkup=checkup, resident=woman, channel=Channel.WEB, booking=examined
        )
    assert verdict(programme, woman, "nyugan") == ["2 年に1回の検診で、前年度に受診しています。"]
    assert verdict(programme, woman, "daicho") == []


# --- windows --------------------------------------------------------------------------------


def test_phases_follow_the_programme_dates(programme):
    assert checkups.phase(programme, dt.date(2026, 11, 30)) == "before"
    assert checkups.phase(programme, dt.date(2026, 12, 1)) == "notice"
    assert checkups.phase(programme, dt.date(2027, 1, 1)) == "applying"
    assert checkups.phase(programme, dt.date(2027, 1, 31)) == "applying"
    assert checkups.phase(programme, dt.date(2027, 2, 1)) == "waiting"
    assert checkups.phase(programme, dt.date(2027, 4, 1)) == "booking"
    assert checkups.phase(programme, dt.date(2028, 3, 1)) == "closed"


def test_the_flow_is_configurable_and_checked(health):
    made = checkups.create_programme(
        2028, health, fees={"daicho": 0}, apply_from=dt.date(2027, 11, 1),
        apply_until=dt.date(2027, 11, 30), notice_on=dt.date(2027, 10, 1),
    )  # fmt: skip
    assert checkups.phase(made, dt.date(2027, 11, 15)) == "applying"
    with pytest.raises(NotAllowed, match="予約の受付は申込の締切の後"):
        checkups.create_programme(2029, health, fees={}, book_from=dt.date(2029, 1, 15))
    with pytest.raises(NotAllowed, match="kensa"):
        checkups.create_programme(2030, health, fees={"kensa": 0})


@pytest.mark.parametrize("when", [dt.datetime(2026, 12, 20, 9, tzinfo=TOKYO), IN_APRIL])
def test_applying_outside_the_window_is_refused_with_the_dates(programme, register_resident, when):
    resident = person(register_resident, dt.date(1970, 5, 5))
    with time_machine.travel(when, tick=False), pytest.raises(NotBookable) as refused:
        checkups.apply(programme, resident, checkups.Ask(codes=("daicho",)))
    assert "2027-01-01 から 2027-01-31 まで" in refused.value.message
    assert "2027-01-01" in refused.value.messages()["en"]
    assert not Application.objects.exists()


# --- apply then book ------------------------------------------------------------------------


def test_apply_refuses_all_when_one_is_not_allowed(programme, register_resident):
    man = person(register_resident, dt.date(1970, 5, 5), "1")
    with time_machine.travel(IN_JANUARY, tick=False):
        with pytest.raises(NotEligible, match="乳がん検診：女性が対象です。"):
            checkups.apply(programme, man, checkups.Ask(codes=("daicho", "nyugan")))
        assert not Application.objects.exists()
        with pytest.raises(NotEligible, match="国民健康保険"):
            checkups.apply(programme, man, checkups.Ask(codes=("tokutei",)))
        with pytest.raises(NotAllowed):
            checkups.apply(programme, man, checkups.Ask(codes=("daicho", "unknown")))
        checkups.apply(programme, man, checkups.Ask(codes=("daicho",)))
        with pytest.raises(NotAllowed, match="すでに申し込んだ"):
            checkups.apply(programme, man, checkups.Ask(codes=("daicho",)))


def test_apply_then_book_one_session_per_check_up_and_no_double_booking(
    programme, register_resident, site
):
    first = person(register_resident, dt.date(1970, 5, 5), n=1)
    second = person(register_resident, dt.date(1971, 6, 6), n=2)
    with time_machine.travel(IN_JANUARY, tick=False):
        (mine,) = checkups.apply(programme, first, checkups.Ask(codes=("daicho",)))
        (theirs,) = checkups.apply(programme, second, checkups.Ask(codes=("daicho",)))
        with pytest.raises(NotBookable, match="2027-04-01 から 2028-02-29"):
            checkups.book(mine, site, TUESDAY_SESSION)
    with time_machine.travel(IN_APRIL, tick=False):
        booked = checkups.book(mine, site, TUESDAY_SESSION)
        assert booked.status == Status.CONFIRMED and booked.resource == site
        with pytest.raises(SlotTaken):
            checkups.book(theirs, site, TUESDAY_SESSION)
        with pytest.raises(NotAllowed, match=booked.reference):
            checkups.book(mine, site, TUESDAY_SESSION + dt.timedelta(minutes=30))
        with pytest.raises(NotAllowed, match="検診の申込から"):
            services.book(services.Request(resource=site, start=TUESDAY_SESSION))
        theirs.refresh_from_db()
        assert theirs.booking is None
    assert Booking.objects.filter(resource=site, status=Status.CONFIRMED).count() == 1


def test_pages_apply_keep_ticks_on_refusal_then_book(client, programme, register_resident, site):
    resident = person(register_resident, dt.date(1970, 5, 5), "1")
    user = account_for(resident)
    with time_machine.travel(IN_JANUARY, tick=False):
        client.force_login(user)  # inside the travel: a session from December has expired
        page = client.get(reverse("bookings:checkups")).content.decode()
        assert "対象外：女性が対象です。" in page and 'value="daicho"' in page
        refused = client.post(reverse("bookings:checkup_apply"), {"checkup": ["daicho", "tokutei"]})
        assert refused.status_code == 422
        assert "国民健康保険" in refused.content.decode()
        assert 'value="daicho" checked' in refused.content.decode()
        client.post(reverse("bookings:checkup_apply"), {"checkup": ["daicho"]})
    application = Application.objects.get(resident=resident)
    assert application.channel == Channel.WEB and application.fee_yen == 500
    with time_machine.travel(IN_APRIL, tick=False):
        client.force_login(user)
        path = reverse("bookings:checkup_book", args=[application.pk])
        assert TUESDAY_SESSION.isoformat() in client.get(path).content.decode()
        bad = client.post(path, {"site": site.pk, "start": "next tuesday"})
        assert bad.status_code == 422 and "会場と日時を選んでください" in bad.content.decode()
        done = client.post(path, {"site": site.pk, "start": TUESDAY_SESSION.isoformat()})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.booking.start == TUESDAY_SESSION
    with time_machine.travel(TUESDAY_SESSION - dt.timedelta(hours=1), tick=False):
        client.force_login(user)
        assert "受付用 QR コード" in client.get(done.url).content.decode()
        counter.check_in(application.booking)  # what the site's staff do by scanning it
    assert checkup_figures.figures(programme).rows[2]["examined"] == 1  # 大腸がん検診


def test_the_resident_moves_their_own_session_and_a_taken_one_keeps_the_old(
    client, programme, register_resident, site
):
    resident = person(register_resident, dt.date(1970, 5, 5), n=1)
    other = person(register_resident, dt.date(1971, 6, 6), n=2)
    later, taken = (TUESDAY_SESSION + dt.timedelta(minutes=m) for m in (30, 60))
    with time_machine.travel(IN_JANUARY, tick=False):
        (mine,) = checkups.apply(programme, resident, checkups.Ask(codes=("daicho",)))
        (theirs,) = checkups.apply(programme, other, checkups.Ask(codes=("daicho",)))
    with time_machine.travel(IN_APRIL, tick=False):
        first = checkups.book(mine, site, TUESDAY_SESSION)
        checkups.book(theirs, site, taken)
        client.force_login(account_for(resident))
        path = reverse("bookings:checkup_book", args=[mine.pk])
        assert first.reference in client.get(path).content.decode()  # what is held now
        refused = client.post(path, {"site": site.pk, "start": taken.isoformat()})
        assert refused.status_code == 422
        assert Booking.objects.get(pk=first.pk).status == Status.CONFIRMED
        moved = client.post(path, {"site": site.pk, "start": later.isoformat()})
    assert moved.status_code == 302
    mine.refresh_from_db()
    first.refresh_from_db()
    assert first.status == Status.CANCELLED and mine.booking.start == later
    assert mine.booking.status == Status.CONFIRMED and mine.booking.channel == Channel.WEB


def test_without_an_account_the_page_lists_the_check_ups_and_who_may_have_them(client, programme):
    with time_machine.travel(IN_JANUARY, tick=False):
        page = client.get(reverse("bookings:checkups")).content.decode()
    assert "令和9年度" in page and "申込の受付中" in page
    assert "40〜74 歳" in page and "2 年に1回" in page and 'name="checkup"' not in page


def test_page_in_english_says_why_not(client, programme, register_resident):
    resident = person(register_resident, dt.date(1990, 6, 1), "1")
    user = account_for(resident)
    client.cookies["django_language"] = "en"
    with time_machine.travel(IN_JANUARY, tick=False):
        client.force_login(user)
        page = client.get(reverse("bookings:checkups")).content.decode()
    assert "For people aged 40 or over on 2028-03-31 (you: 37)." in page
    assert "Health check-ups" in page


# --- notice ---------------------------------------------------------------------------------


def test_notice_goes_once_to_eligible_residents_only(programme, register_resident):
    eligible = person(register_resident, dt.date(1970, 5, 5), "1", n=1)
    young_man = person(register_resident, dt.date(1995, 5, 5), "1", n=2)
    young_woman = person(register_resident, dt.date(2000, 5, 5), "2", n=3)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=TOKYO), tick=False):
        assert notices.send_due_checkup_notices() == 0  # the notice date has not come
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=TOKYO), tick=False):
        assert notices.send_due_checkup_notices() == 1
        assert notices.send_due_checkup_notices() == 0
        assert notices.send_checkup_notice(programme) is None  # staff pressing it again
        notify.dispatch_due()
    (message,) = Message.objects.filter(source="bookings")
    assert sorted(message.audience["residents"]) == sorted([eligible.number, young_woman.number])
    reached = set(Delivery.objects.filter(message=message).values_list("household_id", flat=True))
    assert young_man.household_id not in reached and eligible.household_id in reached
    assert Notice.objects.count() == 2
    assert "令和9年度の検診のご案内" in message.rendered["ja"]["subject"]


def test_a_newcomer_is_noticed_on_the_next_run_alone(programme, register_resident):
    person(register_resident, dt.date(1970, 5, 5), n=1)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=TOKYO), tick=False):
        notices.send_checkup_notice(programme)
        newcomer = person(register_resident, dt.date(1960, 5, 5), n=2)
        second = notices.send_checkup_notice(programme)
    assert second.audience["residents"] == [newcomer.number]


# --- staff ----------------------------------------------------------------------------------


@pytest.fixture
def health_staff(make_staff, signed_in, health):
    """Signs in when called, so inside a test's time travel (a session would have expired)."""
    clerk = make_staff("chiikihoken", "bookings.checkups")
    return lambda: signed_in(clerk)


def test_staff_apply_on_behalf_is_recorded_and_the_online_share_counts(
    health_staff, programme, register_resident
):
    online = person(register_resident, dt.date(1970, 5, 5), n=1)
    caller = person(register_resident, dt.date(1960, 5, 5), n=2)
    path = reverse("bookings:staff_checkup", args=[programme.pk])
    with time_machine.travel(IN_JANUARY, tick=False):
        staff = health_staff()
        checkups.apply(programme, online, checkups.Ask(codes=("daicho",)))
        unknown = staff.post(path, {"number": "999999", "channel": "phone", "checkup": "daicho"})
        assert unknown.status_code == 422
        assert "この宛名番号の住民は見つかりません。" in unknown.content.decode()
        answer = staff.post(
            path,
            {
                "number": caller.number,
                "channel": "phone",
                "checkup": "daicho",
                "exemption": "hikazei",
            },
        )
        assert answer.status_code == 302
        page = staff.get(path).content.decode()
    phoned = Application.objects.get(resident=caller)
    assert phoned.channel == Channel.PHONE and phoned.fee_yen == 0 and phoned.user is None
    assert phoned.created_by.email == "chiikihoken.clerk@city.example.jp"
    assert checkup_figures.figures(programme).online_share == 50.0
    assert "50.0%" in page and str(caller) in page
    assert AuditRecord.objects.filter(subject_id="2027", what="検診の申込者一覧").exists()


def test_staff_of_another_department_see_no_programme(make_staff, signed_in, programme):
    other = signed_in(make_staff("zeimu", "bookings.checkups"))
    assert other.get(reverse("bookings:staff_checkup", args=[programme.pk])).status_code == 404


def test_staff_notice_button_is_idempotent(health_staff, programme, register_resident):
    person(register_resident, dt.date(1970, 5, 5))
    path = reverse("bookings:staff_checkup_notice", args=[programme.pk])
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=TOKYO), tick=False):
        staff = health_staff()
        staff.post(path)
        again = staff.post(path, follow=True)
    assert "新たに案内する対象者はいません" in again.content.decode()
    assert Message.objects.filter(source="bookings").count() == 1
