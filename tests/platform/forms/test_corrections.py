"""「誤りを報告」: the report is recorded, 市民課 is told by event, and only they see the list."""

from __future__ import annotations

import pytest

from musubi.platform.audit.models import AuditRecord
from musubi.platform.events.services import subscribe
from musubi.platform.forms.models import CorrectionStatus, RegistryCorrectionRequest
from musubi.platform.forms.services import CORRECTION_EVENT, report_registry_error

REPORT = "/forms/registry/report/"


@pytest.fixture
def heard():
    received = []

    @subscribe(CORRECTION_EVENT)
    def listener(**payload):
        received.append(payload)

    return received


def test_report_is_recorded_and_published(
    resident_client, linked, heard, django_capture_on_commit_callbacks
):
    page = resident_client.get(
        REPORT, {"attribute": "birthdate", "next": "/forms/try/step/applicant/"}
    )
    assert "1989-01-07" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = resident_client.post(
            REPORT,
            {
                "attribute": "birthdate",
                "comment": "1月8日生まれです",
                "next": "/forms/try/step/applicant/",
            },
        )
    assert response["Location"] == "/forms/try/step/applicant/"
    report = RegistryCorrectionRequest.objects.get()
    assert (report.field, report.shown_value, report.comment) == (
        "birthdate",
        "1989-01-07",
        "1月8日生まれです",
    )
    assert report.resident_number == linked.number and report.status == CorrectionStatus.OPEN
    assert heard == [
        {
            "request_id": report.pk,
            "user_id": report.user_id,
            "resident_number": linked.number,
            "field": "birthdate",
        }
    ]


def test_reports_are_refused_clearly(resident_client, resident_user, linked):
    response = resident_client.post(
        REPORT, {"attribute": "password", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/mypage/" or response["Location"].endswith("mypage/")
    response = resident_client.post(REPORT, {"attribute": "name", "comment": "あ" * 1001})
    assert response.status_code == 400
    assert "1000文字以内で入力してください。" in response.content.decode()
    assert not RegistryCorrectionRequest.objects.exists()


def test_unlinked_user_cannot_report(resident_user):
    from musubi.platform.forms.services import CorrectionError

    with pytest.raises(CorrectionError) as caught:
        report_registry_error(resident_user, "name")
    assert caught.value.messages == ["住民記録と連携していないため、報告できません。"]


def test_staff_list_for_shimin_only_and_audited(
    resident_user, linked, make_staff, signed_in, client
):
    report_registry_error(resident_user, "name", "字が違います")
    clerk = make_staff("shimin", "forms.review_corrections")
    response = signed_in(clerk).get("/forms/staff/corrections/")
    page = response.content.decode()
    assert "駒ヶ根 花子" in page and "字が違います" in page and linked.number in page
    assert AuditRecord.objects.filter(
        subject_type="registrycorrectionrequest", action="search"
    ).exists()
    report = RegistryCorrectionRequest.objects.get()
    client.post(f"/forms/staff/corrections/{report.pk}/status/", {"status": "resolved"})
    report.refresh_from_db()
    assert report.status == CorrectionStatus.RESOLVED
    client.post(f"/forms/staff/corrections/{report.pk}/status/", {"status": "lost"})
    report.refresh_from_db()
    assert report.status == CorrectionStatus.RESOLVED
    client.logout()
    other = make_staff("zeimu", "residents.view")
    assert signed_in(other).get("/forms/staff/corrections/").status_code == 403


def test_grant_file_gives_shimin_the_permission(db):
    from musubi.platform.accounts.models import PermissionGrant
    from musubi.platform.accounts.services import sync_reference_data

    sync_reference_data()
    roles = set(
        PermissionGrant.objects.filter(permission="forms.review_corrections").values_list(
            "department__code", "role"
        )
    )
    assert roles == {("shimin", "clerk"), ("shimin", "supervisor"), ("shimin", "head")}
