"""利用者登録 (facility user registration): a linked resident is approved at once, anyone else
waits for staff review; a ``registration_required`` room (its lottery and waiting list too)
takes bookings only from an approved registration, and every refusal says why with a link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from musubi.citizen.bookings import lottery, registrations, services, waitlist
from musubi.citizen.bookings.errors import NotAllowed, NotEligible, RegistrationNeeded
from musubi.citizen.bookings.models import Booking, ReviewStatus, UserGroup, UserRegistration
from musubi.platform.audit.models import Action, AuditRecord
from musubi.platform.notify.models import Message
from musubi.platform.residents import services as residents

from .conftest import NOW, TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
WEDNESDAY = TUESDAY + dt.timedelta(days=1)
DETAILS = {"name": "外山 太郎", "address": "長野県伊那市荒井1-1", "phone": "0265-00-0000"}


@pytest.fixture
def hall(room):
    room.registration_required = True
    room.save(update_fields=["registration_required"])
    return room


@pytest.fixture
def staff(make_staff, signed_in, department):
    return signed_in(make_staff("shogai", "bookings.manage"))


def book(resource, user, start, group=None):
    return services.book(services.Request(resource=resource, start=start, group=group), user=user)


def registered(user, status=ReviewStatus.PENDING, reason=""):
    return UserRegistration.objects.create(
        user=user, **DETAILS, status=status, review_reason=reason
    )


# --- applying ------------------------------------------------------------------------------


def test_a_linked_resident_is_prefilled_and_approved_at_once(client, resident_user):
    residents.confirm_contact(residents.resident_for(resident_user).pk, "phone", "0265-11-2222")
    client.force_login(resident_user)
    url = reverse("bookings:registration")
    page = client.get(url).content.decode()
    assert "すぐに承認されます" in page
    assert 'value="駒ヶ根 花子"' in page and "駒ヶ根市中沢1234-5" in page
    assert 'value="0265-11-2222"' in page
    answer = client.post(url, {**DETAILS, "name": "駒ヶ根 花子"})
    assert answer.status_code == 302
    made = UserRegistration.objects.get(user=resident_user)
    assert (made.status, made.verified_by_registry) == (ReviewStatus.APPROVED, True)
    assert made.reviewed_by is None and made.reviewed_at is not None
    assert "住民記録で本人確認済み" in client.get(url).content.decode()


def test_an_account_not_linked_waits_for_review_and_cannot_book_meanwhile(client, outsider, hall):
    client.force_login(outsider)
    url = reverse("bookings:registration")
    assert "市の職員が審査します" in client.get(url).content.decode()
    assert client.post(url, DETAILS).status_code == 302
    made = UserRegistration.objects.get(user=outsider)
    assert (made.status, made.verified_by_registry) == (ReviewStatus.PENDING, False)
    assert "審査中" in client.get(url).content.decode()
    with pytest.raises(RegistrationNeeded, match="審査中"):
        book(hall, outsider, at(WEDNESDAY, 9))
    assert not Booking.objects.exists()


@pytest.mark.parametrize("missing", ["name", "address", "phone"])
def test_a_missing_field_is_explained_and_what_was_typed_kept(client, outsider, missing):
    client.force_login(outsider)
    answer = client.post(reverse("bookings:registration"), {**DETAILS, missing: ""})
    page = answer.content.decode()
    assert answer.status_code == 422 and "必須" in page
    kept = next(value for field, value in DETAILS.items() if field != missing)
    assert f'value="{kept}"' in page
    assert not UserRegistration.objects.exists()


def test_required_fields_are_the_data_files_rule(outsider):
    assert registrations.required_fields() == {"name", "address", "phone"}
    with pytest.raises(NotAllowed, match="入力してください"):
        registrations.apply(outsider, **{**DETAILS, "phone": "  "})
    assert not UserRegistration.objects.exists()


def test_a_rejected_registration_is_corrected_and_waits_again(outsider):
    registered(outsider, ReviewStatus.REJECTED, "住所が確認できません")
    again = registrations.apply(outsider, **{**DETAILS, "address": "長野県伊那市荒井2-2"})
    assert (again.status, again.review_reason, again.address) == (
        ReviewStatus.PENDING, "", "長野県伊那市荒井2-2",
    )  # fmt: skip
    assert UserRegistration.objects.count() == 1


def test_an_approved_registration_is_not_changed_online(client, outsider):
    registered(outsider, ReviewStatus.APPROVED)
    with pytest.raises(NotAllowed, match="すでに承認"):
        registrations.apply(outsider, **DETAILS)
    client.force_login(outsider)
    page = client.get(reverse("bookings:registration")).content.decode()
    assert "担当課にご連絡ください" in page and '<form method="post" novalidate>' not in page


# --- booking a room that needs a registration ----------------------------------------------


def test_without_a_registration_the_booking_page_says_why_with_a_link(client, outsider, hall):
    client.force_login(outsider)
    url = reverse("bookings:review", args=[hall.pk])
    answer = client.post(url, {"start": at(WEDNESDAY, 9).isoformat(), "party_size": 2})
    page = answer.content.decode()
    assert answer.status_code == 422 and "利用者登録が必要です" in page
    assert f'href="{reverse("bookings:registration")}"' in page
    assert not Booking.objects.exists()


def test_the_refusal_is_in_english_too(client, outsider, hall):
    client.force_login(outsider)
    answer = client.post(
        "/api/v1/me/bookings/",
        {"resource": hall.code, "start": at(WEDNESDAY, 9).isoformat()},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "not_eligible"
    assert "facility user registration" in body["detail"].lower()
    assert body["errors"][0]["link"].endswith(reverse("bookings:registration"))


def test_a_rejected_registration_cannot_book_enter_or_wait(outsider, resident_user, hall):
    registered(outsider, ReviewStatus.REJECTED, "連絡がつきません")
    with pytest.raises(RegistrationNeeded, match="連絡がつきません"):
        book(hall, outsider, at(WEDNESDAY, 9))
    registered(resident_user, ReviewStatus.APPROVED)
    book(hall, resident_user, at(WEDNESDAY, 12))
    with pytest.raises(RegistrationNeeded):
        waitlist.join(hall, at(WEDNESDAY, 12), outsider)
    window = lottery.create_window(
        hall, dt.date(2027, 2, 1), NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=3)
    )
    with pytest.raises(RegistrationNeeded):
        lottery.enter(window, outsider, at(dt.date(2027, 2, 2), 9))
    assert Booking.objects.count() == 1 and not window.entries.exists()


def test_an_approved_registration_books_and_other_rooms_need_none(outsider, hall, counter):
    registered(outsider, ReviewStatus.APPROVED)
    assert book(hall, outsider, at(WEDNESDAY, 9)).user == outsider
    UserRegistration.objects.all().delete()
    assert book(counter, outsider, at(WEDNESDAY, 11)).user == outsider


def test_an_approved_group_and_a_caller_without_an_account_need_no_registration(
    outsider, hall, make_staff
):
    group = UserGroup.objects.create(
        name="赤穂コーラス", representative=outsider, phone="0265-83-0000", member_count=20,
        resident_percent=80, status=ReviewStatus.APPROVED,
    )  # fmt: skip
    assert book(hall, outsider, at(WEDNESDAY, 9), group=group).group == group
    clerk = make_staff("shogai", "bookings.manage")
    ask = services.Request(resource=hall, start=at(WEDNESDAY, 12), holder_name="電話の方")
    assert services.book_for_caller(ask, staff=clerk).user is None


# --- staff review --------------------------------------------------------------------------


def test_staff_see_pending_first_and_the_read_is_audited(staff, outsider, resident_user):
    registered(resident_user, ReviewStatus.APPROVED)
    registered(outsider)
    page = staff.get(reverse("bookings:staff_registrations")).content.decode()
    assert page.index("外山 太郎") < page.index("審査済み")
    assert AuditRecord.objects.filter(
        action=Action.READ, subject_type="booking-registrations"
    ).exists()


def test_a_rejection_needs_a_reason_and_the_page_keeps_the_choice(staff, outsider):
    pending = registered(outsider)
    url = reverse("bookings:staff_review_registration", args=[pending.pk])
    refused = staff.post(url, {"decision": "reject", "reason": " "})
    assert refused.status_code == 422 and "不承認の理由を入力" in refused.content.decode()
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.PENDING


def test_a_decision_is_audited_told_to_the_applicant_and_not_made_twice(
    staff, outsider, django_capture_on_commit_callbacks
):
    pending = registered(outsider)
    url = reverse("bookings:staff_review_registration", args=[pending.pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(url, {"decision": "reject", "reason": "住所が確認できません"})
    assert answer.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.review_reason) == (
        ReviewStatus.REJECTED,
        "住所が確認できません",
    )
    assert AuditRecord.objects.filter(action=Action.UPDATE, subject_id=str(pending.pk)).exists()
    (told,) = Message.objects.filter(source="bookings", deliveries__user=outsider)
    assert "住所が確認できません" in told.rendered["ja"]["body"]
    again = staff.post(url, {"decision": "approve", "reason": ""})
    assert again.status_code == 422 and "すでに審査" in again.content.decode()
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.REJECTED


def test_the_applicant_is_told_in_their_language(
    outsider, make_staff, django_capture_on_commit_callbacks
):
    outsider.preferred_language = "en"
    outsider.save()
    pending = registered(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        registrations.decide(pending, by=make_staff("shogai", "bookings.manage"), approve=True)
    (told,) = Message.objects.filter(source="bookings", deliveries__user=outsider)
    assert "approved" in told.rendered["en"]["body"]


def test_a_forged_id_is_not_found_and_a_resident_cannot_review(staff, client, outsider):
    assert (
        staff.post(
            reverse("bookings:staff_review_registration", args=[999]), {"decision": "approve"}
        ).status_code
        == 404
    )
    pending = registered(outsider)
    client.force_login(outsider)
    url = reverse("bookings:staff_review_registration", args=[pending.pk])
    assert client.post(url, {"decision": "approve"}).status_code in (302, 403)
    pending.refresh_from_db()
    assert pending.status == ReviewStatus.PENDING


def test_a_group_decision_is_told_to_its_representative(
    outsider, make_staff, django_capture_on_commit_callbacks
):
    from musubi.citizen.bookings import groups

    group = UserGroup.objects.create(
        name="赤穂コーラス", representative=outsider, phone="0265-83-0000", member_count=20,
        resident_percent=80,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        groups.review(group, by=make_staff("shogai", "bookings.manage"), approve=True)
    (told,) = Message.objects.filter(source="bookings", deliveries__user=outsider)
    assert (
        "赤穂コーラス" in told.rendered["ja"]["body"]
        and "承認されました" in told.rendered["ja"]["body"]
    )


def test_errors_carry_the_registration_link_only_when_it_helps():
    assert RegistrationNeeded("x").link == reverse("bookings:registration")
    assert NotEligible("x").link == ""
