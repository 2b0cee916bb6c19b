"""Check-ups API: the public programme, eligibility with reasons, apply and book with
Idempotency-Key, and clear problem+json refusals (window, eligibility, twice, reused key)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
import time_machine
from django.test import Client

from musubi.citizen.bookings.checkup_models import Application
from musubi.citizen.bookings.models import Booking, Status

from .conftest import IN_APRIL, IN_JANUARY, TUESDAY_SESSION, account_for, person

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v1/me/checkups/applications/"


def _post(client, url, body, key=None, language="ja"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, body, content_type="application/json", **headers)


@contextmanager
def signed_in_on(client, user, when):
    """Travel to ``when`` and sign in there (a session from today has expired by then)."""
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        yield


@pytest.fixture
def man_of_57(register_resident):
    """A man of 57 on the reference date, with an account linked to the register."""
    return account_for(person(register_resident, dt.date(1970, 5, 5), "1"))


def test_programme_is_public_with_its_phase_and_check_ups(client, programme, site):
    with time_machine.travel(IN_JANUARY, tick=False):
        listed = client.get("/api/v1/bookings/checkups/").json()["results"]
    (only,) = listed
    assert only["fiscal_year"] == 2027 and only["phase"] == "applying"
    assert only["apply_from"] == "2027-01-01" and only["book_from"] == "2027-04-01"
    daicho = next(t for t in only["types"] if t["code"] == "daicho")
    assert daicho["min_age"] == 40 and daicho["fee_yen"] == 500 and daicho["sites"] == [site.pk]


def test_a_programme_not_yet_announced_is_not_listed(client, programme):
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0), tick=False):
        assert client.get("/api/v1/bookings/checkups/").json()["results"] == []


@pytest.mark.parametrize(
    ("language", "reason"),
    [("ja", "女性が対象です。"), ("en", None)],
)
def test_eligibility_lists_each_check_up_with_reasons_in_the_language(
    client, programme, man_of_57, language, reason
):
    with signed_in_on(client, man_of_57, IN_JANUARY):
        response = client.get("/api/v1/me/checkups/eligibility/", HTTP_ACCEPT_LANGUAGE=language)
    found = {v["code"]: v for v in response.json()}
    assert found["daicho"] == {
        "code": "daicho", "name": found["daicho"]["name"], "eligible": True, "reasons": [],
    }  # fmt: skip
    assert found["nyugan"]["eligible"] is False
    if reason:
        assert found["nyugan"]["reasons"] == [reason]
    else:
        assert not any("\u3040" <= c <= "\u9fff" for c in found["nyugan"]["reasons"][0])


def test_eligibility_needs_a_linked_account_and_a_session(client, programme, outsider):
    assert client.get("/api/v1/me/checkups/eligibility/").status_code in (401, 403)
    with signed_in_on(client, outsider, IN_JANUARY):
        response = client.get("/api/v1/me/checkups/eligibility/")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_eligible"
    assert "住民記録と連携" in response.json()["detail"]


def test_apply_once_per_key_then_twice_is_refused(client, programme, man_of_57):
    with signed_in_on(client, man_of_57, IN_JANUARY):
        first = _post(client, APPLICATIONS, {"checkups": ["daicho"]}, key="a-1")
        replay = _post(client, APPLICATIONS, {"checkups": ["daicho"]}, key="a-1")
        other_body = _post(client, APPLICATIONS, {"checkups": ["igan"]}, key="a-1")
        again = _post(client, APPLICATIONS, {"checkups": ["daicho"]}, key="a-2")
        mine = client.get(APPLICATIONS).json()["results"]
    assert first.status_code == 201 and first.json()[0]["checkup"] == "daicho"
    assert first.json()[0]["channel"] == "web" and first.json()[0]["booking"] is None
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.json()["detail"]
    assert again.status_code == 422 and again.json()["code"] == "not_allowed"
    assert "すでに申し込んだ" in again.json()["detail"]
    assert [a["checkup"] for a in mine] == ["daicho"]
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"checkups": ["daicho", "nyugan"]}, "not_eligible", "女性が対象です"),
        ({"checkups": ["tokutei"]}, "not_eligible", "国民健康保険"),
        ({"checkups": ["daicho", "kensa"]}, "not_allowed", "選んでください"),
    ],
)
def test_ineligible_or_unknown_check_ups_refuse_the_whole_application(
    client, programme, man_of_57, body, code, text
):
    with signed_in_on(client, man_of_57, IN_JANUARY):
        response = _post(client, APPLICATIONS, body)
    assert response.status_code == 422 and response.json()["code"] == code
    assert text in response.json()["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "checkups"), ({"checkups": []}, "checkups"), ({"checkups": "daicho!"}, "checkups"),
     ({"checkups": ["daicho"], "declared_insurance": "maybe"}, "declared_insurance")],
)  # fmt: skip
def test_malformed_applications_are_a_400_per_field(client, programme, man_of_57, body, field):
    with signed_in_on(client, man_of_57, IN_JANUARY):
        response = _post(client, APPLICATIONS, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not Application.objects.exists()


def test_applying_outside_the_window_says_the_dates_in_english(client, programme, man_of_57):
    with signed_in_on(client, man_of_57, IN_APRIL):
        response = _post(client, APPLICATIONS, {"checkups": ["daicho"]}, language="en")
    assert response.status_code == 422 and response.json()["code"] == "not_bookable"
    assert "2027-01-01" in response.json()["detail"] and "2027-01-31" in response.json()["detail"]
    assert not any("\u3040" <= c <= "\u9fff" for c in response.json()["detail"])


def _apply(client, user):
    with signed_in_on(client, user, IN_JANUARY):
        return _post(client, APPLICATIONS, {"checkups": ["daicho"]}).json()[0]["id"]


def test_book_a_session_for_my_application(client, programme, site, man_of_57):
    application = _apply(client, man_of_57)
    url = f"{APPLICATIONS}{application}/book/"
    body = {"site": site.pk, "start": TUESDAY_SESSION.isoformat()}
    with signed_in_on(client, man_of_57, IN_APRIL):
        booked = _post(client, url, body, key="b-1")
        replay = _post(client, url, body, key="b-1")
        twice = _post(client, url, {**body, "start": "2027-04-06T09:30:00+09:00"})
        listed = client.get(APPLICATIONS).json()["results"]
    assert booked.status_code == 201 and booked.json()["status"] == Status.CONFIRMED
    assert replay["Idempotent-Replayed"] == "true"
    assert twice.status_code == 422 and "すでに予約" in twice.json()["detail"]
    assert listed[0]["booking"]["start"] == "2027-04-06T09:00:00+09:00"
    assert Booking.objects.filter(resource=site).count() == 1


def test_booking_refusals(client, programme, site, man_of_57, register_resident):
    application = _apply(client, man_of_57)
    url = f"{APPLICATIONS}{application}/book/"
    body = {"site": site.pk, "start": TUESDAY_SESSION.isoformat()}
    with signed_in_on(client, man_of_57, IN_JANUARY):
        too_early = _post(client, url, body)
    with signed_in_on(client, man_of_57, IN_APRIL):
        wrong_site = _post(client, url, {**body, "site": 99999})
        bad_time = _post(client, url, {**body, "start": "next tuesday"})
        closed = _post(client, url, {**body, "start": "2027-04-06T15:00:00+09:00"})
    assert too_early.status_code == 422 and "2027-04-01" in too_early.json()["detail"]
    assert wrong_site.status_code == 400 and wrong_site.json()["errors"][0]["field"] == "site"
    assert bad_time.status_code == 400 and bad_time.json()["errors"][0]["field"] == "start"
    assert closed.status_code == 422 and closed.json()["code"] == "not_bookable"
    assert not Booking.objects.exists()


def test_the_last_session_taken_is_409_and_others_applications_are_not_found(
    client, programme, site, man_of_57, register_resident
):
    application = _apply(client, man_of_57)
    neighbour = person(register_resident, dt.date(1971, 6, 6), "1", n=2)
    other = Client()
    theirs = _apply(other, account_for(neighbour, email="jiro@example.jp"))
    body = {"site": site.pk, "start": TUESDAY_SESSION.isoformat()}
    with signed_in_on(client, man_of_57, IN_APRIL):
        assert _post(client, f"{APPLICATIONS}{application}/book/", body).status_code == 201
        other.force_login(Application.objects.get(pk=theirs).user)
        taken = _post(other, f"{APPLICATIONS}{theirs}/book/", body)
        not_mine = _post(other, f"{APPLICATIONS}{application}/book/", body)
    assert taken.status_code == 409 and taken.json()["code"] == "already_taken"
    assert not_mine.status_code == 404
