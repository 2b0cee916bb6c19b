"""The audit browser: guarded, filtered, paginated, exported, and itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from unittest import mock

import pytest
import time_machine
from django.db import DatabaseError
from django.urls import reverse

from musubi.platform.audit import services
from musubi.platform.audit.models import AuditRecord

LIST = reverse("audit:list")
EXPORT = reverse("audit:export")
TOKYO = dt.timezone(dt.timedelta(hours=9))


def _row(**fields) -> AuditRecord:
    base = {
        "actor": "市民課 太郎",
        "action": "read",
        "subject_type": "resident",
        "subject_id": "1",
        "what": "resident record",
        "department": "shimin",
        "purpose": "窓口対応",
    }
    return services.append(**{**base, **fields})


@pytest.fixture
def auditor(make_staff, signed_in):
    return signed_in(make_staff("somu", "audit.view", "audit.export", role="administrator"))


@pytest.fixture
def viewer(make_staff, signed_in):
    return signed_in(make_staff("somu", "audit.view", role="head"))


def test_signed_out_visitors_are_sent_to_staff_login(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "next=/staff/audit/" in response["Location"]


def test_staff_without_the_permission_are_refused(make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.view", role="clerk"))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert not AuditRecord.objects.filter(action="search").exists()


def test_list_shows_newest_first_fifty_a_page(auditor):
    for i in range(60):
        _row(subject_id=str(i), what=f"row-{i:02d}")
    residents_only = {"subject_type": "resident"}  # leaves out the rows browsing adds
    first = auditor.get(LIST, residents_only).content.decode()
    assert first.index("row-59") < first.index("row-58")
    assert "row-10" in first and "row-09" not in first
    assert 'href="?subject_type=resident&amp;page=2"' in first
    second = auditor.get(LIST, {**residents_only, "page": 2}).content.decode()
    assert "row-09" in second and "row-00" in second and "row-10" not in second
    assert auditor.get(LIST, {"page": "nonsense"}).status_code == 200


def test_filters_narrow_the_list_and_keep_their_values(auditor):
    _row(actor="alice", what="alice-read", request_id="req-aaaaaaaa")
    _row(actor="bob", action="export", what="bob-export", department="zeimu", purpose="課税調査")
    page = auditor.get(LIST, {"actor": "bob"}).content.decode()
    assert "bob-export" in page and "alice-read" not in page
    assert 'value="bob"' in page
    page = auditor.get(LIST, {"action": "export", "department": "zeimu", "purpose": "課税"})
    assert "bob-export" in page.content.decode() and "alice-read" not in page.content.decode()
    page = auditor.get(LIST, {"request_id": "req-aaaaaaaa"}).content.decode()
    assert "alice-read" in page and "bob-export" not in page
    page = auditor.get(LIST, {"subject_type": "resident", "subject_id": "2"}).content.decode()
    assert "条件に合う記録はありません" in page


def test_date_range_is_in_tokyo_days(auditor):
    with time_machine.travel(dt.datetime(2025, 4, 1, 23, 30, tzinfo=TOKYO)):
        _row(what="april-first-late")
    with time_machine.travel(dt.datetime(2025, 4, 2, 0, 30, tzinfo=TOKYO)):
        _row(what="april-second-early")
    page = auditor.get(LIST, {"date_from": "2025-04-01", "date_to": "2025-04-01"}).content.decode()
    assert "april-first-late" in page and "april-second-early" not in page
    page = auditor.get(LIST, {"date_from": "2025-04-02"}).content.decode()
    assert "april-second-early" in page and "april-first-late" not in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2025-13-45"}, "date_from"),
        ({"date_from": "2025-04-02", "date_to": "2025-04-01"}, "date_to"),
        ({"action": "peek"}, "action"),
    ],
)
def test_bad_filters_give_a_field_error_not_a_500(auditor, query, field):
    _row(what="must-not-show")
    response = auditor.get(LIST, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-error"' in page
    assert f'aria-describedby="id_{field}-error"' in page
    assert "must-not-show" not in page


def test_english_field_error(auditor):
    response = auditor.get(LIST, {"date_from": "yesterday"}, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_browsing_is_itself_recorded(auditor):
    _row()
    auditor.get(LIST, {"actor": "太郎"}, headers={"x-request-id": "browse-0001"})
    search = AuditRecord.objects.get(action="search")
    assert search.actor == "somu.administrator@city.example.jp"
    assert search.department == "somu"
    assert search.request_id == "browse-0001"
    assert "actor=太郎" in search.what


def test_detail_shows_every_field_and_is_recorded(auditor):
    row = _row(what="detail-me", request_id="req-detail-1")
    page = auditor.get(reverse("audit:detail", args=[row.pk])).content.decode()
    assert "detail-me" in page and row.digest in page and row.previous_digest in page
    assert AuditRecord.objects.filter(
        action="read", subject_type="auditrecord", subject_id=str(row.pk)
    ).exists()
    assert auditor.get(reverse("audit:detail", args=[999999])).status_code == 404


def test_chain_status_shows_the_last_verification(auditor):
    assert "まだ検証されていません" in auditor.get(LIST).content.decode()
    _row()
    services.run_verification()
    assert "改ざんは見つかりませんでした" in auditor.get(LIST).content.decode()
    services.ChainVerification.objects.create(
        intact=False, checked=3, problems=[{"record_id": 2, "kind": "edited"}]
    )
    assert "1 件の問題が見つかりました" in auditor.get(LIST).content.decode()


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_streams_the_filtered_set_as_utf8_csv_with_bom(auditor):
    _row(actor="alice", what="alice-read")
    _row(actor="bob", what='=HYPERLINK("http://evil")')
    response = auditor.get(EXPORT, {"actor": "bob"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv(response)
    assert rows[0][:3] == ["ID", "日時", "利用者"]
    assert len(rows) == 2
    assert rows[1][2] == "bob"
    assert rows[1][11] == '\'=HYPERLINK("http://evil")'


def test_export_is_recorded_before_any_row_leaves(auditor):
    _row()
    response = auditor.get(EXPORT, {"action": "read"})
    export = AuditRecord.objects.get(action="export")
    assert export.subject_type == "audittrail"
    assert "action=read" in export.what
    assert len(_csv(response)) == 2  # header + the read row; the export row is newer


def test_export_needs_its_own_permission(viewer):
    assert viewer.get(LIST).status_code == 200
    assert "CSVで書き出す" not in viewer.get(LIST).content.decode()
    assert viewer.get(EXPORT).status_code == 403


def test_export_with_a_bad_filter_exports_nothing(auditor):
    _row()
    response = auditor.get(EXPORT, {"date_to": "not-a-date"})
    assert response.status_code == 400
    assert not AuditRecord.objects.filter(action="export").exists()


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_a_failed_audit_write_shows_no_data(auditor, url):
    _row(what="secret-row")
    with mock.patch.object(services.AuditRecord, "save", side_effect=DatabaseError("disk full")):
        response = auditor.get(url)
    assert response.status_code == 503
    body = response.content.decode()
    assert "secret-row" not in body
    assert "監査記録" in body
    assert response["X-Request-ID"] in body


def test_a_failed_audit_write_on_the_detail_page_shows_no_data(auditor):
    row = _row(what="secret-row")
    with mock.patch.object(services, "append", side_effect=DatabaseError("locked")):
        response = auditor.get(reverse("audit:detail", args=[row.pk]))
    assert response.status_code == 503
    assert "secret-row" not in response.content.decode()
