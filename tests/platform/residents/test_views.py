"""Staff registry pages: permission guards, and the audit rows each read writes."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from musubi.platform.audit.models import AuditRecord
from musubi.platform.residents.models import ImportJob, Resident

CSV = (
    "宛名番号,世帯番号,続柄,氏,名,氏フリガナ,名フリガナ,生年月日,性別,国籍,郵便番号,町字,番地,区\r\n"
    "0000000201,00000201,世帯主,小池,誠,コイケ,マコト,1960-05-06,1,JP,399-4117,赤穂,7-1,中割\r\n"
)


def test_pages_need_the_permission(family, make_staff, signed_in, client):
    assert client.get(reverse("residents:search")).status_code == 302
    other = signed_in(make_staff("zeimu", "residents.import"))
    assert other.get(reverse("residents:search")).status_code == 403
    assert other.get(reverse("residents:resident", args=[family["head"].pk])).status_code == 403
    assert other.post(reverse("residents:export"), {"encoding": "utf-8"}).status_code == 403
    assert not AuditRecord.objects.exists()


def test_search_by_kana_in_any_width_is_audited_with_the_query(family, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.view"))
    response = client.get(reverse("residents:search"), {"name": "ﾔﾏﾀﾞ はな"})
    assert response.status_code == 200
    assert list(response.context["page"]) == [family["wife"]]
    row = AuditRecord.objects.get()
    assert (row.action, row.what, row.subject_type) == ("search", "name=ﾔﾏﾀﾞ はな", "resident")
    response = client.get(
        reverse("residents:search"), {"district": family["household"].district_id}
    )
    assert response.context["page"].paginator.count == 3


def test_empty_search_shows_the_form_without_auditing(family, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.view"))
    response = client.get(reverse("residents:search"))
    assert response.status_code == 200 and response.context["page"] is None
    bad = client.get(reverse("residents:search"), {"birthdate": "yesterday"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert not AuditRecord.objects.exists()


def test_record_and_household_views_are_audited_as_read(family, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.view"))
    head = family["head"]
    page = client.get(reverse("residents:resident", args=[head.pk]))
    assert page.status_code == 200
    assert "山田 一郎" in page.content.decode()
    assert "転入" in page.content.decode()
    client.get(reverse("residents:household", args=[family["household"].pk]))
    rows = list(AuditRecord.objects.values_list("action", "subject_type", "subject_id"))
    assert rows == [
        ("read", "resident", str(head.pk)),
        ("read", "household", str(family["household"].pk)),
    ]
    assert client.get(reverse("residents:resident", args=[99999])).status_code == 404


def test_export_downloads_csv_and_is_audited(family, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.export"))
    response = client.post(reverse("residents:export"), {"encoding": "cp932"})
    assert response["Content-Type"] == "text/csv; charset=cp932"
    assert "山田" in response.content.decode("cp932")
    row = AuditRecord.objects.get()
    assert (row.action, row.what) == ("export", "csv export 3 rows cp932")


def test_import_runs_as_a_task_and_reports(city, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.import"))
    upload = SimpleUploadedFile("r.csv", CSV.encode("cp932"))
    response = client.post(reverse("residents:import"), {"file": upload, "mode": "import"})
    job = ImportJob.objects.get()
    assert response.url == reverse("residents:import_job", args=[job.pk])
    assert (job.status, job.done, job.total, job.content) == ("succeeded", 1, 1, b"")
    assert Resident.objects.get().family_name == "小池"
    page = client.get(response.url)
    assert "<progress" in page.content.decode() and "100%" in page.content.decode()
    assert "Refresh" not in page
    assert AuditRecord.objects.filter(action="import").count() == 1


def test_import_errors_are_listed_in_both_languages(city, make_staff, signed_in):
    client = signed_in(make_staff("shimin", "residents.import"))
    upload = SimpleUploadedFile("r.csv", CSV.replace("中割", "西区").encode())
    response = client.post(reverse("residents:import"), {"file": upload, "mode": "dry_run"})
    page = client.get(response.url).content.decode()
    assert "区「西区」はありません。" in page
    assert "There is no district (区) “西区”." in page
    assert not Resident.objects.exists()


def test_running_job_page_refreshes_itself(city, make_staff, signed_in):
    user = make_staff("shimin", "residents.import")
    client = signed_in(user)
    job = ImportJob.objects.create(created_by=user, filename="x.csv", content=b"", total=10, done=4)
    page = client.get(reverse("residents:import_job", args=[job.pk]))
    assert page["Refresh"] == "2"
    assert 'value="40"' in page.content.decode()
    assert "hx-trigger" in page.content.decode()
