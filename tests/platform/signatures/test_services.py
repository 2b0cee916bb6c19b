"""Storing signatures for a subject, rejecting bad ones, re-verifying, and the upload field."""

from __future__ import annotations

import pytest
from asn1crypto import pem
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import translation

from musubi.platform.accounts.models import Department
from musubi.platform.signatures import services
from musubi.platform.signatures.forms import SignatureFileField
from musubi.platform.signatures.models import Signature
from musubi.platform.signatures.views import document_download

from . import pki

DOCUMENT = services.canonical_document({"procedure": "妊娠の届出", "due": "2026-03-01"})


@pytest.fixture
def subject(db):
    """Any model instance stands for the signed application."""
    return Department.objects.create(code="kodomo", name="子ども課", name_en="Children")


def test_attach_valid_signature(trusted, subject):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    signature = services.attach_signature(subject, DOCUMENT, cms)
    stored = Signature.objects.get()
    assert stored == signature
    assert (stored.subject_type, stored.subject_id) == ("accounts.department", str(subject.pk))
    assert bytes(stored.cms) == cms and stored.status == "valid"
    assert stored.verification.valid
    assert "駒ヶ根 花子" in stored.verification.signer.subject
    assert list(services.signatures_of(subject)) == [signature]


def test_pem_stored_as_der(trusted, subject):
    ca = trusted
    der = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    signature = services.attach_signature(subject, DOCUMENT, pem.armor("PKCS7", der))
    assert bytes(signature.cms) == der


def test_invalid_signature_rejected_and_not_stored(trusted, subject):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    with pytest.raises(services.SignatureRejected) as caught:
        services.attach_signature(subject, DOCUMENT + b"x", cms)
    assert not Signature.objects.exists()
    assert "無効" in caught.value.message and "変更されています" in caught.value.message


def test_garbage_rejected_not_a_500(trusted, subject):
    with pytest.raises(services.SignatureRejected) as caught:
        services.attach_signature(subject, DOCUMENT, b"not a signature")
    assert caught.value.result.checks[0].key == "format_bad"


def test_invalid_kept_when_asked(trusted, subject):
    signature = services.attach_signature(subject, DOCUMENT, b"junk", keep_unverified=True)
    assert signature.status == "invalid" and bytes(signature.cms) == b"junk"


def test_reverify_after_crl_refresh(ca, trust, subject):
    stale = pki.crl(
        ca.intermediate, next_update=pki.NOW - pki.DAY, last_update=pki.NOW - 9 * pki.DAY
    )
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), stale])
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    with pytest.raises(services.SignatureRejected):
        services.attach_signature(subject, DOCUMENT, cms)
    signature = services.attach_signature(subject, DOCUMENT, cms, keep_unverified=True)
    assert signature.status == "indeterminate"

    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), pki.crl(ca.intermediate)])
    services.reverify(signature, DOCUMENT)
    signature.refresh_from_db()
    assert signature.status == "valid" and signature.verification.valid


def test_reverify_refuses_another_document(trusted, subject):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    signature = services.attach_signature(subject, DOCUMENT, cms)
    with pytest.raises(ValueError, match="canonical bytes"):
        services.reverify(signature, b"{}")


def test_upload_field_accepts_der_and_pem(trusted):
    ca = trusted
    der = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    field = SignatureFileField()
    assert field.clean(SimpleUploadedFile("sig.p7s", der)) == der
    assert field.clean(SimpleUploadedFile("sig.pem", pem.armor("PKCS7", der))) == der


@pytest.mark.parametrize("blob", [b"%PDF-1.4 not a signature", b"MZ\x90\x00", b"\x30\x03\x02\x01"])
def test_upload_field_refuses_non_cms_naming_the_file(blob):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        SignatureFileField().clean(SimpleUploadedFile("申請.p7s", blob))
    assert "「申請.p7s」" in caught.value.messages[0]


def test_result_fragment_renders_accessibly(trusted, subject):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    signature = services.attach_signature(subject, DOCUMENT, cms)
    with translation.override("ja"):
        html = render_to_string(
            "signatures/_result.html", {"result": signature.verification, "heading_level": 3}
        )
    assert '<h3 id="signature-heading"' in html
    assert "判定：有効" in html
    assert html.count('<th scope="row">') == len(signature.verification.checks)
    assert "駒ヶ根 花子" in html and "notice--success" in html


def test_invalid_result_fragment_shows_the_failed_check(trusted, subject):
    signature = services.attach_signature(subject, DOCUMENT, b"junk", keep_unverified=True)
    with translation.override("ja"):
        html = render_to_string("signatures/_result.html", {"result": signature.verification})
    assert "判定：無効" in html and "不合格" in html and "notice--error" in html


def test_document_download_is_the_exact_bytes():
    response = document_download(DOCUMENT, "申請書.json")
    assert response.content == DOCUMENT
    assert response["Content-Disposition"].startswith("attachment;")
