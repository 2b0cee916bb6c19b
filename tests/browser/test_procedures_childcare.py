"""児童手当 認定請求 end to end in Chromium, on the shipped catalogue's real form.

A resident linked to the registry (two children under 18 in the household) applies from the
public catalogue: the children come prefilled and read-only, the bank account and the rest are
typed, a PNG is attached, the signing document is downloaded and signed with a test PKI
(CMS detached, RSA-2048/SHA-256). A 子ども課 supervisor logs in with password + TOTP, receives,
reviews and asks for a correction on the detail page; the resident reads the message, changes
the account number and resubmits; staff approve and complete; the resident sees 完了.
axe runs on every page visited; ja, and en chosen through the header's language switch.

The form's 添付書類 step uploads the scans through its file inputs; the procedure's
attachments page then shows them as attached by the form and does not ask for them again.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.utils import translation
from PIL import Image
from playwright.sync_api import Page, expect

from musubi.citizen.procedures.demo import load_catalogue
from musubi.citizen.procedures.models import Application, Status
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.models import Department, Role, StaffMembership, TotpDevice, User
from musubi.platform.residents import services as residents
from tests.browser.conftest import PASSWORD
from tests.citizen.procedures.backoffice import register_family

pytestmark = pytest.mark.browser
PKI = Path(__file__).parents[1] / "platform" / "signatures" / "pki.py"
CODE = "jidou-teate-nintei"
NEXT = "main form.form-engine button.button[type=submit]:not([name])"
CORRECTION = "口座番号が通帳の写しと一致しません。正しい口座番号を入力してください。"


def _pki_module():
    spec = importlib.util.spec_from_file_location("childcare_pki", PKI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def city(transactional_db, settings, tmp_path):
    """The real catalogue, a signing PKI trusted by the city, a family, a 子ども課 supervisor."""
    accounts.sync_reference_data()
    load_catalogue()
    pki = _pki_module()
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root = pki.issue("Test Root", keys[0], ca=True)
    intermediate = pki.issue("Test Signing CA", keys[1], root, ca=True)
    signer = pki.issue("駒ヶ根 花子", keys[2], intermediate)
    (tmp_path / "anchors.pem").write_bytes(pki.pem_of(root.cert))
    (tmp_path / "crls").mkdir()
    (tmp_path / "crls" / "root.crl").write_bytes(pki.pem_of(pki.crl(root)))
    (tmp_path / "crls" / "ca.crl").write_bytes(pki.pem_of(pki.crl(intermediate)))
    settings.SIGNATURE_TRUST_ANCHORS = str(tmp_path / "anchors.pem")
    settings.SIGNATURE_CRLS = str(tmp_path / "crls")
    mother = register_family()
    resident = User.objects.create_user(username="hanako", email="hanako@example.jp")
    residents.link_account(resident, mother, "counter")
    staff = User.objects.create_user(
        username="kodomo@city.example.jp", email="kodomo@city.example.jp", password=PASSWORD
    )
    StaffMembership.objects.create(
        user=staff, department=Department.objects.get(code="kodomo"), role=Role.SUPERVISOR
    )
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=staff, secret=secret, confirmed_at=dt.datetime.now(dt.UTC))
    return {
        "sign": lambda document: pki.sign(document, signer, (intermediate,)),
        "resident": resident,
        "staff": staff,
        "secret": secret,
    }


def _png(path: Path) -> Path:
    Image.new("RGB", (16, 12), "#dde").save(path, format="PNG")
    return path


def _resident_page(new_context, live_server, user, language) -> Page:
    client = Client()
    client.force_login(user)
    context = new_context(language)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def _bank_account(page: Page, number: str) -> None:
    """八十二銀行 駒ケ根支店, 普通, the holder in katakana."""
    page.fill("#f-bank_account-bank_code", "0143")
    page.fill("#f-bank_account-branch_code", "557")
    page.select_option("#f-bank_account-account_type", "1")
    page.fill("#f-bank_account-number", number)
    page.fill("#f-bank_account-holder", "コマガネ ハナコ")


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


def _fill_answers(page: Page, tmp_path: Path, axe) -> None:
    """Every step of the form, from the claimant to the consent, as a first-time applicant."""
    page.wait_for_url(re.compile(r".*/form/claimant/$"))
    assert "駒ヶ根 花子" in _main(page)  # from the registry, shown, not an input
    expect(page.locator("input[name^='f-claimant_name']")).to_have_count(0)
    axe(page)
    page.fill("#f-claimant_phone", "0265-83-2111")
    page.check("#f-pension-0")
    page.fill("#f-employer", "駒ヶ根精機株式会社")
    _next(page, "spouse", axe)
    page.check("#f-has_spouse-1")
    _next(page, "children", axe)
    children = _main(page)
    assert "駒ヶ根 一郎" in children and "駒ヶ根 さくら" in children
    expect(page.locator("input[name^='f-children-'][name*='-name']")).to_have_count(0)
    for row in (0, 1):
        page.check(f"#f-children-{row}-relationship-0")
        page.check(f"#f-children-{row}-living_together-0")
    _next(page, "payment", axe)
    _bank_account(page, "1234567")
    _next(page, "documents", axe)
    page.set_input_files("#f-identity_document-upload", str(_png(tmp_path / "保険証.png")))
    page.set_input_files("#f-bank_document-upload", str(_png(tmp_path / "通帳.png")))
    _next(page, "confirm", axe)
    page.check("#f-consent")
    page.locator(NEXT).click()
    page.wait_for_url(re.compile(r".*/review/$"))
    axe(page)


def _next(page: Page, step: str, axe) -> None:
    page.locator(NEXT).click()
    page.wait_for_url(re.compile(rf".*/form/{step}/$"))
    axe(page)


def _sign_and_submit(page: Page, city, tmp_path: Path, axe) -> bytes:
    """From the review page: the documents the form attached, a signature over the
    downloaded document, submit."""
    page.locator("main form[action$='/review/done/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/attachments/$"))
    axe(page)
    attached = _main(page)
    assert "フォームで添付済み：保険証.png" in attached or "Attached in the form" in attached
    assert "通帳.png" in attached
    expect(page.locator("#upload-identity_document, #upload-bank_document")).to_have_count(0)
    page.locator("main form button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(r".*/signature/$"))
    axe(page)
    with page.expect_download() as download:
        page.locator("main a[download]").click()
    document = Path(download.value.path()).read_bytes()
    (tmp_path / "申請.p7s").write_bytes(city["sign"](document))
    page.set_input_files("#signature", str(tmp_path / "申請.p7s"))
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/confirm/$"))
    axe(page)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/applications/\d+/$"))
    axe(page)
    return document


def _staff_act(page: Page, to_status: str, axe, message: str = "") -> None:
    """One move through the detail page's action form."""
    page.check(f"#to-{to_status}")
    if message:
        page.fill("#action-message", message)
    page.locator("main form[action$='/act/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/procedures/staff/\d+/$"))
    expect(page.locator(f"#to-{to_status}")).to_have_count(0)  # done, no longer offered
    axe(page)


def _correct_account(page: Page, status_url: str, city, tmp_path: Path, axe) -> bytes:
    """補正: read the request on the status page, change the account number, sign, resubmit."""
    page.goto(status_url)
    assert CORRECTION in _main(page)
    axe(page)
    page.locator("main .notice a.button").click()
    page.wait_for_url(re.compile(r".*/review/$"))
    axe(page)
    page.locator("main a[href$='/form/payment/']").click()
    page.wait_for_url(re.compile(r".*/form/payment/$"))
    assert page.input_value("#f-bank_account-number") == "1234567"
    page.fill("#f-bank_account-number", "7654321")
    _next(page, "documents", axe)
    _next(page, "confirm", axe)
    page.locator(NEXT).click()
    page.wait_for_url(re.compile(r".*/review/$"))
    assert "7654321" in _main(page)
    return _sign_and_submit(page, city, tmp_path, axe)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_child_allowance_online(
    language, city, new_context, live_server, staff_login, axe, tmp_path
):
    page = _resident_page(new_context, live_server, city["resident"], "ja")
    page.goto("/procedures/")
    if language != "ja":  # through the header's language switch, as a resident would
        page.locator(f"form[action$='/i18n/setlang/'] button[value={language}]").click()
        page.wait_for_url("**/procedures/")
    assert page.locator("html").get_attribute("lang") == language
    axe(page)
    page.locator(f"main a[href='/procedures/{CODE}/']").click()
    axe(page)
    page.locator("form[action$='/apply/'] button").click()
    _fill_answers(page, tmp_path, axe)
    document = _sign_and_submit(page, city, tmp_path, axe)
    application = Application.objects.get()
    assert application.status == Status.SUBMITTED
    assert application.receipt_number in _main(page)
    assert json.loads(document)["procedure"] == CODE
    attached = sorted((a.requirement, a.file.original_name) for a in application.attachments.all())
    assert attached == [("bank_document", "通帳.png"), ("identity_document", "保険証.png")]
    status_url = page.url

    staff = new_context(language).new_page()
    staff_login(staff, city["staff"], city["secret"])
    staff.goto("/procedures/staff/")
    axe(staff)
    staff.locator(f"main a[href='/procedures/staff/{application.pk}/']").click()
    staff.wait_for_url(re.compile(rf".*/procedures/staff/{application.pk}/$"))
    axe(staff)
    _staff_act(staff, Status.RECEIVED, axe)
    _staff_act(staff, Status.IN_REVIEW, axe)
    _staff_act(staff, Status.CORRECTION_REQUESTED, axe, CORRECTION)

    resent = _correct_account(page, status_url, city, tmp_path, axe)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.data["bank_account"]["number"] == "7654321"
    assert json.loads(resent)["data"]["bank_account"]["number"] == "7654321"

    staff.goto(f"/procedures/staff/{application.pk}/")
    detail = _main(staff)
    assert "7654321" in detail and "駒ヶ根 一郎" in detail and "駒ヶ根 さくら" in detail
    assert staff.locator("main .signature-result--valid").count() >= 1
    expect(staff.locator("main .signature-result--invalid")).to_have_count(0)
    for status in (Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED):
        _staff_act(staff, status, axe)
    application.refresh_from_db()
    assert application.status == Status.COMPLETED

    page.goto(status_url)
    body = _main(page)
    with translation.override(language):
        assert f"<strong>{Status.COMPLETED.label}</strong>" in page.locator("main").inner_html()
    assert "駒ヶ根 一郎" in body and "駒ヶ根 さくら" in body
    assert CORRECTION in body  # the history keeps the request
    axe(page)
    page.goto("/procedures/applications/")
    assert application.receipt_number in _main(page)
    axe(page)
