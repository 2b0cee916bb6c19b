"""The resident's pages end to end with Django's client: apply, attach, sign, submit, status,
correction and resubmission, withdrawal, the PDF copy, and the catalogue."""

from __future__ import annotations

import copy
import importlib.util
import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Status
from musubi.citizen.procedures.pdf import summary_rows
from musubi.platform.signatures import services as signatures
from tests.citizen.procedures.conftest import SMALL_FORM

PKI_PATH = Path(__file__).parents[2] / "platform" / "signatures" / "pki.py"


def _load_pki():
    spec = importlib.util.spec_from_file_location("signature_test_pki", PKI_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pki():
    return _load_pki()


@pytest.fixture(scope="module")
def keys():
    return {n: rsa.generate_private_key(public_exponent=65537, key_size=2048) for n in "ris"}


@pytest.fixture
def ca(pki, keys, settings, tmp_path):
    """A trusted test root → intermediate → signer, with CRLs revoking nothing."""
    root = pki.issue("Test Root", keys["r"], ca=True)
    intermediate = pki.issue("Test Signing CA", keys["i"], root, ca=True)
    signer = pki.issue("駒ヶ根 花子", keys["s"], intermediate)

    def configure(revoked=()):
        (tmp_path / "anchors.pem").write_bytes(pki.pem_of(root.cert))
        crls = tmp_path / "crls"
        crls.mkdir(exist_ok=True)
        (crls / "root.crl").write_bytes(pki.pem_of(pki.crl(root)))
        (crls / "int.crl").write_bytes(pki.pem_of(pki.crl(intermediate, tuple(revoked))))
        settings.SIGNATURE_TRUST_ANCHORS = str(tmp_path / "anchors.pem")
        settings.SIGNATURE_CRLS = str(crls)

    configure()
    return type(
        "CA",
        (),
        {
            "root": root,
            "intermediate": intermediate,
            "signer": signer,
            "configure": staticmethod(configure),
        },
    )


def png(name="id.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


ANSWERS = {
    "f-applicant_name-family": "駒ヶ根",
    "f-applicant_name-given": "花子",
    "f-applicant_kana-family": "こまがね",
    "f-applicant_kana-given": "はなこ",
    "f-birthdate": "平成元年2月1日",
    "f-copies": "２",
}


@pytest.fixture
def browser_of(client, resident):
    client.force_login(resident)
    return client


def _start(client, procedure) -> Application:
    response = client.post(f"/procedures/{procedure.code}/apply/")
    assert response.status_code == 302
    application = Application.objects.get(procedure=procedure)
    assert response["Location"] == f"/procedures/applications/{application.pk}/form/main/"
    return application


def _answer(client, application, answers=ANSWERS):
    return client.post(f"/procedures/applications/{application.pk}/form/main/", answers)


def _through_form(client, procedure) -> Application:
    application = _start(client, procedure)
    response = _answer(client, application)
    assert response["Location"] == f"/procedures/applications/{application.pk}/review/"
    response = client.post(f"/procedures/applications/{application.pk}/review/done/")
    assert response["Location"] == f"/procedures/applications/{application.pk}/attachments/"
    return application


def test_catalogue_lists_searches_and_filters(client, procedure):
    page = client.get("/procedures/").content.decode()
    assert "テスト手続" in page
    assert "テスト手続" in client.get("/procedures/?q=テスト").content.decode()
    assert "テスト手続" not in client.get("/procedures/?q=介護保険").content.decode()
    assert "テスト手続" not in client.get("/procedures/?category=kaigo").content.decode()
    detail = client.get(f"/procedures/{procedure.code}/").content.decode()
    assert "本人確認書類" in detail and "14日" in detail and "ログインして申請する" in detail


def test_catalogue_in_english(client, procedure):
    page = client.get(f"/procedures/{procedure.code}/", HTTP_ACCEPT_LANGUAGE="en").content
    assert "Test procedure" in page.decode()


def test_apply_attach_sign_submit_and_pdf(browser_of, procedure, ca, pki):
    client = browser_of
    application = _through_form(client, procedure)
    url = f"/procedures/applications/{application.pk}"
    response = client.post(f"{url}/attachments/", {"upload-id_doc": png()})
    assert response["Location"] == f"{url}/signature/"
    document = client.get(f"{url}/signature/document.json").content
    cms = pki.sign(document, ca.signer, (ca.intermediate,))
    upload = SimpleUploadedFile("sig.p7s", cms, content_type="application/pkcs7-signature")
    response = client.post(f"{url}/signature/", {"signature": upload})
    assert response["Location"] == f"{url}/confirm/"
    assert "電子署名あり（確認済み）" in client.get(f"{url}/confirm/").content.decode()
    response = client.post(f"{url}/confirm/")
    assert response["Location"] == f"{url}/"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.data["applicant_kana"] == {"family": "コマガネ", "given": "ハナコ"}
    assert application.data["birthdate"] == "1989-02-01" and application.data["copies"] == 2
    assert [a.requirement for a in application.attachments.all()] == ["id_doc"]
    assert signatures.signatures_of(application).get().status == "valid"
    status = client.get(f"{url}/").content.decode()
    assert application.receipt_number in status and "申請済み" in status
    pdf = client.get(f"/procedures/applications/{application.receipt_number}/summary.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert application.receipt_number in text
    assert "駒ヶ根" in text and "コマガネ" in text and "申請内容の控え" in text


def test_wrong_input_keeps_what_was_typed(browser_of, procedure):
    application = _start(browser_of, procedure)
    wrong = {**ANSWERS, "f-applicant_kana-family": "Komagane", "f-birthdate": "令和99年1月1日"}
    page = _answer(browser_of, application, wrong).content.decode()
    assert "カタカナ" in page  # the kana message names what is expected
    assert 'value="Komagane"' in page and 'value="令和99年1月1日"' in page
    future = {**ANSWERS, "f-birthdate": "2999-01-01"}
    page = _answer(browser_of, application, future).content.decode()
    assert 'value="2999-01-01"' in page and 'value="駒ヶ根"' in page
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_attachment_rejections_are_named_and_nothing_lost(browser_of, procedure, settings):
    client = browser_of
    application = _through_form(client, procedure)
    url = f"/procedures/applications/{application.pk}/attachments/"
    exe = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    page = client.post(url, {"upload-id_doc": exe})
    assert page.status_code == 400 and "scan.pdf" in page.content.decode()
    settings.FILES_UPLOAD_MAX_MB = 0
    page = client.post(url, {"upload-id_doc": png("big.png")})
    assert page.status_code == 400 and "big.png" in page.content.decode()
    settings.FILES_UPLOAD_MAX_MB = 10
    page = client.post(url, {})
    assert "「本人確認書類」を添付してください。" in page.content.decode()
    # the answers are still there
    review = client.get(f"/procedures/applications/{application.pk}/review/").content.decode()
    assert "コマガネ" in review


def _signed_attempt(client, application, cms):
    upload = SimpleUploadedFile("sig.p7s", cms)
    return client.post(
        f"/procedures/applications/{application.pk}/signature/", {"signature": upload}
    )


def test_tampered_expired_and_revoked_signatures_are_refused(browser_of, procedure, ca, pki, keys):
    client = browser_of
    application = _through_form(client, procedure)
    document = client.get(
        f"/procedures/applications/{application.pk}/signature/document.json"
    ).content
    tampered = pki.sign(
        document.replace("花子".encode(), "太郎".encode()), ca.signer, (ca.intermediate,)
    )
    page = _signed_attempt(client, application, tampered)
    assert page.status_code == 400 and "電子署名を確認できませんでした" in page.content.decode()
    expired = pki.issue(
        "駒ヶ根 花子",
        keys["s"],
        ca.intermediate,
        not_before=pki.NOW - 400 * pki.DAY,
        not_after=pki.NOW - pki.DAY,
    )
    page = _signed_attempt(client, application, pki.sign(document, expired, (ca.intermediate,)))
    assert page.status_code == 400 and "電子署名を確認できませんでした" in page.content.decode()
    ca.configure(revoked=[ca.signer.cert])
    page = _signed_attempt(client, application, pki.sign(document, ca.signer, (ca.intermediate,)))
    assert page.status_code == 400 and "電子署名を確認できませんでした" in page.content.decode()
    page = _signed_attempt(client, application, b"not a signature")
    assert "sig.p7s" in page.content.decode()
    assert not signatures.signatures_of(application).exists()
    assert (
        "コマガネ"
        in client.get(f"/procedures/applications/{application.pk}/review/").content.decode()
    )


def test_correction_and_resubmission(browser_of, procedure, staff):
    client = browser_of
    application = _through_form(client, procedure)
    url = f"/procedures/applications/{application.pk}"
    client.post(f"{url}/attachments/", {"upload-id_doc": png()})
    client.post(f"{url}/confirm/")
    clerk = staff()
    application.refresh_from_db()
    application = services.transition(
        application, Status.RECEIVED, actor=clerk, expected_version=application.version
    )
    services.transition(
        application,
        Status.CORRECTION_REQUESTED,
        actor=clerk,
        message="通数を1通にしてください。",
        expected_version=application.version,
    )
    status = client.get(f"{url}/").content.decode()
    assert "通数を1通にしてください。" in status and "申請内容を補正する" in status
    step = client.get(f"{url}/form/main/").content.decode()
    assert 'value="コマガネ"' in step  # reopened with what was sent
    response = client.post(f"{url}/form/main/", {**ANSWERS, "f-copies": "1"})
    assert response["Location"] == f"{url}/review/"
    client.post(f"{url}/review/done/")
    assert "本人確認書類" in client.get(f"{url}/confirm/").content.decode()
    response = client.post(f"{url}/confirm/")
    assert response["Location"] == f"{url}/"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.data["copies"] == 1
    assert application.attachments.count() == 1


def test_withdraw_and_my_applications(browser_of, procedure):
    client = browser_of
    application = _through_form(client, procedure)
    url = f"/procedures/applications/{application.pk}"
    mine = client.get("/procedures/applications/").content.decode()
    assert "テスト手続" in mine and "一時保存" in mine
    client.post(f"{url}/attachments/", {"upload-id_doc": png()})
    client.post(f"{url}/confirm/")
    application.refresh_from_db()
    client.post(f"{url}/withdraw/", {"version": application.version - 1})
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED  # stale
    client.post(f"{url}/withdraw/", {"version": application.version})
    assert Application.objects.get(pk=application.pk).status == Status.WITHDRAWN
    assert "取下げ" in client.get("/procedures/applications/").content.decode()


def test_other_residents_see_nothing(client, submitted, django_user_model):
    other = django_user_model.objects.create_user(username="x@example.jp", email="x@example.jp")
    client.force_login(other)
    assert client.get(f"/procedures/applications/{submitted.pk}/").status_code == 404
    receipt = submitted.receipt_number
    assert client.get(f"/procedures/applications/{receipt}/summary.pdf").status_code == 404


def test_staff_of_the_department_may_read_the_attachment(submitted, staff, signed_in):
    clerk_client = signed_in(staff())
    file_id = submitted.attachments.get().file_id
    assert clerk_client.get(f"/files/{file_id}/").status_code == 200


def test_form_file_field_is_the_attachment_once(browser_of, procedure):
    """A form field ``id_doc`` (the requirement's code) uploads the document; not asked again."""
    form = copy.deepcopy(SMALL_FORM)
    form["schema"]["properties"]["id_doc"] = {"type": "string"}
    form["ui"]["steps"][0]["sections"][0]["fields"].append(
        {"id": "id_doc", "widget": "file", "label": {"ja": "本人確認書類", "en": "ID"}}
    )
    services.publish_version(services.create_version(procedure, form))
    client = browser_of
    application = _start(client, procedure)
    url = f"/procedures/applications/{application.pk}"
    assert 'enctype="multipart/form-data"' in client.get(f"{url}/form/main/").content.decode()
    response = _answer(client, application, {**ANSWERS, "f-id_doc-upload": png("免許証.png")})
    assert response["Location"] == f"{url}/review/"
    client.post(f"{url}/review/done/")
    page = client.get(f"{url}/attachments/").content.decode()
    assert "フォームで添付済み：免許証.png" in page
    assert 'name="upload-id_doc"' not in page and 'name="reuse-id_doc"' not in page
    response = client.post(f"{url}/attachments/", {"upload-id_doc": png("二重.png")})
    assert response["Location"] == f"{url}/signature/"
    response = client.post(f"{url}/confirm/")
    assert response["Location"] == f"{url}/"
    attached = [(a.requirement, a.file.original_name) for a in application.attachments.all()]
    assert attached == [("id_doc", "免許証.png")]
    application.refresh_from_db()  # the PDF and staff pages name the file, not its id
    assert ("本人確認書類", ["免許証.png"]) in summary_rows(application)
