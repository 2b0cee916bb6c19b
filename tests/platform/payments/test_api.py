"""The payments API: staff list and detail (audited), refunds with Idempotency-Key."""

from __future__ import annotations

import pytest

from musubi.platform.audit.models import AuditRecord
from musubi.platform.payments.models import Refund


@pytest.fixture
def accountant(make_staff, signed_in):
    return signed_in(make_staff("somu", "payments.view", "payments.refund", role="supervisor"))


def test_list_and_detail_need_the_permission(client, make_staff, signed_in, paid):
    assert client.get("/api/v1/payments/").status_code in (401, 403)
    other = signed_in(make_staff("shimin", "residents.view"))
    assert other.get("/api/v1/payments/").status_code == 403


def test_list_filters_and_audits(accountant, paid, make_payment):
    make_payment(subject_id="99")
    listed = accountant.get("/api/v1/payments/", {"state": "paid"}).json()
    assert [p["reference"] for p in listed["results"]] == [paid.reference]
    by_subject = accountant.get("/api/v1/payments/", {"subject_id": "99"}).json()
    assert by_subject["count"] == 1
    bad = accountant.get("/api/v1/payments/", {"state": "stolen"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    detail = accountant.get(f"/api/v1/payments/{paid.reference}/").json()
    assert detail["amount"] == 1200 and detail["state"] == "paid"
    assert AuditRecord.objects.filter(subject_type="payment").count() == 3


def test_refund_with_idempotency_key_refunds_once(accountant, paid):
    url = f"/api/v1/payments/{paid.reference}/refunds/"
    body = {"amount": 300, "reason": "雨天中止"}
    first = accountant.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="refund-1"
    )
    assert first.status_code == 201, first.content
    assert first.json()["refunded_amount"] == 300 and first.json()["state"] == "partially_refunded"
    again = accountant.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="refund-1"
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1 and Refund.objects.get().key == "refund-1"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (
            {"amount": 0, "reason": "x"},
            400,
            "Give the refund as a whole number of yen, at least 1.",
        ),
        (
            {"amount": 1201, "reason": "x"},
            400,
            "The refund is above what is left to refund (1,200 yen).",
        ),
        ({"amount": 100}, 400, None),
    ],
)
def test_bad_refunds_are_problems_in_english(accountant, paid, body, status, detail):
    response = accountant.post(
        f"/api/v1/payments/{paid.reference}/refunds/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == status
    problem = response.json()
    if detail and "errors" in problem:
        assert problem["errors"][0]["message"] == detail
    elif detail:
        assert problem["detail"] == detail
    assert not Refund.objects.exists()


def test_refund_of_an_unknown_or_unpaid_payment(accountant, pending):
    assert (
        accountant.post(
            "/api/v1/payments/PAY-NOPE/refunds/",
            {"amount": 1, "reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    unpaid = accountant.post(
        f"/api/v1/payments/{pending.reference}/refunds/",
        {"amount": 1, "reason": "x"},
        content_type="application/json",
    )
    assert unpaid.status_code == 422
