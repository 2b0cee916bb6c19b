"""A resident pays a fee on the demo payment page in Chromium and downloads the receipt; staff
refund part of it after the confirmation step. axe checks every page, in ja and en."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from musubi.platform.accounts.models import User
from musubi.platform.payments import services
from musubi.platform.payments.models import Payment, State

pytestmark = pytest.mark.browser


def _fee_for(email: str) -> Payment:
    payer = User.objects.get(email=email)
    return services.create_payment(
        payer=payer, amount=1500, purpose="体育館 2026-05-01 午前",
        subject_app="bookings", subject_id="7",
    )  # fmt: skip


@pytest.mark.parametrize("language", ["ja", "en"])
def test_resident_pays_on_the_demo_page_and_gets_the_receipt(resident_context, axe, language):
    page = resident_context(language).new_page()
    payment = _fee_for("r@example.jp")
    page.goto("/payments/")
    axe(page)
    page.get_by_role("link", name=payment.reference).click()
    axe(page)
    page.get_by_role("button", name="支払に進む" if language == "ja" else "Go to payment").click()
    page.wait_for_url(f"**/payments/demo/{payment.reference}/")
    demo_notice = page.get_by_text("デモ" if language == "ja" else "demo", exact=False)
    expect(demo_notice.first).to_be_visible()
    axe(page)
    page.get_by_role("button", name="支払う（デモ）" if language == "ja" else "Pay (demo)").click()
    expect(page.locator(".field__error")).to_be_visible()  # no outcome chosen: said, nothing paid
    axe(page)
    succeed = "成功するカード（デモ）" if language == "ja" else "A card that succeeds (demo)"
    page.get_by_label(succeed).check()
    page.get_by_role("button", name="支払う（デモ）" if language == "ja" else "Pay (demo)").click()
    page.wait_for_url(f"**/payments/{payment.reference}/")
    axe(page)
    payment.refresh_from_db()
    assert payment.state == State.PAID
    link = "領収書（PDF）をダウンロード" if language == "ja" else "Download the receipt (PDF)"
    receipt = page.request.get(page.get_by_role("link", name=link).get_attribute("href"))
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")


def test_staff_refund_with_confirmation(page, make_staff, staff_login, axe, transactional_db):
    payer = User.objects.create_user(username="p@example.jp", email="p@example.jp")
    payment = _fee_for(payer.email)
    services.start(payment)
    from musubi.platform.payments.providers import demo

    services.receive_webhook("demo", demo.webhook_for(payment, True))
    user, secret = make_staff("payments.view", "payments.refund", role="supervisor")
    staff_login(page, user, secret)
    page.goto("/payments/staff/")
    axe(page)
    page.get_by_role("link", name=payment.reference).click()
    axe(page)
    page.get_by_label("返金額（円）").fill("500")
    page.get_by_label("返金の理由").fill("利用時間の短縮")
    page.get_by_role("button", name="確認へ進む").click()
    axe(page)
    page.get_by_role("button", name="返金する").click()
    page.wait_for_url(f"**/payments/staff/{payment.reference}/")
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_amount) == (State.PARTIALLY_REFUNDED, 500)
