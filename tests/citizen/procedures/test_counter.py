"""Counter-assisted mode (書かない窓口) end to end through the pages, and its confirm token."""

from __future__ import annotations

import datetime as dt
import io
import re

import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from musubi.citizen.procedures.models import Application, Channel, Status
from musubi.platform.audit.models import AuditRecord
from tests.citizen.procedures.backoffice import build_world, register_family, sign_in

CHILDREN_ANSWERS = {
    "f-children-rows": "2",
    "f-children-0-_ref": "0",
    "f-children-0-living_together": "yes",
    "f-children-1-_ref": "1",
    "f-children-1-living_together": "yes",
    "f-notes": "窓口で受付",
}


def _fill_in(client: Client, resident) -> tuple[Application, str]:
    """Staff: find the resident, open the procedure, answer the rest, hand over to the tablet."""
    found = client.get("/procedures/counter/", {"name": "はなこ"})
    assert resident in found.context["found"]
    started = client.post(
        f"/procedures/counter/resident/{resident.pk}/", {"procedure": "jidou-teate-test"}
    )
    first_step = started["Location"]
    page = client.get(first_step).content.decode()
    assert "住民記録より" in page and "駒ヶ根" in page  # prefilled from the chosen resident
    children_step = client.post(first_step, {"f-phone": "0265-83-2111"})["Location"]
    assert "イチロウ" in client.get(children_step).content.decode()
    review = client.post(children_step, CHILDREN_ANSWERS)["Location"]
    assert client.get(review).status_code == 200
    app = Application.objects.get(channel=Channel.COUNTER)
    waiting = client.post(f"/procedures/counter/{app.pk}/handover/")
    assert waiting["Location"] == f"/procedures/counter/{app.pk}/waiting/"
    page = client.get(waiting["Location"])
    assert page["Refresh"] == "3"
    assert "住民の確認を待っています" in page.content.decode()
    token = re.search(r"/procedures/counter/([^/\"]+)/confirm/", page.content.decode()).group(1)
    return app, token


def test_counter_application_end_to_end(db, client):
    world = build_world()
    mother = register_family()
    staff = sign_in(client, world.clerk)
    app, token = _fill_in(staff, mother)

    tablet = Client()  # the second screen: no staff session
    shown = tablet.get(f"/procedures/counter/{token}/confirm/")
    assert shown.status_code == 200
    page = shown.content.decode()
    assert "駒ヶ根 花子" in page and "駒ヶ根 さくら" in page and "0265-83-2111" in page
    assert "この内容で申請する" in page
    done = tablet.post(f"/procedures/counter/{token}/confirm/")
    assert done.status_code == 200
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.channel == Channel.COUNTER
    assert app.receipt_number in done.content.decode()
    assert app.resident == mother and app.applicant is None
    assert app.data["name"] == {"family": "駒ヶ根", "given": "花子"}
    assert [c["name"]["given"] for c in app.data["children"]] == ["一郎", "さくら"]
    assert app.transitions.get().actor == world.clerk

    result = staff.get(f"/procedures/counter/{app.pk}/waiting/")
    assert "Refresh" not in result
    assert app.receipt_number in result.content.decode()
    assert AuditRecord.objects.filter(action="search", what__startswith="counter").exists()
    assert AuditRecord.objects.filter(subject_id=str(app.pk), action="create").count() == 2


def test_replayed_token_does_not_submit_twice(db, client):
    world = build_world()
    _app, token = _fill_in(sign_in(client, world.clerk), register_family())
    tablet = Client()
    tablet.post(f"/procedures/counter/{token}/confirm/")
    again = tablet.post(f"/procedures/counter/{token}/confirm/")
    assert "すでに受け付けています" in again.content.decode()
    assert Application.objects.exclude(status=Status.DRAFT).count() == 1


def test_forged_and_expired_tokens_are_rejected(db, client):
    world = build_world()
    app, token = _fill_in(sign_in(client, world.clerk), register_family())
    forged = signing.dumps({"a": app.pk, "v": app.version, "s": world.clerk.pk, "d": "x"})
    tablet = Client()
    assert tablet.get(f"/procedures/counter/{forged}/confirm/").status_code == 403
    assert tablet.get(f"/procedures/counter/{token[:-2]}xx/confirm/").status_code == 403
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        expired = tablet.post(f"/procedures/counter/{token}/confirm/")
    assert expired.status_code == 403
    assert "期限が切れています" in expired.content.decode()
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_answers_changed_after_handover_need_a_new_confirmation(db, client):
    world = build_world()
    staff = sign_in(client, world.clerk)
    app, token = _fill_in(staff, register_family())
    staff.post(
        f"/procedures/counter/{app.pk}/form/children/", {**CHILDREN_ANSWERS, "f-notes": "変更"}
    )
    response = Client().post(f"/procedures/counter/{token}/confirm/")
    assert response.status_code == 409
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_counter_needs_its_permission_and_the_department(db, client, make_staff):
    world = build_world()
    mother = register_family()
    viewer = make_staff("kikaku", "procedures.view")
    assert sign_in(client, viewer).get("/procedures/counter/").status_code == 403
    client.logout()
    other = sign_in(client, world.outsider)
    response = other.post(
        f"/procedures/counter/resident/{mother.pk}/", {"procedure": "jidou-teate-test"}
    )
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_search_without_criteria_says_what_to_enter(db, client):
    world = build_world()
    response = sign_in(client, world.clerk).get("/procedures/counter/", {"name": ""})
    assert "氏名か生年月日を入力してください" in response.content.decode()


def _scan(name: str = "passport.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_scans_of_the_papers_travel_with_the_counter_application(db, client):
    world = build_world()
    mother = register_family()
    world.procedure.attachments = [
        {"code": "id_doc", "label": {"ja": "本人確認書類", "en": "ID"}, "required": True}
    ]
    world.procedure.save()
    client = sign_in(client, world.clerk)
    app, _token = _fill_in(client, mother)  # a handover without scans is allowed
    arrived = client.post(f"/procedures/counter/{app.pk}/documents/")
    page = client.get(arrived["Location"])
    assert page.status_code == 200 and "本人確認書類" in page.content.decode()
    exe = SimpleUploadedFile("scan.png", b"MZ\x90\x00" + b"\x00" * 200)
    refused = client.post(f"/procedures/counter/{app.pk}/handover/", {"upload-id_doc": exe})
    assert refused.status_code == 400 and "scan.png" in refused.content.decode()
    waiting = client.post(f"/procedures/counter/{app.pk}/handover/", {"upload-id_doc": _scan()})
    token = re.search(
        r"/procedures/counter/([^/\"]+)/confirm/", client.get(waiting["Location"]).content.decode()
    ).group(1)
    tablet = Client()
    assert "passport.png" in tablet.get(f"/procedures/counter/{token}/confirm/").content.decode()
    tablet.post(f"/procedures/counter/{token}/confirm/")
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert [(a.requirement, a.file.original_name) for a in app.attachments.all()] == [
        ("id_doc", "passport.png")
    ]
