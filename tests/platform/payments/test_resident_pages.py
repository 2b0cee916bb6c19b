"""The payer's pages: my payments, paying on the demo page, the receipt PDF; others' are 404."""

from __future__ import annotations

import re

import pytest

from musubi.platform.accounts.models import User
from musubi.platform.payments.models import PaymentEvent, State

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


@pytest.fixture
def payer_client(client, payer):
    client.force_login(payer)
    return client


def test_pay_on_the_demo_page_and_download_the_receipt(payer_client, make_payment):
    payment = make_payment()
    mine = payer_client.get("/payments/")
    assert payment.reference in mine.content.decode() and "未払い" in mine.content.decode()
    started = payer_client.post(f"/payments/{payment.reference}/pay/")
    assert started.status_code == 302 and started.url == f"/payments/demo/{payment.reference}/"
    page = payer_client.get(started.url).content.decode()
    assert "デモ" in page and "1,200円" in page
    paid = payer_client.post(started.url, {"outcome": "success"}, follow=True)
    assert "支払が完了しました" in paid.content.decode()
    payment.refresh_from_db()
    assert payment.state == State.PAID
    assert PaymentEvent.objects.get(to_state=State.PAID).verified
    receipt = payer_client.get(f"/payments/{payment.reference}/receipt.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF") and b"HeiseiKakuGo-W5" in receipt.content


def test_a_failed_demo_payment_can_be_tried_again(payer_client, make_payment):
    payment = make_payment()
    url = payer_client.post(f"/payments/{payment.reference}/pay/").url
    failed = payer_client.post(url, {"outcome": "failure"}, follow=True)
    assert "支払ができませんでした" in failed.content.decode()
    payment.refresh_from_db()
    assert payment.state == State.FAILED
    assert payer_client.get(f"/payments/{payment.reference}/receipt.pdf").status_code == 404
    again = payer_client.post(f"/payments/{payment.reference}/pay/")
    assert again.url == url
    payer_client.post(url, {"outcome": "success"})
    payment.refresh_from_db()
    assert payment.state == State.PAID


def test_the_demo_page_asks_for_a_choice(payer_client, pending):
    response = payer_client.post(f"/payments/demo/{pending.reference}/", {"outcome": "maybe"})
    assert response.status_code == 200 and "支払結果を選んでください。" in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == State.PENDING


def test_a_paid_payment_is_not_paid_twice(payer_client, paid):
    response = payer_client.post(f"/payments/demo/{paid.reference}/", {"outcome": "success"})
    assert response.status_code == 302
    assert paid.events.filter(to_state=State.PAID).count() == 1
    paying = payer_client.post(f"/payments/{paid.reference}/pay/", follow=True)
    assert "すでに完了" in paying.content.decode()


def test_someone_elses_payment_is_not_found(client, pending):
    other = User.objects.create_user(
        username="o@example.jp", email="o@example.jp", password="x" * 12
    )
    client.force_login(other)
    for path in ("", "pay/", "receipt.pdf"):
        response = client.get(f"/payments/{pending.reference}/{path}")
        assert response.status_code in (404, 405)
    assert client.post(f"/payments/{pending.reference}/pay/").status_code == 404
    assert (
        client.post(f"/payments/demo/{pending.reference}/", {"outcome": "success"}).status_code
        == 404
    )
    pending.refresh_from_db()
    assert pending.state == State.PENDING


def test_signed_out_visitors_are_sent_to_login(client, pending):
    response = client.get("/payments/")
    assert response.status_code == 302 and "/login/" in response.url


def test_the_pages_show_no_japanese_in_english(payer_client, paid, make_payment):
    started = make_payment()
    payer_client.post(f"/payments/{started.reference}/pay/")
    payer_client.cookies["django_language"] = "en"
    for path in (
        "/payments/",
        f"/payments/{paid.reference}/",
        f"/payments/demo/{started.reference}/",
    ):
        html = payer_client.get(path).content.decode()
        html = html.replace("日本語", "").replace(paid.purpose, "").replace("駒ヶ根 花子", "")
        assert JAPANESE.findall(html) == [], path
