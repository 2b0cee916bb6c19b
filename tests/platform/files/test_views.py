"""Serving, listing, uploading and deleting through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from musubi.platform.accounts.models import Department
from musubi.platform.audit.models import AuditRecord
from musubi.platform.files import services
from musubi.platform.files.models import StoredFile

from .conftest import MINIMAL_PDF, jpeg_with_gps, upload


@pytest.fixture
def pdf(resident):
    return services.store_upload(resident, upload("住民票の写し.pdf", MINIMAL_PDF))


def test_owner_gets_file_with_safe_headers(client, resident, pdf):
    client.force_login(resident)
    response = client.get(reverse("files:serve", args=[pdf.pk]))
    assert response.status_code == 200
    assert response.content == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert not AuditRecord.objects.exists()  # the owner reading their own file is not audited


def test_download_is_an_attachment(client, resident, pdf):
    client.force_login(resident)
    response = client.get(reverse("files:serve", args=[pdf.pk]) + "?download=1")
    assert response["Content-Disposition"].startswith("attachment;")


def test_anonymous_sent_to_login(client, pdf):
    response = client.get(reverse("files:serve", args=[pdf.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_other_resident_gets_404(client, other_resident, pdf):
    client.force_login(other_resident)
    assert client.get(reverse("files:serve", args=[pdf.pk])).status_code == 404


def test_staff_without_grant_gets_404(signed_in, make_staff, pdf):
    client = signed_in(make_staff("kodomo", "accounts.manage"))
    assert client.get(reverse("files:serve", args=[pdf.pk])).status_code == 404


def test_granted_staff_read_is_audited(signed_in, make_staff, pdf):
    staff = make_staff("kodomo", "accounts.manage")
    services.grant_access(
        pdf,
        permission_code="accounts.manage",
        department=Department.objects.get(code="kodomo"),
        reason="児童手当 認定請求の審査",
    )
    response = signed_in(staff).get(reverse("files:serve", args=[pdf.pk]))
    assert response.status_code == 200
    row = AuditRecord.objects.get()
    assert (row.actor_id, row.action, row.subject_type, row.subject_id) == (
        staff.pk,
        "read",
        "storedfile",
        str(pdf.pk),
    )
    assert row.purpose == "児童手当 認定請求の審査"


def test_granted_staff_without_second_factor_sent_to_staff_login(client, make_staff, pdf):
    staff = make_staff("kodomo", "accounts.manage")
    services.grant_access(pdf, permission_code="accounts.manage", reason="審査")
    client.force_login(staff)
    response = client.get(reverse("files:serve", args=[pdf.pk]))
    assert response.status_code == 302 and "staff" in response["Location"]
    assert not AuditRecord.objects.exists()


def test_missing_bytes_are_a_404_not_a_500(client, resident, pdf, private_media):
    for path in private_media.rglob("*"):
        if path.is_file():
            path.unlink()
    client.force_login(resident)
    assert client.get(reverse("files:serve", args=[pdf.pk])).status_code == 404


def test_mine_lists_own_files(client, resident, other_resident, pdf):
    services.store_upload(other_resident, upload("他人.pdf", MINIMAL_PDF))
    client.force_login(resident)
    page = client.get(reverse("files:mine")).content.decode()
    assert "住民票の写し.pdf" in page and "他人.pdf" not in page


def test_upload_page_without_javascript(client, resident):
    client.force_login(resident)
    page = client.get(reverse("files:upload")).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'accept="application/pdf' in page
    response = client.post(
        reverse("files:upload"),
        {"files": [upload("a.pdf", MINIMAL_PDF), upload("b.jpg", jpeg_with_gps(), "image/jpeg")]},
    )
    assert response.status_code == 302
    assert sorted(StoredFile.objects.values_list("original_name", flat=True)) == ["a.pdf", "b.jpg"]


def test_upload_reports_each_refused_file_and_keeps_good_ones(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("files:upload"),
        {"files": [upload("good.pdf", MINIMAL_PDF), upload("setup.pdf", b"MZ" + b"\0" * 80)]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "「setup.pdf」" in page and "プログラム（実行ファイル）" in page
    assert list(StoredFile.objects.values_list("original_name", flat=True)) == ["good.pdf"]


def test_upload_without_file(client, resident):
    client.force_login(resident)
    response = client.post(reverse("files:upload"), {})
    assert response.status_code == 400
    assert "ファイルを選んでください" in response.content.decode()


def test_delete_own_unused_file(client, resident, pdf):
    client.force_login(resident)
    assert client.get(reverse("files:delete", args=[pdf.pk])).status_code == 200
    response = client.post(reverse("files:delete", args=[pdf.pk]))
    assert response.status_code == 302
    assert not StoredFile.objects.exists()


def test_delete_referenced_file_refused(client, resident, pdf, monkeypatch):
    monkeypatch.setattr(services, "_FINDERS", [lambda f: ["申請 R7-000042"]])
    client.force_login(resident)
    response = client.post(reverse("files:delete", args=[pdf.pk]))
    assert response.status_code == 409
    assert "申請 R7-000042" in response.content.decode()
    assert StoredFile.objects.filter(pk=pdf.pk).exists()


def test_cannot_delete_someone_elses_file(client, other_resident, pdf):
    client.force_login(other_resident)
    assert client.post(reverse("files:delete", args=[pdf.pk])).status_code == 404
    assert StoredFile.objects.filter(pk=pdf.pk).exists()
