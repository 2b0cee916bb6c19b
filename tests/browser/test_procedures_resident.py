"""A resident applies online in Chromium (answers, document, signature), staff ask for a
correction, the resident corrects, staff decide; axe on every resident page, ja and en."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Procedure, Status
from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User

TESTS = Path(__file__).parents[1]
PKI = TESTS / "platform" / "signatures" / "pki.py"
FORM = TESTS / "citizen" / "procedures" / "conftest.py"


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup_city(transactional_db, settings, tmp_path):
    pki = _module(PKI, "browser_pki")
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root = pki.issue("Test Root", keys[0], ca=True)
    intermediate = pki.issue("Test Signing CA", keys[1], root, ca=True)
    signer = pki.issue("駒ヶ根 花子", keys[2], intermediate)
    (tmp_path / "anchors.pem").write_bytes(pki.pem_of(root.cert))
    (tmp_path / "crls").mkdir()
    (tmp_path / "crls" / "a.crl").write_bytes(pki.pem_of(pki.crl(root)))
    (tmp_path / "crls" / "b.crl").write_bytes(pki.pem_of(pki.crl(intermediate)))
    settings.SIGNATURE_TRUST_ANCHORS = str(tmp_path / "anchors.pem")
    settings.SIGNATURE_CRLS = str(tmp_path / "crls")
    kodomo = Department.objects.create(code="kodomo", name="子ども課", name_en="Children")
    procedure = Procedure.objects.create(
        code="test-procedure", name_ja="テスト手続", name_en="Test procedure",
        category="kosodate", department=kodomo, channels=["online"],
        attachments=[{"code": "id_doc", "label": {"ja": "本人確認書類", "en": "Proof of identity"},
                      "required": True}],
    )  # fmt: skip
    form = _module(FORM, "procedures_conftest").SMALL_FORM
    services.publish_version(services.create_version(procedure, form))
    staff = User.objects.create_user(username="s@city.example.jp", email="s@city.example.jp")
    StaffMembership.objects.create(user=staff, department=kodomo, role=Role.SUPERVISOR)
    for code in ("procedures.view", "procedures.process", "procedures.decide"):
        PermissionGrant.objects.create(department=kodomo, role=Role.SUPERVISOR, permission=code)
    return {"pki": pki, "signer": signer, "chain": (intermediate,), "staff": staff}


def _png(path: Path) -> Path:
    Image.new("RGB", (8, 8), "white").save(path, format="PNG")
    return path


def _staff_move(staff, to_status, message=""):
    application = Application.objects.get()
    services.transition(
        application, to_status, actor=staff, message=message, expected_version=application.version
    )


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ja", "en"])
def test_apply_correct_and_complete(resident_context, axe, setup_city, tmp_path, language):
    page = resident_context(language).new_page()
    page.goto("/procedures/")
    axe(page)
    page.goto("/procedures/test-procedure/")
    axe(page)
    page.locator("form[action$='/apply/'] button").click()
    axe(page)
    page.fill("input[name='f-applicant_name-family']", "駒ヶ根")
    page.fill("input[name='f-applicant_name-given']", "花子")
    page.fill("input[name='f-applicant_kana-family']", "Komagane")
    page.fill("input[name='f-applicant_kana-given']", "はなこ")
    page.fill("input[name='f-birthdate']", "平成元年2月1日")
    page.fill("input[name='f-copies']", "2")
    page.locator("main form button[type='submit']").last.click()
    expect(page.locator("input[name='f-applicant_kana-family']")).to_have_value("Komagane")
    axe(page)  # the error page
    page.fill("input[name='f-applicant_kana-family']", "コマガネ")
    page.locator("main form button[type='submit']").last.click()
    axe(page)  # review
    page.locator("main form button[type='submit']").first.click()
    axe(page)  # attachments
    page.set_input_files("#upload-id_doc", str(_png(tmp_path / "id.png")))
    page.locator("main form button[type='submit']").first.click()
    axe(page)  # signature
    with page.expect_download() as download:
        page.locator("a[download]").click()
    document = Path(download.value.path()).read_bytes()
    cms = setup_city["pki"].sign(document, setup_city["signer"], setup_city["chain"])
    (tmp_path / "sig.p7s").write_bytes(cms)
    page.set_input_files("#signature", str(tmp_path / "sig.p7s"))
    page.locator("main form[enctype] button[type='submit']").click()
    axe(page)  # confirm
    page.locator("main form button[type='submit']").last.click()
    application = Application.objects.get()
    assert application.status == Status.SUBMITTED
    assert application.receipt_number in page.content()
    axe(page)  # status
    staff = setup_city["staff"]
    _staff_move(staff, Status.RECEIVED)
    _staff_move(staff, Status.CORRECTION_REQUESTED, "通数を1通にしてください。")
    page.reload()
    assert "通数を1通にしてください。" in page.content()
    axe(page)
    page.locator("main .notice a.button").click()
    page.goto(f"/procedures/applications/{application.pk}/form/main/")
    page.fill("input[name='f-copies']", "1")
    page.locator("main form button[type='submit']").last.click()
    page.locator("main form button[type='submit']").first.click()
    page.locator("main form button[type='submit']").first.click()
    page.goto(f"/procedures/applications/{application.pk}/confirm/")
    page.locator("main form button[type='submit']").last.click()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.data["copies"] == 1
    for status in (Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED):
        _staff_move(staff, status)
    page.goto(f"/procedures/applications/{application.pk}/")
    with translation.override(language):
        assert f"<strong>{Status.COMPLETED.label}</strong>" in page.content()
    axe(page)
    page.goto("/procedures/applications/")
    axe(page)
    assert json.loads(document)["procedure"] == "test-procedure"
