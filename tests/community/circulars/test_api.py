"""API: a resident's circulars, read and reply; leaders' and staff's unread list and tallies."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from musubi.community.circulars import services
from musubi.community.circulars.models import QuestionKind, Read
from musubi.community.circulars.services import QuestionDraft
from musubi.platform.audit.models import AuditRecord

BASE = "/api/v1"


def test_a_resident_lists_their_circulars_in_their_language(town, post_circular, resident_client):
    circular = post_circular(questions=[QuestionDraft(QuestionKind.ATTENDANCE)])
    client = resident_client(town.baba)
    body = client.get(f"{BASE}/me/circulars/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [c["id"] for c in body] == [circular.pk]
    assert body[0]["title"] == "Grass cutting" and body[0]["read"] is False
    assert body[0]["questions"][0]["options"][0] == {"value": "attend", "label": "Attend"}
    assert resident_client(town.outsider).get(f"{BASE}/me/circulars/").json() == []


def test_anonymous_callers_are_refused(client, db):
    assert client.get(f"{BASE}/me/circulars/").status_code in (401, 403)


def test_mark_read_is_idempotent(town, post_circular, resident_client):
    circular = post_circular()
    client = resident_client(town.aoki_child)
    url = f"{BASE}/me/circulars/{circular.pk}/read/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="read-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="read-1")
    assert first.status_code == 200 and first.json()["read"] is True
    assert again["Idempotent-Replayed"] == "true"
    assert Read.objects.count() == 1
    assert first.json()["read_by"][0]["name"] == "青木 花子"


def test_reply_errors_are_per_answer_and_late_replies_are_422(town, post_circular, resident_client):
    due = timezone.localdate() + dt.timedelta(days=2)
    circular = post_circular(questions=[QuestionDraft(QuestionKind.APPROVAL)], due=due)
    (question,) = circular.questions.all()
    client = resident_client(town.chiba)
    url = f"{BASE}/me/circulars/{circular.pk}/reply/"
    bad = client.post(
        url, {"answers": {str(question.pk): "maybe"}}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == f"answers.{question.pk}"
    good = client.post(url, {"answers": {str(question.pk): "for"}}, content_type="application/json")
    assert good.status_code == 200 and good.json()["reply"]["answers"] == {str(question.pk): "for"}
    later = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(12)))
    with time_machine.travel(later, tick=False):
        late = client.post(
            url, {"answers": {str(question.pk): "against"}}, content_type="application/json"
        )
    assert late.status_code == 422 and "回答できません" in late.json()["detail"]
    assert circular.replies.get().answers == {str(question.pk): "for"}


def test_leaders_get_unread_and_tallies_of_their_area(
    town, post_circular, resident_client, account
):
    circular = post_circular(questions=[QuestionDraft(QuestionKind.ATTENDANCE)])
    (question,) = circular.questions.all()
    services.reply(circular, town.aoki, account(town.aoki), {str(question.pk): "attend"})
    kumicho = resident_client(town.kumicho)
    unread = kumicho.get(f"{BASE}/circulars/{circular.pk}/unread/").json()
    assert unread == {
        "households": 2,
        "read": 1,
        "read_on_paper": 0,
        "unread": [{"head_name": "馬場 太郎", "kumi": "1組"}],
    }
    tallies = kumicho.get(f"{BASE}/circulars/{circular.pk}/tallies/").json()
    assert tallies["replied"] == 1
    assert tallies["questions"][0]["counts"][0] == {
        "value": "attend",
        "label": "出席",
        "count": 1,
        "on_paper": 0,
    }
    assert AuditRecord.objects.filter(subject_type="circular", what="tallies").exists()
    kumicho.logout()
    plain = resident_client(town.aoki)
    assert plain.get(f"{BASE}/circulars/{circular.pk}/unread/").status_code == 403


def test_staff_with_the_permission_see_every_household(town, post_circular, make_staff, signed_in):
    circular = post_circular()
    client = signed_in(make_staff("shimin", "circulars.post"))
    unread = client.get(f"{BASE}/circulars/{circular.pk}/unread/").json()
    assert unread["households"] == 3
