"""Review API: my 利用者登録 (Idempotency-Key, approved at once when linked, bad input per
field with nothing written), the staff's review of groups and registrations (status filter,
pending first, audited reads and decisions, a rejection needs a reason, never twice, forged
ids 404, residents 403) and withdrawing a lottery entry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from musubi.citizen.bookings import lottery
from musubi.citizen.bookings.models import ReviewStatus, UserGroup, UserRegistration
from musubi.platform.audit.models import Action, AuditRecord
from musubi.platform.notify.models import Message

from .conftest import NOW, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
MINE = "/api/v1/me/registration/"
DETAILS = {"name": "外山 太郎", "address": "長野県伊那市荒井1-1", "phone": "0265-00-0000"}


@pytest.fixture
def staff(make_staff, signed_in, department):
    return signed_in(make_staff("shogai", "bookings.manage"))


def apply(client, body=None, key=None, language="ja"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(MINE, body or DETAILS, content_type="application/json", **headers)


def decide(client, kind, pk, decision="approve", reason=""):
    url = f"/api/v1/bookings/{kind}/{pk}/decide/"
    body = {"decision": decision, "reason": reason}
    return client.post(url, body, content_type="application/json")


def pending_registration(user):
    return UserRegistration.objects.create(user=user, **DETAILS)


def pending_group(user, name="赤穂コーラス"):
    return UserGroup.objects.create(
        name=name, representative=user, phone="0265-83-0000", member_count=20, resident_percent=60
    )


# --- my registration -----------------------------------------------------------------------


def test_apply_once_per_key_and_wait_for_review(client, outsider):
    client.force_login(outsider)
    assert client.get(MINE).status_code == 404
    made = apply(client, key="r-1")
    replay = apply(client, key="r-1")
    reused = apply(client, {**DETAILS, "phone": "0265-99-9999"}, key="r-1")
    assert made.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert made.json()["status"] == "pending" and not made.json()["verified_by_registry"]
    assert reused.status_code == 422
    assert client.get(MINE).json()["phone"] == "0265-00-0000"
    assert UserRegistration.objects.count() == 1


def test_a_linked_resident_is_approved_at_once(client, resident_user):
    client.force_login(resident_user)
    answer = apply(client)
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["verified_by_registry"]) == ("approved", True)
    again = apply(client, language="en")
    assert again.status_code == 422 and "already approved" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"phone": ""}, "phone"), ({"name": "x" * 121}, "name"), ({"address": None}, "address")],
)
def test_bad_input_is_400_per_field_and_nothing_written(client, outsider, change, field):
    client.force_login(outsider)
    answer = apply(client, {**DETAILS, **change})
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert not UserRegistration.objects.exists()


def test_me_needs_a_person_signed_in(client):
    assert apply(client).status_code in (401, 403)
    assert client.get(MINE).status_code in (401, 403)


# --- staff review --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["groups", "registrations"])
def test_staff_list_pending_first_filter_by_status_and_the_read_is_audited(
    staff, outsider, resident_user, kind
):
    if kind == "groups":
        done = pending_group(resident_user, "東伊那太鼓")
        waiting = pending_group(outsider)
    else:
        done = pending_registration(resident_user)
        waiting = pending_registration(outsider)
    type(done).objects.filter(pk=done.pk).update(status=ReviewStatus.APPROVED)
    listed = staff.get(f"/api/v1/bookings/{kind}/").json()["results"]
    assert [row["id"] for row in listed] == [waiting.pk, done.pk]
    only = staff.get(f"/api/v1/bookings/{kind}/?status=approved").json()["results"]
    assert [row["id"] for row in only] == [done.pk]
    bad = staff.get(f"/api/v1/bookings/{kind}/?status=maybe")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
    assert AuditRecord.objects.filter(action=Action.READ, subject_type=f"booking-{kind}").exists()


@pytest.mark.parametrize("kind", ["groups", "registrations"])
def test_decide_needs_a_reason_to_reject_is_audited_told_and_never_twice(
    staff, outsider, kind, django_capture_on_commit_callbacks
):
    item = pending_group(outsider) if kind == "groups" else pending_registration(outsider)
    no_reason = decide(staff, kind, item.pk, "reject", " ")
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "not_allowed"
    with django_capture_on_commit_callbacks(execute=True):
        rejected = decide(staff, kind, item.pk, "reject", "記入漏れがあります")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["review_reason"] == "記入漏れがあります"
    assert AuditRecord.objects.filter(action=Action.UPDATE, subject_id=str(item.pk)).exists()
    assert Message.objects.filter(source="bookings", deliveries__user=outsider).count() == 1
    twice = decide(staff, kind, item.pk, "approve")
    assert twice.status_code == 422 and "すでに審査" in twice.json()["detail"]
    item.refresh_from_db()
    assert item.status == ReviewStatus.REJECTED


@pytest.mark.parametrize("kind", ["groups", "registrations"])
def test_forged_ids_bad_decisions_and_residents_are_refused(staff, client, outsider, kind):
    assert decide(staff, kind, 999).status_code == 404
    item = pending_group(outsider) if kind == "groups" else pending_registration(outsider)
    assert decide(staff, kind, item.pk, "maybe").status_code == 400
    client.force_login(outsider)
    assert decide(client, kind, item.pk).status_code == 403
    assert client.get(f"/api/v1/bookings/{kind}/").status_code == 403
    item.refresh_from_db()
    assert item.status == ReviewStatus.PENDING


# --- withdrawing a lottery entry -----------------------------------------------------------


def test_withdraw_my_entry_while_entries_are_open_only(client, room, outsider, resident_user):
    closes = NOW + dt.timedelta(days=2)
    window = lottery.create_window(room, dt.date(2027, 1, 1), NOW - dt.timedelta(days=1), closes)
    mine = lottery.enter(window, outsider, at(dt.date(2027, 1, 5), 9))
    theirs = lottery.enter(window, resident_user, at(dt.date(2027, 1, 5), 9))
    client.force_login(outsider)
    url = "/api/v1/me/lottery-entries/{}/withdraw/"
    assert client.post(url.format(theirs.pk)).status_code == 404
    later = lottery.enter(window, outsider, at(dt.date(2027, 1, 5), 12))
    assert client.post(url.format(mine.pk)).status_code == 204
    assert not window.entries.filter(pk=mine.pk).exists()
    with time_machine.travel(closes, tick=False):
        closed = client.post(url.format(later.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert closed.status_code == 422 and closed.json()["code"] == "not_allowed"
    assert window.entries.filter(pk__in=[later.pk, theirs.pk]).count() == 2
