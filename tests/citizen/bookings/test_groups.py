"""Registered groups (団体登録): registration by a representative, staff review with a reason,
resources for approved groups only, the 市内 rate for a 市内 majority, and the per-group
monthly quota held by the database even when requests race."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from musubi.citizen.bookings import groups, lottery, services, waitlist
from musubi.citizen.bookings.errors import NotAllowed, NotEligible, QuotaExceeded
from musubi.citizen.bookings.models import (
    Booking,
    FeeCategory,
    GroupQuotaUse,
    QuotaUse,
    ReviewStatus,
    UserGroup,
)
from musubi.platform.audit.models import Action, AuditRecord

from .conftest import NOW, TUESDAY, at, retrying_on_sqlite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")
WEDNESDAY = TUESDAY + dt.timedelta(days=1)  # beyond the 24-hour notice while the clock ticks
SLOTS = [at(WEDNESDAY, hour) for hour in (9, 12, 15, 18)]


def make_group(
    user, status=ReviewStatus.APPROVED, percent=80, reason="", name="赤穂コーラス"
) -> UserGroup:
    return UserGroup.objects.create(
        name=name, representative=user, phone="0265-83-0000", member_count=20,
        resident_percent=percent, status=status, review_reason=reason,
    )  # fmt: skip


def book(room, user, start, group=None):
    return services.book(services.Request(resource=room, start=start, group=group), user=user)


@pytest.fixture
def staff(make_staff, signed_in, department):
    return signed_in(make_staff("shogai", "bookings.manage"))


# --- registration and review ---------------------------------------------------------------


def test_a_resident_registers_a_group_and_sees_it_pending(client, outsider):
    client.force_login(outsider)
    url = reverse("bookings:groups")
    details = {"name": "赤穂コーラス", "phone": "0265-83-0000", "member_count": 20}
    answer = client.post(url, {**details, "resident_percent": 60})
    assert answer.status_code == 302
    group = UserGroup.objects.get()
    assert (group.representative, group.status) == (outsider, ReviewStatus.PENDING)
    assert "審査中" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [("resident_percent", 150, "100 以下"), ("member_count", 0, "1 以上"), ("name", "", "必須")],
)
def test_bad_registration_is_explained_and_kept(client, outsider, field, value, says):
    client.force_login(outsider)
    details = {"name": "赤穂コーラス", "phone": "0265-83-0000", "member_count": 20}
    answer = client.post(
        reverse("bookings:groups"), {**details, "resident_percent": 60, field: value}
    )
    html = answer.content.decode()
    assert answer.status_code == 422
    assert says in html and "0265-83-0000" in html
    assert not UserGroup.objects.exists()


def test_the_groups_page_needs_login_and_speaks_english(client, outsider):
    assert client.get(reverse("bookings:groups")).status_code == 302
    make_group(outsider, ReviewStatus.REJECTED, reason="Members unknown", name="Akaho Choir")
    client.force_login(outsider)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("bookings:groups")).content.decode().replace("日本語", "")
    assert JAPANESE.findall(html) == []
    assert "Rejected" in html and "Members unknown" in html


def test_staff_reject_only_with_a_reason_approve_once_and_it_is_audited(staff, outsider):
    pending = make_group(outsider, ReviewStatus.PENDING)
    page = staff.get(reverse("bookings:staff_groups"))
    assert "赤穂コーラス" in page.content.decode() and "0265-83-0000" in page.content.decode()
    assert AuditRecord.objects.filter(action=Action.READ, subject_id="all").exists()
    url = reverse("bookings:staff_review_group", args=[pending.pk])
    refused = staff.post(url, {"decision": "reject", "reason": "  "})
    assert refused.status_code == 422
    assert "不承認の理由を入力" in refused.content.decode()
    assert 'value="reject" checked' in refused.content.decode()
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.PENDING
    assert (
        staff.post(url, {"decision": "reject", "reason": "会員名簿がありません"}).status_code == 302
    )
    pending.refresh_from_db()
    assert (pending.status, pending.review_reason) == (
        ReviewStatus.REJECTED,
        "会員名簿がありません",
    )
    assert pending.reviewed_by is not None
    assert AuditRecord.objects.filter(action=Action.UPDATE, subject_id=str(pending.pk)).exists()
    again = staff.post(url, {"decision": "approve"})
    assert "すでに審査" in again.content.decode()
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.REJECTED


def test_the_staff_page_speaks_english(staff, outsider):
    make_group(outsider, ReviewStatus.PENDING, name="Akaho Choir")
    staff.cookies["django_language"] = "en"
    html = staff.get(reverse("bookings:staff_groups")).content.decode().replace("日本語", "")
    assert JAPANESE.findall(html) == []
    assert "Approve" in html and "Reason (required for a rejection)" in html


def test_review_needs_the_permission(client, make_staff, signed_in, outsider):
    pending = make_group(outsider, ReviewStatus.PENDING)
    clerk = signed_in(make_staff("shogai"))
    answer = clerk.post(
        reverse("bookings:staff_review_group", args=[pending.pk]), {"decision": "approve"}
    )
    assert answer.status_code in (302, 403)
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.PENDING


def test_review_rule_holds_outside_the_page(outsider):
    pending = make_group(outsider, ReviewStatus.PENDING)
    with pytest.raises(NotAllowed, match="理由"):
        groups.review(pending, by=None, approve=False)
    assert groups.review(pending, by=None, approve=True).status == ReviewStatus.APPROVED


# --- booking for a group -------------------------------------------------------------------


def test_a_groups_only_room_takes_approved_groups_only(room, outsider, resident_user):
    room.groups_only = True
    room.save()
    with pytest.raises(NotEligible, match="登録団体だけ"):
        book(room, outsider, SLOTS[0])
    with pytest.raises(NotEligible, match="審査中"):
        book(room, outsider, SLOTS[0], make_group(outsider, ReviewStatus.PENDING))
    rejected = make_group(outsider, ReviewStatus.REJECTED, reason="活動実態が確認できません")
    with pytest.raises(NotEligible, match="活動実態が確認できません"):
        book(room, outsider, SLOTS[0], rejected)
    approved = make_group(outsider)
    with pytest.raises(NotEligible, match="代表者として登録した団体"):
        book(room, resident_user, SLOTS[0], approved)
    assert not Booking.objects.exists()
    assert book(room, outsider, SLOTS[0], approved).group == approved


JANUARY = dt.date(2027, 1, 1)
CLOSES = at(dt.date(2026, 12, 14), 17)
DRAW_DAY = at(dt.date(2026, 12, 15), 10)
JANUARY_SLOTS = [at(dt.date(2027, 1, 12), hour) for hour in (9, 12)]


@pytest.fixture
def groups_only(room):
    room.groups_only = True
    room.save()
    return room


@pytest.mark.parametrize("kind", ["lottery", "waitlist"])
def test_a_groups_only_entry_or_place_needs_an_approved_group_of_mine(
    groups_only, outsider, resident_user, kind
):
    window = lottery.create_window(groups_only, JANUARY, NOW, CLOSES, 7)
    book(groups_only, resident_user, SLOTS[0], make_group(resident_user, name="満席の会"))

    def apply(group=None):
        if kind == "lottery":
            return lottery.enter(window, outsider, JANUARY_SLOTS[0], 4, group)
        return waitlist.join(groups_only, SLOTS[0], outsider, 4, group)

    with pytest.raises(NotEligible, match="登録団体だけ"):
        apply()
    with pytest.raises(NotEligible, match="審査中"):
        apply(make_group(outsider, ReviewStatus.PENDING))
    rejected = make_group(outsider, ReviewStatus.REJECTED, reason="活動実態が確認できません")
    with pytest.raises(NotEligible, match="活動実態が確認できません"):
        apply(rejected)
    with pytest.raises(NotEligible, match="代表者として登録した団体"):
        apply(UserGroup.objects.get(name="満席の会"))
    assert not window.entries.exists() and not groups_only.waitlist.exists()
    approved = make_group(outsider)
    assert apply(approved).group == approved


def test_a_group_lottery_win_is_the_groups_booking_and_counts_in_its_quota(
    groups_only, outsider, resident_user
):
    """Quota 1: of two wins the first is held (and counted) and the second is not won; once
    the win is confirmed (paid) the group cannot book that month directly any more."""
    groups_only.monthly_group_quota = 1
    groups_only.save()
    window = lottery.create_window(groups_only, JANUARY, NOW, CLOSES, 7)
    choir = make_group(outsider, percent=80)
    for start in JANUARY_SLOTS:
        lottery.enter(window, outsider, start, 4, choir)
    with time_machine.travel(DRAW_DAY, tick=False):
        lottery.draw(window)
    first, second = window.entries.order_by("start")
    assert (first.status, second.status) == ("won", "lost")
    held = first.booking
    assert (held.group, held.user, held.fee_category) == (choir, outsider, FeeCategory.RESIDENT)
    assert GroupQuotaUse.objects.get(group=choir).used == 1
    with time_machine.travel(DRAW_DAY, tick=False):
        services.mark_paid(held)
        with pytest.raises(QuotaExceeded, match="1団体1か月に 1 件まで"):
            book(groups_only, outsider, at(dt.date(2027, 1, 13), 9), choir)
    assert GroupQuotaUse.objects.get(group=choir).used == 1
    assert Booking.objects.filter(group=choir).count() == 1


def test_a_group_place_in_line_is_offered_as_the_groups_booking(
    groups_only, outsider, resident_user, django_capture_on_commit_callbacks
):
    taken = book(groups_only, resident_user, SLOTS[0], make_group(resident_user, name="満席の会"))
    choir = make_group(outsider, percent=80)
    waitlist.join(groups_only, SLOTS[0], outsider, 4, choir)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(taken, by=resident_user)
    offer = Booking.objects.get(user=outsider)
    assert (offer.group, offer.status, offer.fee_yen) == (choir, "provisional", 1000)


def test_the_day_page_offers_my_approved_groups_and_a_forged_one_is_refused(
    client, groups_only, outsider, resident_user
):
    window = lottery.create_window(groups_only, JANUARY, NOW, CLOSES, 7)
    choir = make_group(outsider)
    make_group(outsider, ReviewStatus.PENDING, name="審査待ちの会")
    client.force_login(outsider)
    day = client.get(reverse("bookings:day", args=[groups_only.pk, "2027-01-12"]))
    html = day.content.decode()
    assert f'<option value="{choir.pk}">赤穂コーラス</option>' in html
    assert "審査待ちの会" not in html and "個人として申し込む" not in html
    url = reverse("bookings:enter_lottery", args=[window.pk])
    for forged in ("abc", "999999", str(make_group(resident_user, name="他人の会").pk)):
        refused = client.post(url, {"start": JANUARY_SLOTS[0].isoformat(), "group": forged})
        assert refused.status_code == 422
        assert "代表者として登録した団体" in refused.content.decode()
    assert not window.entries.exists()
    entered = client.post(url, {"start": JANUARY_SLOTS[0].isoformat(), "group": choir.pk})
    assert entered.status_code == 302
    assert window.entries.get().group == choir
    assert "赤穂コーラス" in client.get(reverse("bookings:mine")).content.decode()


# --- staff booking for a group on the phone ------------------------------------------------


def test_staff_book_a_groups_only_room_for_a_callers_approved_group(staff, groups_only, outsider):
    choir = make_group(outsider, percent=80)
    pending = make_group(outsider, ReviewStatus.PENDING, name="審査待ちの会")
    day_url = reverse("bookings:staff_day", args=[groups_only.pk]) + "?date=2026-12-09&slot=1"
    day = staff.get(day_url)
    html = day.content.decode()
    assert "赤穂コーラス" in html and "審査待ちの会" not in html
    url = reverse("bookings:staff_book", args=[groups_only.pk])
    form = {"start": SLOTS[0].isoformat(), "holder_name": "宮田 花", "holder_phone": "0265-1",
            "channel": "phone", "party_size": 10, "exemption": ""}  # fmt: skip
    alone = staff.post(url, form, follow=True)
    assert "登録団体だけが予約できます" in alone.content.decode()
    not_offered = staff.post(url, {**form, "group": pending.pk}, follow=True)
    assert "団体を確認してください" in not_offered.content.decode()
    assert not Booking.objects.exists()
    made = staff.post(url, {**form, "group": choir.pk}, follow=True)
    assert "を受け付けました" in made.content.decode()
    booking = Booking.objects.get()
    assert (booking.group, booking.user, booking.channel) == (choir, outsider, "phone")
    assert (booking.fee_category, booking.fee_yen, booking.holder_name) == (
        FeeCategory.RESIDENT, 1000, "宮田 花",
    )  # fmt: skip
    assert AuditRecord.objects.filter(action=Action.CREATE, subject_id=str(booking.pk)).exists()


def test_staff_api_books_for_a_callers_group_and_refuses_a_pending_one(
    staff, groups_only, outsider
):
    body = {"resource": groups_only.code, "start": SLOTS[0].isoformat(), "channel": "phone",
            "holder_name": "宮田 花"}  # fmt: skip

    def post(**extra):
        return staff.post("/api/v1/bookings/", {**body, **extra}, content_type="application/json")

    alone = post()
    assert (alone.status_code, alone.json()["code"]) == (422, "not_eligible")
    pending = post(group=make_group(outsider, ReviewStatus.PENDING).pk)
    assert (pending.status_code, pending.json()["code"]) == (422, "not_eligible")
    assert "審査中" in pending.json()["detail"]
    assert not Booking.objects.exists()
    choir = make_group(outsider)
    made = post(group=choir.pk)
    assert made.status_code == 201, made.content
    assert made.json()["group"] == choir.pk
    assert Booking.objects.get().user == outsider


@pytest.mark.parametrize(
    ("percent", "category", "fee"),
    [(50, FeeCategory.RESIDENT, 1000), (49, FeeCategory.NONRESIDENT, 2000)],
)
def test_a_group_with_a_city_majority_pays_the_resident_rate(
    room, outsider, percent, category, fee
):
    booking = book(room, outsider, SLOTS[0], make_group(outsider, percent=percent))
    assert (booking.fee_category, booking.fee_yen) == (category, fee)


def test_the_booking_form_offers_my_groups_and_explains_a_refusal(client, room, outsider):
    pending = make_group(outsider, ReviewStatus.PENDING)
    client.force_login(outsider)
    url = reverse("bookings:review", args=[room.pk])
    answer = client.post(url, {"start": SLOTS[0].isoformat(), "party_size": 4, "group": pending.pk})
    html = answer.content.decode()
    assert answer.status_code == 422
    assert "審査中" in html and f'value="{pending.pk}" selected' in html
    assert not Booking.objects.exists()


def test_api_books_for_an_approved_group_and_refuses_others(client, room, outsider, resident_user):
    client.force_login(outsider)
    body = {"resource": room.code, "start": SLOTS[0].isoformat(), "party_size": 4}

    def post(**extra):
        return client.post(
            "/api/v1/me/bookings/", {**body, **extra}, content_type="application/json"
        )

    refused = post(group=make_group(outsider, ReviewStatus.PENDING).pk)
    assert (refused.status_code, refused.json()["code"]) == (422, "not_eligible")
    others = post(group=make_group(resident_user).pk)
    assert (others.status_code, others.json()["code"]) == (422, "not_eligible")
    assert post(group=999999).status_code == 400
    approved = make_group(outsider)
    made = post(group=approved.pk)
    assert made.status_code == 201
    assert (made.json()["group"], made.json()["fee_yen"]) == (approved.pk, 1000)
    page = client.get(reverse("bookings:booking", args=[made.json()["id"]]))
    assert "赤穂コーラス" in page.content.decode()


# --- the per-group monthly quota -----------------------------------------------------------


@pytest.fixture
def python_check_raced(monkeypatch):
    """As if every request had read the count before any of them wrote."""
    monkeypatch.setattr(services, "check_quota", lambda *args: None)


def test_the_group_quota_is_checked_and_separate_from_the_personal_one(room, outsider):
    room.monthly_group_quota = 1
    room.save()
    group = make_group(outsider)
    book(room, outsider, SLOTS[0], group)
    with pytest.raises(QuotaExceeded, match="1団体1か月に 1 件まで"):
        book(room, outsider, SLOTS[1], group)
    book(room, outsider, SLOTS[1])  # the representative's own quota (2) is untouched
    book(room, outsider, SLOTS[2])
    assert QuotaUse.objects.get(user=outsider).used == 2


def test_the_database_refuses_a_group_booking_beyond_the_quota(room, outsider, python_check_raced):
    room.monthly_group_quota = 2
    room.save()
    group = make_group(outsider)
    first = book(room, outsider, SLOTS[0], group)
    book(room, outsider, SLOTS[1], group)
    with pytest.raises(QuotaExceeded, match="1団体1か月に 2 件まで"):
        book(room, outsider, SLOTS[2], group)
    assert Booking.objects.filter(group=group).count() == 2
    services.cancel(first, by=outsider)
    assert GroupQuotaUse.objects.get(group=group).used == 1
    book(room, outsider, SLOTS[2], group)
    assert GroupQuotaUse.objects.get(group=group).used == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_group_bookings_cannot_exceed_the_quota(room, outsider, python_check_raced):
    """Four requests for four free slots of one group whose quota is two, all at once (free
    of charge, so only the quota decides)."""
    room.monthly_group_quota = 2
    room.fee_resident_yen = room.fee_nonresident_yen = 0
    room.save()
    group = make_group(outsider)
    answers: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(SLOTS))

    def client(start) -> None:
        try:
            barrier.wait()
            answers.append(retrying_on_sqlite(lambda: book(room, outsider, start, group)))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=client, args=(start,)) for start in SLOTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert sorted(answers) == ["booked", "booked", "quota_exceeded", "quota_exceeded"]
    assert Booking.objects.filter(group=group, status__in=["provisional", "confirmed"]).count() == 2
    assert GroupQuotaUse.objects.get(group=group).used == 2
