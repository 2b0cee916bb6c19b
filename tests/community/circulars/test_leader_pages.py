"""Leaders' pages: posting with attachments, who has not read, CSV, print, paper, withdraw."""

from __future__ import annotations

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from musubi.community.circulars import services
from musubi.community.circulars.leaders import Area
from musubi.community.circulars.models import Circular, State
from musubi.platform.audit.models import AuditRecord

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _form(town, **changes):
    data = {
        "title_ja": "防災訓練",
        "title_en": "Disaster drill",
        "body_ja": "9月1日に防災訓練を行います。",
        "body_en": "",
        "targets": [f"d{town.district.pk}"],
        "due_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "remind_days_before": "2",
        "ask_attendance": "on",
        "q1_ja": "参加人数",
        "q1_kind": "choice",
        "q1_options_ja": "1人\n2人\n3人以上",
        "q2_kind": "choice",
        "q3_kind": "choice",
    }
    data.update(changes)
    return data


def test_only_serving_leaders_open_the_leaders_pages(town, resident_client):
    assert resident_client(town.aoki).get(reverse("circulars:lead_index")).status_code == 403
    page = resident_client(town.kucho).get(reverse("circulars:lead_index"))
    assert page.status_code == 200 and "中沢区" in page.content.decode()


def test_a_kucho_posts_with_a_pdf_and_residents_download_it(town, resident_client):
    client = resident_client(town.kucho)
    data = _form(town, attachments=SimpleUploadedFile("訓練.pdf", MINIMAL_PDF))
    response = client.post(reverse("circulars:lead_new"), data)
    assert response.status_code == 302
    circular = Circular.objects.get()
    assert circular.titles == {"ja": "防災訓練", "en": "Disaster drill"}
    assert [q.kind for q in circular.questions.all()] == ["attendance", "choice"]
    assert [o["labels"]["ja"] for o in circular.questions.last().options] == [
        "1人",
        "2人",
        "3人以上",
    ]
    attachment = circular.attachments.get()
    url = reverse("circulars:attachment", args=[circular.pk, attachment.file_id])
    download = resident_client(town.aoki).get(url)
    assert download.status_code == 200 and download.content == MINIMAL_PDF
    assert download["Content-Type"] == "application/pdf"


def test_a_disguised_program_is_refused_and_nothing_is_posted(town, resident_client):
    client = resident_client(town.kucho)
    program = SimpleUploadedFile("案内.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    response = client.post(reverse("circulars:lead_new"), _form(town, attachments=program))
    assert response.status_code == 400
    page = response.content.decode()
    assert "案内.pdf" in page and 'value="防災訓練"' in page
    assert not Circular.objects.exists()


def test_a_kumicho_is_offered_only_their_kumi(town, resident_client):
    client = resident_client(town.kumicho)
    page = client.get(reverse("circulars:lead_new")).content.decode()
    assert f'value="k{town.kumi1.pk}"' in page
    assert f'value="d{town.district.pk}"' not in page and f'value="k{town.kumi2.pk}"' not in page
    refused = client.post(reverse("circulars:lead_new"), _form(town))
    assert refused.status_code == 400 and not Circular.objects.exists()


def test_the_leader_sees_who_has_not_read_and_the_view_is_audited(
    town, post_circular, resident_client, account
):
    circular = post_circular()
    services.mark_read(circular, town.aoki_child, account(town.aoki_child))
    page = resident_client(town.kucho).get(reverse("circulars:lead_detail", args=[circular.pk]))
    text = page.content.decode()
    unread = text.split("まだ確認していない世帯", 1)[1]
    assert "馬場 太郎" in unread and "千葉 太郎" in unread and "青木 太郎" not in unread
    audit = AuditRecord.objects.get(subject_type="circular", subject_id=str(circular.pk))
    assert audit.action == "read" and audit.actor_id == account(town.kucho).pk


def test_csv_print_and_paper_list(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.kucho)
    csv = client.get(reverse("circulars:lead_csv", args=[circular.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8")
    assert body.startswith("\ufeff世帯主,組,既読") and "馬場 太郎,1組,未読" in body
    printed = client.get(reverse("circulars:lead_print", args=[circular.pk])).content.decode()
    assert "circulars/print.css" in printed and "千葉 太郎" in printed
    paper = client.get(reverse("circulars:lead_paper", args=[circular.pk])).content.decode()
    assert "青木 太郎" in paper
    assert AuditRecord.objects.filter(subject_type="circular", action="export").count() == 1


def test_the_poster_withdraws_after_confirming(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.kucho)
    url = reverse("circulars:lead_withdraw", args=[circular.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "元に戻せません" in confirm.content.decode()
    circular.refresh_from_db()
    assert circular.state == State.PUBLISHED
    assert client.post(url).status_code == 302
    circular.refresh_from_db()
    assert circular.state == State.WITHDRAWN


def test_a_kumicho_cannot_withdraw_the_kuchos_circular(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.kumicho)
    client.post(reverse("circulars:lead_withdraw", args=[circular.pk]))
    circular.refresh_from_db()
    assert circular.state == State.PUBLISHED


def test_leaders_do_not_see_circulars_of_other_areas(town, post_circular, resident_client):
    circular = post_circular(targets=[Area(town.district.pk, town.kumi2.pk)])
    client = resident_client(town.kumicho)
    assert client.get(reverse("circulars:lead_detail", args=[circular.pk])).status_code == 404


def test_leader_pages_in_english_have_no_japanese_ui_text(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.kucho)
    client.cookies["django_language"] = "en"
    for name, args in (
        ("lead_index", []),
        ("lead_new", []),
        ("lead_detail", [circular.pk]),
        ("lead_print", [circular.pk]),
        ("lead_paper", [circular.pk]),
        ("lead_withdraw", [circular.pk]),
    ):
        html = client.get(reverse(f"circulars:{name}", args=args)).content.decode()
        # the way back to 日本語, and registry data: names (and the 町字 of paper addresses)
        town_name = ("中沢",) if name == "lead_paper" else ()
        for data in ("日本語", "千葉", "馬場", "青木", "太郎", *town_name):
            html = html.replace(data, "")
        assert re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+", html) == [], name
