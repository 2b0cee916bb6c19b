"""Registered groups API: register with Idempotency-Key, bad input per field with nothing
written, my groups only, with their review, the 市内 rate and the monthly quota in use."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import ReviewStatus, UserGroup

from .conftest import TUESDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]
GROUPS = "/api/v1/me/groups/"
DETAILS = {
    "name": "赤穂コーラス",
    "phone": "0265-83-0000",
    "member_count": 20,
    "resident_percent": 60,
}


def register(client, body=None, key=None, language="ja"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(GROUPS, body or DETAILS, content_type="application/json", **headers)


def test_register_once_per_key_and_it_waits_for_review(client, outsider):
    client.force_login(outsider)
    made = register(client, key="g-1")
    replay = register(client, key="g-1")
    reused = register(client, {**DETAILS, "member_count": 21}, key="g-1")
    assert made.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert made.json()["status"] == ReviewStatus.PENDING
    assert made.json()["resident_rate"] is False and made.json()["quota_use"] == []
    assert reused.status_code == 422
    group = UserGroup.objects.get()
    assert group.representative == outsider and group.member_count == 20


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("resident_percent", 150, "100"),
        ("resident_percent", -1, "0"),
        ("member_count", 0, "1"),
        ("name", "", ""),
        ("phone", "0" * 21, "20"),
    ],
)
def test_bad_registrations_are_a_400_per_field_and_nothing_is_written(
    client, outsider, field, value, says
):
    client.force_login(outsider)
    answer = register(client, {**DETAILS, field: value})
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["field"] == field and says in error["message"]
    assert not UserGroup.objects.exists()


def test_bad_registration_speaks_english(client, outsider):
    client.force_login(outsider)
    answer = register(client, {**DETAILS, "resident_percent": 150}, language="en")
    assert answer.status_code == 400
    assert not any("\u3040" <= c <= "\u9fff" for c in answer.json()["errors"][0]["message"])


def test_my_groups_show_the_review_the_rate_and_the_quota_in_use(
    client, room, outsider, resident_user
):
    room.monthly_group_quota = 3
    room.save()
    approved = UserGroup.objects.create(
        name="赤穂コーラス", representative=outsider, phone="0265-83-0000", member_count=20,
        resident_percent=80, status=ReviewStatus.APPROVED,
    )  # fmt: skip
    UserGroup.objects.create(
        name="中沢太鼓", representative=outsider, phone="0265-83-0001", member_count=5,
        resident_percent=10, status=ReviewStatus.REJECTED, review_reason="会員名簿がありません",
    )  # fmt: skip
    UserGroup.objects.create(
        name="他人の会", representative=resident_user, phone="0265-83-0002", member_count=5,
        resident_percent=10,
    )  # fmt: skip
    services.book(
        services.Request(
            resource=room, start=at(TUESDAY + dt.timedelta(days=1), 9), group=approved
        ),
        user=outsider,
    )
    client.force_login(outsider)
    listed = {g["name"]: g for g in client.get(GROUPS).json()["results"]}
    assert set(listed) == {"赤穂コーラス", "中沢太鼓"}
    assert listed["中沢太鼓"]["status"] == "rejected"
    assert listed["中沢太鼓"]["review_reason"] == "会員名簿がありません"
    assert listed["赤穂コーラス"]["resident_rate"] is True
    assert listed["赤穂コーラス"]["quota_use"] == [
        {"resource": "kominkan-kaigi", "month": "2026-12-01", "used": 1, "limit": 3}
    ]


def test_groups_need_a_person_signed_in(client):
    assert client.get(GROUPS).status_code in (401, 403)
    assert register(client).status_code in (401, 403)
    assert not UserGroup.objects.exists()
