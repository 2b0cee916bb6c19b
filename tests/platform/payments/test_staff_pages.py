"""The back office: list with filters and audit, CSV export, refund with confirmation."""

from __future__ import annotations

import csv
import io

import pytest

from musubi.platform.audit.models import AuditRecord
from musubi.platform.payments.models import Refund, State


@pytest.fixture
def accountant(make_staff, signed_in):
    return signed_in(make_staff("somu", "payments.view", "payments.refund", role="supervisor"))


@pytest.fixture
def viewer(make_staff, signed_in):
    return signed_in(make_staff("somu", "payments.view"))


def test_list_filters_and_is_audited(viewer, paid, make_payment):
    unpaid = make_payment(purpose="公民館 和室", subject_id="43")
    page = viewer.get("/payments/staff/", {"state": "paid"}).content.decode()
    assert paid.reference in page and unpaid.reference not in page
    page = viewer.get("/payments/staff/", {"q": "和室"}).content.decode()
    assert unpaid.reference in page and paid.reference not in page
    assert AuditRecord.objects.filter(subject_type="payment", action="search").count() == 2


def test_bad_filters_are_reported_on_their_field(viewer, paid):
    response = viewer.get("/payments/staff/", {"state": "stolen", "since": "2026-13-01"})
    html = response.content.decode()
    assert response.status_code == 200 and paid.reference not in html
    assert "field--error" in html
    assert not AuditRecord.objects.exists()


def test_csv_export_guards_against_formulas(viewer, make_payment):
    make_payment(purpose='=HYPERLINK("http://evil")')
    response = viewer.get("/payments/staff/export.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["purpose"].startswith("'=") and rows[0]["amount"] == "1200"
    assert rows[0]["payer"] == "hanako@example.jp"
    assert AuditRecord.objects.filter(action="export", subject_type="payment").exists()


def test_refund_needs_confirmation_then_refunds_once(accountant, paid):
    detail = accountant.get(f"/payments/staff/{paid.reference}/").content.decode()
    assert "返金" in detail
    form = {"amount": "500", "reason": "利用日変更", "key": "form-key-1"}
    confirm = accountant.post(f"/payments/staff/{paid.reference}/refund/", form)
    assert confirm.status_code == 200 and "返金の確認" in confirm.content.decode()
    assert not Refund.objects.exists()
    done = accountant.post(f"/payments/staff/{paid.reference}/refund/", {**form, "confirm": "1"})
    assert done.status_code == 302
    accountant.post(f"/payments/staff/{paid.reference}/refund/", {**form, "confirm": "1"})
    paid.refresh_from_db()
    assert paid.refunded_amount == 500 and paid.state == State.PARTIALLY_REFUNDED
    assert Refund.objects.get().actor is not None
    assert AuditRecord.objects.filter(action="update", subject_id=str(paid.pk)).count() == 2


def test_refund_over_the_paid_amount_is_refused_clearly(accountant, paid):
    form = {"amount": "5000", "reason": "誤入力", "key": "k", "confirm": "1"}
    accountant.cookies["django_language"] = "en"
    response = accountant.post(f"/payments/staff/{paid.reference}/refund/", form)
    assert response.status_code == 400
    assert "above what is left to refund (1,200 yen)" in response.content.decode()
    paid.refresh_from_db()
    assert paid.refunded_amount == 0


def test_negative_refund_is_a_field_error(accountant, paid):
    form = {"amount": "-5", "reason": "x", "key": "k", "confirm": "1"}
    response = accountant.post(f"/payments/staff/{paid.reference}/refund/", form)
    assert response.status_code == 400 and "field--error" in response.content.decode()
    assert not Refund.objects.exists()


def test_viewing_is_not_refunding(viewer, paid):
    detail = viewer.get(f"/payments/staff/{paid.reference}/").content.decode()
    assert "確認へ進む" not in detail
    form = {"amount": "500", "reason": "x", "key": "k", "confirm": "1"}
    assert viewer.post(f"/payments/staff/{paid.reference}/refund/", form).status_code == 403
    assert not Refund.objects.exists()


def test_unknown_reference_is_404(viewer):
    assert viewer.get("/payments/staff/PAY-NOPE/").status_code == 404


def test_staff_pages_show_no_japanese_in_english(accountant, paid):
    from .test_resident_pages import JAPANESE

    accountant.cookies["django_language"] = "en"
    for path in ("/payments/staff/", f"/payments/staff/{paid.reference}/"):
        html = accountant.get(path).content.decode()
        html = html.replace("日本語", "").replace(paid.purpose, "").replace("駒ヶ根 花子", "")
        html = html.replace("somu課", "")
        assert JAPANESE.findall(html) == [], path
